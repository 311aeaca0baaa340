import { type Tensor, concat, formatShape, gelu, logSoftmax, max, mean, permute, sameShape, softmax, sum } from '@trainkit/tensor';
import type { EmitContext, OpMapper } from './emit';
import { OnnxExportError } from './graph';
import { axisSubsets, inferAttribute, permutations } from './infer';

// Ops written from the autograd graph: each trainkit op name (Tensor.op) maps to ONNX
// operators. Ops whose hyperparameters the graph does not record either recover them from the
// traced values (infer.ts) or are written from their layer (layers.ts).

const unary =
  (opType: string): OpMapper =>
  (ctx, t, out, where) =>
    ctx.graph.node(opType, [ctx.value(t._parents[0])], {}, out, where);

const binary =
  (opType: string): OpMapper =>
  (ctx, t, out, where) =>
    ctx.graph.node(opType, [ctx.value(t._parents[0]), ctx.value(t._parents[1])], {}, out, where);

/** The parent of a one-input op. */
const only = (t: Tensor): Tensor => t._parents[0];

/**
 * The target shape of a Reshape. With a dynamic batch, the one axis that grows with the batch
 * (found by tracing a batch one larger) is written as 0 (copy the input's) when it is axis 0 of
 * both and as −1 (inferred) otherwise, every other axis as its size. A reshape that grows two
 * axes with the batch cannot be written (ONNX infers one), and is refused.
 */
function reshapeTarget(ctx: EmitContext, from: Tensor, to: Tensor, where: string): number[] {
  const target = [...to.shape];
  if (!ctx.dynamicBatch || target.length === 0) return target;
  const next = ctx.trace.nextBatch;
  const nextShape = next?.get(to);
  if (next === undefined || nextShape === undefined) {
    target[0] = from.rank > 0 && from.shape[0] === to.shape[0] ? 0 : -1; // shapes at another batch unknown: the batch is assumed on axis 0
    return target;
  }
  const grows = target.flatMap((d, i) => (nextShape[i] === d ? [] : [i]));
  if (grows.length > 1) {
    throw new OnnxExportError(
      `exportOnnx: ${where}: reshapes to ${formatShape(to.shape)}, where axes ${grows.join(' and ')} all grow with the batch size; ` +
        'ONNX Reshape can infer only one: keep the batch in one axis, or export with { dynamicBatch: false }',
    );
  }
  if (grows.length === 1) {
    const axis = grows[0];
    const copies = axis === 0 && from.rank > 0 && from.shape[0] === to.shape[0] && next.get(from)?.[0] === nextShape[0];
    target[axis] = copies ? 0 : -1;
  }
  return target;
}

const reshape: OpMapper = (ctx, t, out, where) => {
  const x = only(t);
  const shape = ctx.graph.int64s(`${out}.shape`, reshapeTarget(ctx, x, t, where));
  return ctx.graph.node('Reshape', [ctx.value(x), shape], {}, out, where);
};

/** Gemm's bias input is optional from opset 11; before, a bias-free layer gets a zero bias. */
const linear: OpMapper = (ctx, t, out, where) => {
  const inputs = t._parents.map((p) => ctx.value(p));
  if (inputs.length === 2 && ctx.graph.opset < 11) inputs.push(ctx.graph.floats(`${out}.zero_bias`, new Float32Array(t.shape[1]), [t.shape[1]]));
  return ctx.graph.node('Gemm', inputs, { transB: { i: 1 } }, out, where);
};

const silu: OpMapper = (ctx, t, out, where) => {
  const x = ctx.value(only(t));
  const s = ctx.graph.node('Sigmoid', [x], {}, `${out}/sigmoid`, where);
  return ctx.graph.node('Mul', [x, s], {}, out, where);
};

const square: OpMapper = (ctx, t, out, where) => {
  const x = ctx.value(only(t));
  return ctx.graph.node('Mul', [x, x], {}, out, where);
};

function softmaxLike(opType: 'Softmax' | 'LogSoftmax', f: typeof softmax): OpMapper {
  return (ctx, t, out, where) => {
    const x = only(t);
    const axis = inferAttribute(t, where, 'axis', [...x.shape.keys()], (a) => f(x, a));
    return ctx.graph.node(opType, [ctx.value(x)], { axis: { i: axis } }, out, where);
  };
}

const geluOp: OpMapper = (ctx, t, out, where) => {
  const x = only(t);
  const approximate = inferAttribute(t, where, 'approximation', ['none', 'tanh'] as const, (a) => gelu(x, a));
  return ctx.graph.node('Gelu', [ctx.value(x)], { approximate: { s: approximate } }, out, where);
};

const transpose: OpMapper = (ctx, t, out, where) => {
  const x = only(t);
  const fits = permutations(x.rank).filter((p) => p.every((a, i) => x.shape[a] === t.shape[i]));
  const perm = inferAttribute(t, where, 'permutation', fits, (p) => permute(x, p));
  return ctx.graph.node('Transpose', [ctx.value(x)], { perm: { ints: perm } }, out, where);
};

function reducedShape(shape: readonly number[], axes: readonly number[], keepDims: boolean): number[] {
  return keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
}

