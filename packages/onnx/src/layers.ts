import { AvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, ELU, Embedding, GELU, GroupNorm, Hardtanh, LayerNorm, LeakyReLU, MaxPool2d, type Module, ReLU6, Softmax } from '@trainkit/nn';
import type { Pair, Tensor } from '@trainkit/tensor';
import type { LayerMapper } from './emit';
import type { Attr } from './graph';
import { DataType } from './proto';

// Layers whose hyperparameters the autograd graph does not record (a convolution's stride and
// padding, a pooling window, BatchNorm's eps): each call of one of these is written from the
// module itself. Every other layer is written op by op from the graph (see ops.ts).

function both(v: Pair): [number, number] {
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}

/** ONNX's pads: the starts of every spatial axis, then the ends. */
function pads(p: Pair): number[] {
  const [h, w] = both(p);
  return [h, w, h, w];
}

const conv2d: LayerMapper = (ctx, call, x, out) => {
  const m = call.module as Conv2d;
  const { stride = 1, padding = 0, dilation = 1 } = m.options;
  const groups = m.options.groups ?? 1;
  const inputs = [x, ctx.value(m.weight)];
  if (m.bias !== null) inputs.push(ctx.value(m.bias));
  const where = `layer "${out}" (Conv2d)`;
  const attrs = { kernel_shape: { ints: m.kernelSize }, strides: { ints: both(stride) }, pads: { ints: pads(padding) }, dilations: { ints: both(dilation) }, group: { i: groups } };
  if (m.options.activation !== 'relu') return ctx.graph.node('Conv', inputs, attrs, out, where);
  const y = ctx.graph.node('Conv', inputs, attrs, `${out}/conv`, where);
  return ctx.graph.node('Relu', [y], {}, out, where);
};

function pool(opType: 'MaxPool' | 'AveragePool'): LayerMapper {
  return (ctx, call, x, out) => {
    const m = call.module as MaxPool2d | AvgPool2d;
    const kernel = both(m.kernelSize);
    const attrs = {
      kernel_shape: { ints: kernel },
      strides: { ints: both(m.options.stride ?? m.kernelSize) },
      pads: { ints: pads(m.options.padding ?? 0) },
      // trainkit's average counts zero padding, as PyTorch's count_include_pad=True
      ...(opType === 'AveragePool' ? { count_include_pad: { i: 1 } } : {}),
    };
    return ctx.graph.node(opType, [x], attrs, out, `layer "${out}" (${m.constructor.name})`);
  };
}

/** BatchNorm in evaluation form: normalizes with the running statistics. */
const batchNorm: LayerMapper = (ctx, call, x, out) => {
  const m = call.module as BatchNorm1d | BatchNorm2d;
  const C = m.numFeatures;
  const inputs = [x, ...affine(ctx, m, [C], out), ctx.value(m.runningMean), ctx.value(m.runningVar)];
  return ctx.graph.node('BatchNormalization', inputs, { epsilon: { f: m.eps } }, out, `layer "${out}" (${m.constructor.name})`);
};

/** The layer's scale and shift, or ones and zeros of `shape` when it has none (ONNX's scale input is required). */
function affine(ctx: Parameters<LayerMapper>[0], m: { weight: Tensor | null; bias: Tensor | null }, shape: readonly number[], out: string): [string, string] {
  const n = shape.reduce((a, b) => a * b, 1);
  const scale = m.weight !== null ? ctx.value(m.weight) : ctx.graph.floats(`${out}.scale`, new Float32Array(n).fill(1), shape);
  const shift = m.bias !== null ? ctx.value(m.bias) : ctx.graph.floats(`${out}.shift`, new Float32Array(n), shape);
  return [scale, shift];
}

const layerNorm: LayerMapper = (ctx, call, x, out) => {
  const m = call.module as LayerNorm;
  const inputs = [x, ...affine(ctx, m, m.normalizedShape, out)];
  return ctx.graph.node('LayerNormalization', inputs, { axis: { i: -m.normalizedShape.length }, epsilon: { f: m.eps } }, out, `layer "${out}" (LayerNorm)`);
};

/**
 * GroupNorm as ONNX has no operator for it before opset 21: [N, C, *] reshaped to [N, G, rest],
 * InstanceNormalization (each sample's group standardized), reshaped back, then scaled and
 * shifted per channel.
 */
