import { ShapeError, formatShape } from '@trainkit/tensor';
import type { GpuContext } from './context';
import { type Dispatch, submit } from './kernel';
import * as L from './layers';
import { GpuTensor } from './tensor';

// Eager GPU ops on GpuTensors: each records its layer's dispatches (layers.ts, the same ones a
// compiled training step replays), submits them, and returns new tensors without waiting.
// Errors name the op and the shapes, as the CPU ops' do.

function run(ctx: GpuContext, dispatches: Dispatch[], op: string): void {
  submit(ctx, dispatches, op);
  for (const d of dispatches) d.dispose();
}

function sameContext(op: string, ...ts: Array<GpuTensor | null | undefined>): GpuContext {
  const ctx = ts[0]!.ctx;
  for (const t of ts) {
    if (t && !(t instanceof GpuTensor)) throw new Error(`${op}: every input must be a GpuTensor on webgpu; got a ${(t as object).constructor.name} (cpu). Upload it with GpuTensor.from(ctx, t)`);
    if (t && t.ctx !== ctx) throw new Error(`${op}: inputs live on different WebGPU devices`);
  }
  return ctx;
}

/** op(a)·op(b) for 2-D tensors (op = transpose when the flag is set). */
export function matmul(a: GpuTensor, b: GpuTensor, o: { transA?: boolean; transB?: boolean } = {}): GpuTensor {
  const ctx = sameContext('matmul', a, b);
  if (a.shape.length !== 2 || b.shape.length !== 2) throw new ShapeError(`matmul: both operands must be 2-D, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  const [M, K] = o.transA ? [a.shape[1], a.shape[0]] : a.shape;
  const [K2, N] = o.transB ? [b.shape[1], b.shape[0]] : b.shape;
  if (K !== K2) throw new ShapeError(`matmul: inner dimensions differ: ${formatShape(a.shape)}${o.transA ? 'ᵀ' : ''} · ${formatShape(b.shape)}${o.transB ? 'ᵀ' : ''} (${K} vs ${K2})`);
  const c = GpuTensor.empty(ctx, [M, N]);
  run(ctx, [L.gemm(ctx, { A: a.buffer, B: b.buffer, C: c.buffer }, { M, N, K, ...o })], 'matmul');
  return c;
}

/** x·Wᵀ + b with W [out, in] (the CPU `linear`). */
export function linear(x: GpuTensor, w: GpuTensor, bias: GpuTensor | null = null): GpuTensor {
  const ctx = sameContext('linear', x, w, bias);
  const [N, IN] = x.shape;
  const [OUT, IN2] = w.shape;
  if (x.shape.length !== 2 || w.shape.length !== 2 || IN !== IN2) throw new ShapeError(`linear: input ${formatShape(x.shape)} and weight ${formatShape(w.shape)} do not match`);
  const y = GpuTensor.empty(ctx, [N, OUT]);
  run(ctx, L.linearForward(ctx, { x: x.buffer, w: w.buffer, bias: bias?.buffer ?? null, y: y.buffer }, N, IN, OUT), 'linear');
  return y;
}

/** The gradients of {@link linear} from dy. */
export function linearBackward(x: GpuTensor, w: GpuTensor, dy: GpuTensor): { dx: GpuTensor; dw: GpuTensor; db: GpuTensor } {
  const ctx = sameContext('linearBackward', x, w, dy);
  const [N, IN] = x.shape;
  const OUT = w.shape[0];
  const [dx, dw, db] = [GpuTensor.empty(ctx, x.shape), GpuTensor.empty(ctx, w.shape), GpuTensor.empty(ctx, [OUT])];
  run(ctx, L.linearBackward(ctx, { x: x.buffer, w: w.buffer, dy: dy.buffer, dx: dx.buffer, dw: dw.buffer, db: db.buffer }, N, IN, OUT), 'linearBackward');
  return { dx, dw, db };
}

/** max(x, 0) element-wise, on the GPU. */
export function relu(x: GpuTensor): GpuTensor {
  const y = GpuTensor.empty(x.ctx, x.shape);
  run(x.ctx, L.reluForward(x.ctx, { x: x.buffer, y: y.buffer }, x.size), 'relu');
  return y;
}

/** dx = dy where relu's output y > 0. */
export function reluBackward(y: GpuTensor, dy: GpuTensor): GpuTensor {
  const dx = GpuTensor.empty(y.ctx, y.shape);
  run(y.ctx, L.reluBackward(y.ctx, { y: y.buffer, dy: dy.buffer, dx: dx.buffer }, y.size), 'reluBackward');
  return dx;
}

/** sigmoid, tanh or leaky ReLU (`slope` for x ≤ 0) element-wise. */
export function activation(x: GpuTensor, fn: L.Activation, slope = 0.01): GpuTensor {
  const y = GpuTensor.empty(x.ctx, x.shape);
  run(x.ctx, L.activationForward(x.ctx, fn, slope, { x: x.buffer, y: y.buffer }, x.size), fn);
  return y;
}

/** The gradient of {@link activation} from its input x, output y and dy. */
export function activationBackward(x: GpuTensor, y: GpuTensor, dy: GpuTensor, fn: L.Activation, slope = 0.01): GpuTensor {
  const dx = GpuTensor.empty(x.ctx, x.shape);
  run(x.ctx, L.activationBackward(x.ctx, fn, slope, { x: x.buffer, y: y.buffer, dy: dy.buffer, dx: dx.buffer }, x.size), `${fn}Backward`);
  return dx;
}

/** Convolution options the GPU path supports: PyTorch's stride, padding and dilation (groups 1). */
export interface GpuConvOptions { stride?: number | readonly [number, number]; padding?: number | readonly [number, number]; dilation?: number | readonly [number, number] }

const pair = (v: number | readonly [number, number] | undefined, d: number): [number, number] => (v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : [v[0], v[1]]);

/** The geometry of conv2d(x [N, C, H, W], weight [OC, C, KH, KW]); errors name the shapes. */
export function convGeometry(op: string, x: readonly number[], w: readonly number[], o: GpuConvOptions = {}): L.ConvGeometry {
  if (x.length !== 4 || w.length !== 4 || x[1] !== w[1]) throw new ShapeError(`${op}: input ${formatShape(x)} and weight ${formatShape(w)} do not match (expected [N, C, H, W] and [OC, C, KH, KW])`);
  const [N, C, H, W] = x;
  const [OC, , KH, KW] = w;
  const [strideH, strideW] = pair(o.stride, 1);
  const [padH, padW] = pair(o.padding, 0);
  const [dilationH, dilationW] = pair(o.dilation, 1);
  const OH = Math.floor((H + 2 * padH - dilationH * (KH - 1) - 1) / strideH) + 1;
  const OW = Math.floor((W + 2 * padW - dilationW * (KW - 1) - 1) / strideW) + 1;
  if (OH <= 0 || OW <= 0) throw new ShapeError(`${op}: kernel ${KH}x${KW} does not fit input ${formatShape(x)}`);
  return { N, C, H, W, OC, KH, KW, OH, OW, strideH, strideW, padH, padW, dilationH, dilationW };
}

/** conv2d forward; also returns the im2col columns its backward pass needs. */
export function conv2d(x: GpuTensor, w: GpuTensor, bias: GpuTensor | null = null, o: GpuConvOptions = {}): { y: GpuTensor; cols: GpuTensor } {
  const ctx = sameContext('conv2d', x, w, bias);
  const g = convGeometry('conv2d', x.shape, w.shape, o);
  const cols = GpuTensor.empty(ctx, [L.colsSize(g)]);
  const ycm = GpuTensor.empty(ctx, [g.OC, g.N * g.OH * g.OW]);
  const y = GpuTensor.empty(ctx, [g.N, g.OC, g.OH, g.OW]);
  run(ctx, L.convForward(ctx, g, { x: x.buffer, w: w.buffer, bias: bias?.buffer ?? null, cols: cols.buffer, ycm: ycm.buffer, y: y.buffer }), 'conv2d');
  ycm.dispose();
  return { y, cols };
}

/** The gradients of {@link conv2d} from dy, given the forward's columns. */
export function conv2dBackward(x: GpuTensor, w: GpuTensor, cols: GpuTensor, dy: GpuTensor, o: GpuConvOptions = {}): { dx: GpuTensor; dw: GpuTensor; db: GpuTensor } {
  const ctx = sameContext('conv2dBackward', x, w, cols, dy);
  const g = convGeometry('conv2dBackward', x.shape, w.shape, o);
  const [dx, dw, db] = [GpuTensor.empty(ctx, x.shape), GpuTensor.empty(ctx, w.shape), GpuTensor.empty(ctx, [g.OC])];
  const dycm = GpuTensor.empty(ctx, [g.OC, g.N * g.OH * g.OW]);
  const dcols = GpuTensor.empty(ctx, [L.colsSize(g)]);
  run(ctx, L.convBackward(ctx, g, { dy: dy.buffer, dycm: dycm.buffer, cols: cols.buffer, w: w.buffer, dw: dw.buffer, db: db.buffer, dcols: dcols.buffer, dx: dx.buffer }), 'conv2dBackward');
  dycm.dispose();
  dcols.dispose();
  return { dx, dw, db };
}

/** 2×2 max pooling with stride 2 over [N, C, H, W]; `arg` holds each window's winner (for the backward pass). */
export function maxPool2x2(x: GpuTensor): { y: GpuTensor; arg: GpuTensor; geometry: L.PoolGeometry } {
  if (x.shape.length !== 4 || x.shape[2] < 2 || x.shape[3] < 2) throw new ShapeError(`maxPool2x2: input must be [N, C, H ≥ 2, W ≥ 2], got ${formatShape(x.shape)}`);
  const [N, C, H, W] = x.shape;
  const g = { planes: N * C, H, W, OH: Math.floor(H / 2), OW: Math.floor(W / 2) };
  const y = GpuTensor.empty(x.ctx, [N, C, g.OH, g.OW]);
  const arg = GpuTensor.empty(x.ctx, y.shape);
  run(x.ctx, L.poolForward(x.ctx, g, { x: x.buffer, y: y.buffer, arg: arg.buffer }), 'maxPool2x2');
  return { y, arg, geometry: g };
}

/** The gradient of {@link maxPool2x2}: each window's dy goes to the input position recorded in `arg`, zeros elsewhere. */
export function maxPool2x2Backward(x: GpuTensor, arg: GpuTensor, dy: GpuTensor): GpuTensor {
  const [N, C, H, W] = x.shape;
  const dx = GpuTensor.empty(x.ctx, x.shape);
  run(x.ctx, L.poolBackward(x.ctx, { planes: N * C, H, W, OH: Math.floor(H / 2), OW: Math.floor(W / 2) }, { arg: arg.buffer, dy: dy.buffer, dx: dx.buffer }), 'maxPool2x2Backward');
  return dx;
}

/** Mean softmax cross-entropy of logits [N, C] against integer labels, with its gradient: `rows` holds the N per-row losses then N hits (1 where argmax = label). */
export function softmaxCrossEntropy(logits: GpuTensor, labels: ArrayLike<number>): { rows: GpuTensor; dlogits: GpuTensor } {
  const ctx = logits.ctx;
  const [N, C] = logits.shape;
  if (logits.shape.length !== 2 || labels.length !== N) throw new ShapeError(`softmaxCrossEntropy: ${labels.length} labels for logits ${formatShape(logits.shape)}`);
  const lab = GpuTensor.empty(ctx, [N]);
  ctx.write(lab.buffer, checkedLabels('softmaxCrossEntropy', labels, C));
  const rows = GpuTensor.empty(ctx, [2 * N]);
  const dlogits = GpuTensor.empty(ctx, logits.shape);
  run(ctx, L.crossEntropy(ctx, { x: logits.buffer, labels: lab.buffer, dx: dlogits.buffer, stats: rows.buffer }, N, C), 'softmaxCrossEntropy');
  lab.dispose();
  return { rows, dlogits };
}

/** Labels as u32 for the GPU, each checked to be an integer in [0, C). */
export function checkedLabels(op: string, labels: ArrayLike<number>, C: number): Uint32Array {
  const out = new Uint32Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (!Number.isInteger(y) || y < 0 || y >= C) throw new RangeError(`${op}: label ${y} at index ${i} is out of range for ${C} classes (expected an integer in [0, ${C - 1}])`);
    out[i] = y;
  }
  return out;
}

/** The sum of all values, as a one-element tensor (a tree reduction in one workgroup). */
export function sum(x: GpuTensor): GpuTensor {
  const out = GpuTensor.empty(x.ctx, []);
  run(x.ctx, [L.sumAll(x.ctx, { x: x.buffer, out: out.buffer }, x.size)], 'sum');
  return out;
}
