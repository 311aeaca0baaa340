import type { GpuContext } from './context';
import { Dispatch } from './kernel';
import { WebGpuUnsupportedError } from './errors';
import { accumulateStatsKernel } from './kernels/loss';
import * as L from './layers';
import * as T from './transformerLayers';
import type { Parameter } from '@trainkit/nn';
import type { LayerPlan } from './plan';

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** The parameter buffers of a session, by Parameter: values, and gradients for trainable ones. */
export type ParamBuffers = Map<object, { value: GPUBuffer; grad: GPUBuffer | null }>;

/** The running statistics of a session's BatchNorm layers, by module. */
export type StatBuffers = Map<object, { mean: GPUBuffer; variance: GPUBuffer }>;

/**
 * The recorded dispatches of a model for one batch size N, on buffers allocated once: the forward
 * pass (in training mode, and in evaluation mode, which differ where BatchNorm normalizes with its
 * running statistics), the loss (softmax cross-entropy, its statistics summed into a totals
 * buffer), and the backward pass down to every parameter gradient. A step replays them; nothing
 * is allocated.
 */
export class Program {
  readonly input: GPUBuffer;
  readonly labels: GPUBuffer;
  readonly logits: GPUBuffer;
  readonly forward: Dispatch[] = [];
  readonly evalForward: Dispatch[] = [];
  readonly loss: Dispatch[] = [];
  readonly evalLoss: Dispatch[] = [];
  readonly backward: Dispatch[] = [];
  private readonly owned: GPUBuffer[] = [];
  /** The mask buffer of each dropout layer in the plan (a module used twice has two), written before every training step. */
  readonly masks = new Map<LayerPlan, GPUBuffer>();
  /** Each layer's backward dispatches in forward order (reversed into `backward` at the end). */
  private readonly backwardByLayer: Dispatch[][] = [];

  constructor(
    private readonly ctx: GpuContext,
    readonly N: number,
    plan: readonly LayerPlan[],
    inputShape: readonly number[],
    private readonly params: ParamBuffers,
    private readonly stats: StatBuffers,
    totals: { train: GPUBuffer; eval: GPUBuffer },
  ) {
    try {
      this.input = this.alloc(N * prod(inputShape), 'input batch');
      this.labels = this.alloc(N, 'labels');
      const C = outSize(plan[plan.length - 1]);
      this.logits = this.alloc(N * C, 'logits');
      const dLogits = this.alloc(N * C, 'gradient of the logits');
      this.chain(plan, this.input, null, this.logits, dLogits);
      const statRows = this.alloc(2 * N, 'loss rows');
      const ce = L.crossEntropy(ctx, { x: this.logits, labels: this.labels, dx: dLogits, stats: statRows }, N, C);
      this.loss.push(...ce, new Dispatch(ctx, accumulateStatsKernel, [statRows, totals.train], { N }, [1, 1, 1]));
      this.evalLoss.push(...L.crossEntropy(ctx, { x: this.logits, labels: this.labels, dx: dLogits, stats: statRows }, N, C));
      this.evalLoss.push(new Dispatch(ctx, accumulateStatsKernel, [statRows, totals.eval], { N }, [1, 1, 1]));
    } catch (e) {
      // a batch too large for the device: give back what was allocated, so a smaller batch can still run
      this.dispose();
      throw e;
    }
    for (const b of this.backwardByLayer.reverse()) this.backward.push(...b);
  }

  private alloc(floats: number, what: string): GPUBuffer {
    const b = this.ctx.acquire(floats * 4, `${what} (batch ${this.N})`);
    this.owned.push(b);
    return b;
  }

  /** A forward dispatch that runs alike in training and evaluation mode. */
  private both(...d: Dispatch[]): void {
    this.forward.push(...d);
    this.evalForward.push(...d);
  }