const groupNorm: LayerMapper = (ctx, call, x, out) => {
  const m = call.module as GroupNorm;
  const where = `layer "${out}" (GroupNorm)`;
  const shape = call.input.shape;
  const G = m.numGroups;
  const batch = (d: number): number => (ctx.dynamicBatch ? 0 : d);
  const grouped = ctx.graph.node('Reshape', [x, ctx.graph.int64s(`${out}.grouped_shape`, [batch(shape[0]), G, -1])], {}, `${out}/grouped`, where);
  const ones = ctx.graph.floats(`${out}.group_scale`, new Float32Array(G).fill(1), [G]);
  const zeros = ctx.graph.floats(`${out}.group_shift`, new Float32Array(G), [G]);
  const normed = ctx.graph.node('InstanceNormalization', [grouped, ones, zeros], { epsilon: { f: m.eps } }, `${out}/normalized`, where);
  const back = ctx.graph.node('Reshape', [normed, ctx.graph.int64s(`${out}.shape`, [batch(shape[0]), ...shape.slice(1)])], {}, `${out}/ungrouped`, where);
  if (m.weight === null && m.bias === null) return back;
  const perChannel = ctx.graph.int64s(`${out}.channel_shape`, [m.numChannels, ...shape.slice(2).map(() => 1)]);
  const [scale, shift] = affine(ctx, m, [m.numChannels], out).map((v, i) => ctx.graph.node('Reshape', [v, perChannel], {}, `${out}/${i === 0 ? 'scale' : 'shift'}`, where));
  const scaled = ctx.graph.node('Mul', [back, scale], {}, `${out}/scaled`, where);
  return ctx.graph.node('Add', [scaled, shift], {}, out, where);
};

/**
 * Embedding as Gather of the weight's rows: the indices arrive as float32 (trainkit's one
 * dtype) holding whole numbers, so they are cast to int64 first, as Gather requires.
 */
const embedding: LayerMapper = (ctx, call, x, out) => {
  const m = call.module as Embedding;
  const where = `layer "${out}" (Embedding)`;
  const indices = ctx.graph.node('Cast', [x], { to: { i: DataType.INT64 } }, `${out}/indices`, where);
  return ctx.graph.node('Gather', [ctx.value(m.weight), indices], { axis: { i: 0 } }, out, where);
};

/** Hardtanh and ReLU6 as Clip: the bounds are attributes before opset 11, scalar inputs from 11 on. */
const clip: LayerMapper = (ctx, call, x, out) => {
  const m = call.module as Hardtanh;
  const where = `layer "${out}" (${m.constructor.name})`;
  if (ctx.graph.opset < 11) return ctx.graph.node('Clip', [x], { min: { f: m.minVal }, max: { f: m.maxVal } }, out, where);
  const lo = ctx.graph.floats(`${out}.min`, Float32Array.of(m.minVal), []);
  const hi = ctx.graph.floats(`${out}.max`, Float32Array.of(m.maxVal), []);
  return ctx.graph.node('Clip', [x, lo, hi], {}, out, where);
};

/** A one-node layer: its ONNX operator and the attributes read from the module. */
function simple<M extends Module>(opType: string, attrs: (m: M) => Record<string, Attr>): LayerMapper {
  return (ctx, call, x, out) => ctx.graph.node(opType, [x], attrs(call.module as M), out, `layer "${out}" (${call.module.constructor.name})`);
}

/** The mapper of each layer class written from its module (exact class: a subclass may change forward). */
const LAYERS = new Map<object, LayerMapper>([
  [Conv2d.prototype, conv2d],
  [MaxPool2d.prototype, pool('MaxPool')],
  [AvgPool2d.prototype, pool('AveragePool')],
  [BatchNorm1d.prototype, batchNorm],
  [BatchNorm2d.prototype, batchNorm],
  [LayerNorm.prototype, layerNorm],
  [Embedding.prototype, embedding],
  [GroupNorm.prototype, groupNorm],
  [LeakyReLU.prototype, simple<LeakyReLU>('LeakyRelu', (m) => ({ alpha: { f: m.negativeSlope } }))],
  [ELU.prototype, simple<ELU>('Elu', (m) => ({ alpha: { f: m.alpha } }))],
  [GELU.prototype, simple<GELU>('Gelu', (m) => ({ approximate: { s: m.approximate } }))],
  [Softmax.prototype, simple<Softmax>('Softmax', (m) => ({ axis: { i: m.dim } }))],
  [Hardtanh.prototype, clip],
  [ReLU6.prototype, clip],
]);

/** The mapper for a module's exact class, if it has one. */
export function layerMapper(m: Module): LayerMapper | undefined {
  return LAYERS.get(Object.getPrototypeOf(m) as object);
}
