import { AvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, MaxPool2d, type Module } from '@trainkit/nn';
import type { Pair } from '@trainkit/tensor';
import type { LayerMapper } from './emit';

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
  const groups = (m.options as { groups?: number }).groups ?? 1;
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
  const scale = m.weight !== null ? ctx.value(m.weight) : ctx.graph.floats(`${out}.scale`, new Float32Array(C).fill(1), [C]);
  const shift = m.bias !== null ? ctx.value(m.bias) : ctx.graph.floats(`${out}.shift`, new Float32Array(C), [C]);
  const inputs = [x, scale, shift, ctx.value(m.runningMean), ctx.value(m.runningVar)];
  return ctx.graph.node('BatchNormalization', inputs, { epsilon: { f: m.eps } }, out, `layer "${out}" (${m.constructor.name})`);
};

/** The mapper of each layer class written from its module (exact class: a subclass may change forward). */
const LAYERS = new Map<object, LayerMapper>([
  [Conv2d.prototype, conv2d],
  [MaxPool2d.prototype, pool('MaxPool')],
  [AvgPool2d.prototype, pool('AveragePool')],
  [BatchNorm1d.prototype, batchNorm],
  [BatchNorm2d.prototype, batchNorm],
]);

/** The mapper for a module's exact class, if it has one. */
export function layerMapper(m: Module): LayerMapper | undefined {
  return LAYERS.get(Object.getPrototypeOf(m) as object);
}