  /**
   * Records `layers` from `x` to `y`; in the backward pass the last layer reads `dy` (d loss / d y)
   * and the first writes `dx` (none when null). Between the layers, outputs and gradients get buffers.
   */
  private chain(layers: readonly LayerPlan[], x: GPUBuffer, dx: GPUBuffer | null, y: GPUBuffer, dy: GPUBuffer): void {
    let [input, dInput] = [x, dx];
    for (const [i, l] of layers.entries()) {
      const lastLayer = i === layers.length - 1;
      if (l.kind === 'flatten') {
        if (lastLayer) throw new Error(`webgpu: internal: a plan ends with Flatten at ${l.path}`);
        continue; // the same buffer read with another shape
      }
      const n = this.N * outSize(l);
      const out = lastLayer ? y : this.alloc(n, `output of ${l.path}`);
      const dOut = lastLayer ? dy : this.alloc(n, `gradient of ${l.path}`);
      try {
        this.layer(l, input, dInput, out, dOut);
      } catch (e) {
        // name the innermost layer (a residual block's chain has named it already)
        if (!(e instanceof WebGpuUnsupportedError) || e.message.startsWith('webgpu: layer ')) throw e;
        throw new WebGpuUnsupportedError(`webgpu: layer "${l.path}" with a batch of ${this.N}: ${e.message.replace(/^webgpu /, '')}`, { cause: e });
      }
      [input, dInput] = [out, dOut];
    }
  }