/** ReduceSum takes its axes as an input since opset 13, ReduceMean and ReduceMax since 18. */
function reduce(opType: 'ReduceSum' | 'ReduceMean' | 'ReduceMax', f: typeof sum, axesAsInputFrom: number): OpMapper {
  return (ctx, t, out, where) => {
    const x = only(t);
    // kept size-1 axes (other than the batch) change nothing, so they are never candidates
    const unit = (a: number): boolean => a !== 0 && x.shape[a] === 1;
    const candidates = axisSubsets(x.rank)
      .flatMap((axes) => [{ axes, keepDims: false }, ...(axes.some(unit) ? [] : [{ axes, keepDims: true }])])
      .filter((c) => sameShape(reducedShape(x.shape, c.axes, c.keepDims), t.shape));
    const { axes, keepDims } = inferAttribute(t, where, 'reduced axes', candidates, (c) => f(x, c.axes, c.keepDims));
    const keepdims = { i: keepDims ? 1 : 0 };
    if (ctx.graph.opset < axesAsInputFrom) return ctx.graph.node(opType, [ctx.value(x)], { axes: { ints: axes }, keepdims }, out, where);
    return ctx.graph.node(opType, [ctx.value(x), ctx.graph.int64s(`${out}.axes`, axes)], { keepdims }, out, where);
  };
}

const concatOp: OpMapper = (ctx, t, out, where) => {
  const parts = t._parents;
  const axis = inferAttribute(t, where, 'axis', [...t.shape.keys()], (a) => concat(parts, a));
  return ctx.graph.node('Concat', parts.map((p) => ctx.value(p)), { axis: { i: axis } }, out, where);
};

/** [N, C, H, W] → [N, C]: the mean of each channel. */
const globalAvgPool: OpMapper = (ctx, t, out, where) => {
  const pooled = ctx.graph.node('GlobalAveragePool', [ctx.value(only(t))], {}, `${out}/pool`, where);
  return ctx.graph.node('Flatten', [pooled], { axis: { i: 1 } }, out, where);
};

/** Adaptive average pooling is a plain one when the output size divides the input's. */
const adaptiveAvgPool: OpMapper = (ctx, t, out, where) => {
  const x = only(t);
  const [H, W] = x.shape.slice(2);
  const [OH, OW] = t.shape.slice(2);
  if (OH === 1 && OW === 1) return ctx.graph.node('GlobalAveragePool', [ctx.value(x)], {}, out, where);
  if (H % OH !== 0 || W % OW !== 0) {
    throw new OnnxExportError(`exportOnnx: ${where}: pools ${H}x${W} to ${OH}x${OW}, which ONNX has no operator for (the output size must divide the input size)`);
  }
  const kernel = [H / OH, W / OW];
  return ctx.graph.node('AveragePool', [ctx.value(x)], { kernel_shape: { ints: kernel }, strides: { ints: kernel } }, out, where);
};

/** The mapper of each trainkit op, by `Tensor.op`. */
export const OPS: Readonly<Record<string, OpMapper>> = {
  add: binary('Add'),
  sub: binary('Sub'),
  mul: binary('Mul'),
  div: binary('Div'),
  neg: unary('Neg'),
  exp: unary('Exp'),
  log: unary('Log'),
  sqrt: unary('Sqrt'),
  abs: unary('Abs'),
  relu: unary('Relu'),
  sigmoid: unary('Sigmoid'),
  tanh: unary('Tanh'),
  square,
  silu,
  gelu: geluOp,
  softmax: softmaxLike('Softmax', softmax),
  logSoftmax: softmaxLike('LogSoftmax', logSoftmax),
  reshape,
  permute: transpose,
  concat: concatOp,
  sum: reduce('ReduceSum', sum, 13),
  mean: reduce('ReduceMean', mean, 18),
  max: reduce('ReduceMax', max, 18),
  matmul: binary('MatMul'),
  linear,
  globalAvgPool2d: globalAvgPool,
  adaptiveAvgPool2d: adaptiveAvgPool,
};

/** Ops that carry hyperparameters the graph does not record: they export only through their layer. */
const LAYER_OF: Readonly<Record<string, string>> = {
  conv2d: 'Conv2d',
  'conv2d+relu': 'Conv2d',
  'conv2d+relu+maxPool2d': 'Conv2d, ReLU and MaxPool2d',
  maxPool2d: 'MaxPool2d',
  avgPool2d: 'AvgPool2d',
  leakyRelu: 'LeakyReLU',
  elu: 'ELU',
  hardtanh: 'Hardtanh (or ReLU6)',
  batchNorm: 'BatchNorm1d or BatchNorm2d',
  'batchNorm+relu': 'BatchNorm1d or BatchNorm2d (then ReLU)',
  layerNorm: 'LayerNorm',
  groupNorm: 'GroupNorm',
};

/** Ops with unrecorded hyperparameters that no layer maps either: how to write them instead. */
const REWRITE_OF: Readonly<Record<string, string>> = {
  pow: 'write the power with mul, square or sqrt (or exp and log)',
  slice: 'select with matmul by a constant 0/1 matrix (as vitTiny picks its class token), or slice only parameters (folded to a constant)',
};

/** The error for an op without a mapping, naming it, where it ran and what to do instead. */
export function unsupportedOp(op: string, where: string): OnnxExportError {
  const unrecorded = `exportOnnx: ${where} has no ONNX mapping as a bare op: the autograd graph does not record its hyperparameters`;
  if (Object.hasOwn(LAYER_OF, op)) return new OnnxExportError(`${unrecorded}, so it exports only through the ${LAYER_OF[op]} layer (call the layer with .call(x) so the export sees it)`);
  if (Object.hasOwn(REWRITE_OF, op)) return new OnnxExportError(`${unrecorded} and no layer maps it: ${REWRITE_OF[op]}`);
  return new OnnxExportError(
    `exportOnnx: ${where} has no ONNX mapping; supported ops: ${Object.keys(OPS).join(', ')}, and the layers listed in the @trainkit/onnx README`,
  );
}