  private layer(l: LayerPlan, x: GPUBuffer, dx: GPUBuffer | null, y: GPUBuffer, dy: GPUBuffer): void {
    const { ctx, N } = this;
    const backward: Dispatch[] = [];
    this.backwardByLayer.push(backward); // filled below; a residual block's inner layers come after it, so run before it
    const pb = (p: object | null) => (p === null ? null : this.params.get(p)!);
    if (l.kind === 'linear') {
      const [w, b] = [pb(l.weight)!, pb(l.bias)];
      const rows = N * l.tokens;
      this.both(...L.linearForward(ctx, { x, w: w.value, bias: b?.value ?? null, y }, rows, l.IN, l.OUT));
      backward.push(...L.linearBackward(ctx, { x, w: w.value, dy, dx, dw: w.grad, db: b?.grad ?? null }, rows, l.IN, l.OUT));
    } else if (l.kind === 'conv') {
      const [C0, H, W] = l.inShape;
      const [OC, OH, OW] = l.outShape;
      const [KH, KW] = [l.weight.shape[2], l.weight.shape[3]];
      const two = (v: number | readonly [number, number]) => (typeof v === 'number' ? [v, v] : v);
      const [[strideH, strideW], [padH, padW], [dilationH, dilationW]] = [two(l.stride), two(l.padding), two(l.dilation)];
      const g: L.ConvGeometry = { N, C: C0, H, W, OC, KH, KW, OH, OW, strideH, strideW, padH, padW, dilationH, dilationW };
      const cols = this.alloc(L.colsSize(g), `im2col columns of ${l.path}`);
      const cm = this.alloc(N * OC * OH * OW, `channel-major output of ${l.path}`);
      const [w, b] = [pb(l.weight)!, pb(l.bias)];
      this.both(...L.convForward(ctx, g, { x, w: w.value, bias: b?.value ?? null, cols, ycm: cm, y }));
      // the backward pass reuses cm for dy in [OC, N·OH·OW] and cols for dcols (after dW has read them)
      backward.push(...L.convBackward(ctx, g, { dy, dycm: cm, cols, w: w.value, dw: w.grad, db: b?.grad ?? null, dcols: dx === null ? null : cols, dx }));
    } else if (l.kind === 'relu') {
      this.both(...L.reluForward(ctx, { x, y }, N * prod(l.shape)));
      if (dx !== null) backward.push(...L.reluBackward(ctx, { y, dy, dx }, N * prod(l.shape)));
    } else if (l.kind === 'act') {
      const n = N * prod(l.shape);
      this.both(...L.activationForward(ctx, l.fn, l.slope, { x, y }, n));
      if (dx !== null) backward.push(...L.activationBackward(ctx, l.fn, l.slope, { x, y, dy, dx }, n));
    } else if (l.kind === 'pool') {
      const [C0, H, W] = l.inShape;
      const g = { planes: N * C0, H, W, OH: l.outShape[1], OW: l.outShape[2] };
      const arg = this.alloc(N * prod(l.outShape), `max-pool winners of ${l.path}`);
      this.both(...L.poolForward(ctx, g, { x, y, arg }));
      if (dx !== null) backward.push(...L.poolBackward(ctx, g, { arg, dy, dx }));
    } else if (l.kind === 'bn') {
      const [C, ...rest] = l.shape;
      const g: L.NormGeometry = { N, C, inner: prod(rest), eps: l.module.eps, momentum: l.module.momentum ?? 0.1 }; // plan.ts refuses momentum null
      const [w, b] = [pb(l.weight), pb(l.bias)];
      const { mean: rm, variance: rv } = this.stats.get(l.module)!;
      const stats = this.alloc(2 * C, `statistics of ${l.path}`);
      const io = { x, rm, rv, gamma: w?.value ?? null, beta: b?.value ?? null, stats, y };
      this.forward.push(...L.batchNormForward(ctx, g, l.training, true, io));
      this.evalForward.push(...L.batchNormForward(ctx, g, false, false, io));
      const sums = this.alloc(2 * C, `gradient sums of ${l.path}`);
      const [dw, db] = [w?.grad ?? this.alloc(C, `unused γ gradient of ${l.path}`), b?.grad ?? this.alloc(C, `unused β gradient of ${l.path}`)];
      backward.push(...L.batchNormBackward(ctx, g, l.training, { x, dy, stats, sums, gamma: w?.value ?? null, dw, db, dx }));
    } else if (l.kind === 'gap') {
      const [C, H, W] = l.inShape;
      this.both(...L.globalAvgPoolForward(ctx, N * C, H * W, { x, y }));
      if (dx !== null) backward.push(...L.globalAvgPoolBackward(ctx, N * C, H * W, { dy, dx }));
    } else if (l.kind === 'dropout') {
      const n = N * prod(l.shape);
      const mask = this.alloc(n, `dropout mask of ${l.path}`);
      this.masks.set(l, mask);
      this.forward.push(L.mul(ctx, { x, y: mask, z: y }, n));
      this.evalForward.push(L.copy(ctx, { x, y }, n)); // the identity in evaluation mode
      if (dx !== null) backward.push(L.mul(ctx, { x: dy, y: mask, z: dx }, n));
    } else if (l.kind === 'ln' || l.kind === 'tokens' || l.kind === 'attention' || l.kind === 'pick') {
      this.transformerLayer(l, x, dx, y, dy, backward);
    } else if (l.kind === 'residual') {
      const [n, nIn] = [N * prod(l.shape), N * prod(l.inShape)];
      const identity = l.shortcut.length === 0;
      const dMain = dx === null ? null : this.alloc(nIn, `input gradient of the main path of ${l.path}`);
      const dShort = dx === null || identity ? null : this.alloc(nIn, `input gradient of the shortcut of ${l.path}`);
      // both paths read dy; the block's input gradient is the sum of theirs, after both backward passes
      if (dx !== null) backward.push(L.add(ctx, { x: dMain as GPUBuffer, y: dShort ?? dy, z: dx }, nIn));
      const mainOut = this.alloc(n, `output of the main path of ${l.path}`);
      this.chain(l.main, x, dMain, mainOut, dy);
      let shortOut = x;
      if (!identity) this.chain(l.shortcut, x, dShort, (shortOut = this.alloc(n, `output of the shortcut of ${l.path}`)), dy);
      this.both(L.add(ctx, { x: mainOut, y: shortOut, z: y }, n));
    }
  }

  /** LayerNorm, a ViT's tokens, self-attention and the class-token pick (kernels in transformerLayers.ts). */
  private transformerLayer(l: LayerPlan & { kind: 'ln' | 'tokens' | 'attention' | 'pick' }, x: GPUBuffer, dx: GPUBuffer | null, y: GPUBuffer, dy: GPUBuffer, backward: Dispatch[]): void {
    const { ctx, N } = this;
    const value = (p: object | null) => (p === null ? null : this.params.get(p)!.value);
    /** A parameter's gradient buffer, or scratch of its size when it is frozen. */
    const grad = (p: Parameter | null) => (p === null ? null : (this.params.get(p)!.grad ?? this.alloc(p.size, `unused gradient in ${l.path}`)));
    if (l.kind === 'ln') {
      const D = l.shape[l.shape.length - 1];
      const rows = (N * prod(l.shape)) / D;
      const [xhat, inv] = [this.alloc(rows * D, `normalized input of ${l.path}`), this.alloc(rows, `1/σ of ${l.path}`)];
      this.both(...T.layerNormForward(ctx, rows, D, l.eps, { x, gamma: value(l.weight), beta: value(l.bias), xhat, inv, y }));
      backward.push(...T.layerNormBackward(ctx, rows, D, { xhat, inv, dy, gamma: value(l.weight), dgamma: grad(l.weight), dbeta: grad(l.bias), dx }));
    } else if (l.kind === 'tokens') {
      const [E, h, w] = l.inShape;
      this.both(...T.tokensForward(ctx, N, h * w, E, { conv: x, cls: value(l.cls)!, pos: value(l.pos)!, y }));
      backward.push(...T.tokensBackward(ctx, N, h * w, E, { dy, dconv: dx, dpos: grad(l.pos)!, dcls: grad(l.cls)! }));
    } else if (l.kind === 'attention') {
      const [Tk, E] = l.shape;
      const g: T.AttentionGeometry = { N, T: Tk, E, H: l.heads, causal: l.causal };
      const rows = N * Tk;
      const b: T.AttentionBuffers = {
        x, y, inW: value(l.inW)!, inB: value(l.inB), outW: value(l.outW)!, outB: value(l.outB),
        qkv: this.alloc(rows * 3 * E, `q, k, v of ${l.path}`), dqkv: this.alloc(rows * 3 * E, `gradient of q, k, v of ${l.path}`),
        probs: this.alloc(N * l.heads * Tk * Tk, `attention of ${l.path}`), dscores: this.alloc(N * l.heads * Tk * Tk, `score gradient of ${l.path}`),
        joined: this.alloc(rows * E, `joined heads of ${l.path}`), djoined: this.alloc(rows * E, `gradient of the joined heads of ${l.path}`),
      };
      this.both(...T.attentionForward(ctx, g, b));
      backward.push(...T.attentionBackward(ctx, g, b, { dy, dx, dInW: grad(l.inW), dInB: grad(l.inB), dOutW: grad(l.outW), dOutB: grad(l.outB) }));
    } else {
      const [Tk, E] = l.inShape;
      this.both(...T.pickFirstForward(ctx, N, Tk, E, { x, y }));
      if (dx !== null) backward.push(...T.pickFirstBackward(ctx, N, Tk, E, { dy, dx }));
    }
  }

  dispose(): void {
    for (const d of new Set([...this.forward, ...this.evalForward, ...this.loss, ...this.evalLoss, ...this.backward, ...this.backwardByLayer.flat()])) d.dispose();
    for (const b of this.owned) this.ctx.release(b);
  }
}

/** Values per sample of a layer's output. */
function outSize(l: LayerPlan): number {
  switch (l.kind) {
    case 'linear': return l.OUT * l.tokens;
    case 'conv': case 'pool': case 'gap': return prod(l.outShape);
    case 'residual': return prod(l.shape);
    default: return prod(l.shape);
  }
}
