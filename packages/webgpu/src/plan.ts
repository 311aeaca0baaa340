import { Conv2d, Flatten, LeakyReLU, Linear, MaxPool2d, type Module, type Parameter, ReLU, Sequential, Sigmoid, Tanh } from '@trainkit/nn';
import type { Activation } from './layers';
import { formatShape } from '@trainkit/tensor';
import { WebGpuUnsupportedError } from './errors';
import { convGeometry } from './ops';

/** One layer of a model the GPU training path runs, with its per-sample input and output shapes. */
export type LayerPlan =
  | { kind: 'linear'; path: string; weight: Parameter; bias: Parameter | null; IN: number; OUT: number }
  | { kind: 'conv'; path: string; weight: Parameter; bias: Parameter | null; stride: number | readonly [number, number]; padding: number | readonly [number, number]; dilation: number | readonly [number, number]; inShape: readonly number[]; outShape: readonly number[] }
  | { kind: 'relu'; path: string; shape: readonly number[] }
  | { kind: 'act'; path: string; fn: Activation; slope: number; shape: readonly number[] }
  | { kind: 'pool'; path: string; inShape: readonly number[]; outShape: readonly number[] }
  | { kind: 'flatten'; path: string; shape: readonly number[] };

/** The layers {@link planModel} accepts, for its error message. */
const SUPPORTED = 'Linear, Conv2d (groups 1), ReLU, LeakyReLU, Sigmoid, Tanh, MaxPool2d(2) (stride 2, no padding), Flatten(1), nested Sequential';

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/**
 * Walks a Sequential model into the layers the GPU runs, checking each layer and working out the
 * shapes for a per-sample `inputShape` (e.g. [1, 28, 28]). A layer without a GPU kernel yet, a
 * forward hook, or a subclass with its own `forward` is a {@link WebGpuUnsupportedError} naming it.
 */
export function planModel(model: Module, inputShape: readonly number[]): LayerPlan[] {
  if (Object.getPrototypeOf(model) !== Sequential.prototype) {
    throw new WebGpuUnsupportedError(`webgpu: the GPU training path runs Sequential models (of ${SUPPORTED}); got a ${model.constructor.name}. Train it on the CPU`);
  }
  const plan: LayerPlan[] = [];
  let shape = [...inputShape];
  const visit = (m: Module, path: string): void => {
    const where = `layer "${path}" (${m.constructor.name})`;
    if (m.hasForwardHooks) throw new WebGpuUnsupportedError(`webgpu: ${where} has a forward hook, which the GPU path cannot run; remove it or train on the CPU`);
    const proto = Object.getPrototypeOf(m);
    if (proto === Sequential.prototype) {
      for (const [name, child] of m.namedChildren()) visit(child, path === '' ? name : `${path}.${name}`);
    } else if (proto === Linear.prototype) {
      const l = m as Linear;
      if (shape.length !== 1 || shape[0] !== l.inFeatures) throw new WebGpuUnsupportedError(`webgpu: ${where} expects [${l.inFeatures}] features per sample, gets ${formatShape(shape)}; add a Flatten before it`);
      plan.push({ kind: 'linear', path, weight: l.weight, bias: l.bias, IN: l.inFeatures, OUT: l.outFeatures });
      shape = [l.outFeatures];
    } else if (proto === Conv2d.prototype) {
      const c = m as Conv2d;
      if (c.options.groups !== 1) throw new WebGpuUnsupportedError(`webgpu: ${where} has groups ${c.options.groups}; grouped convolutions have no GPU kernel yet`);
      const { stride = 1, padding = 0, dilation = 1 } = c.options;
      const g = convGeometry(`webgpu: ${where}`, [1, ...shape], c.weight.shape, { stride, padding, dilation });
      plan.push({ kind: 'conv', path, weight: c.weight, bias: c.bias, stride, padding, dilation, inShape: shape, outShape: [g.OC, g.OH, g.OW] });
      shape = [g.OC, g.OH, g.OW];
      if (c.options.activation === 'relu') plan.push({ kind: 'relu', path, shape });
    } else if (proto === ReLU.prototype) {
      plan.push({ kind: 'relu', path, shape });
    } else if (proto === Sigmoid.prototype || proto === Tanh.prototype || proto === LeakyReLU.prototype) {
      const fn: Activation = proto === Sigmoid.prototype ? 'sigmoid' : proto === Tanh.prototype ? 'tanh' : 'leakyRelu';
      plan.push({ kind: 'act', path, fn, slope: fn === 'leakyRelu' ? (m as LeakyReLU).negativeSlope : 0, shape });
    } else if (proto === MaxPool2d.prototype && isPlain2x2(m as MaxPool2d) && shape.length === 3) {
      const out = [shape[0], Math.floor(shape[1] / 2), Math.floor(shape[2] / 2)];
      plan.push({ kind: 'pool', path, inShape: shape, outShape: out });
      shape = out;
    } else if (proto === Flatten.prototype && (m as Flatten).startDim === 1) {
      shape = [prod(shape)];
      plan.push({ kind: 'flatten', path, shape });
    } else {
      throw new WebGpuUnsupportedError(`webgpu: ${where} has no GPU kernel yet (supported: ${SUPPORTED}); train this model on the CPU`);
    }
  };
  visit(model, '');
  const last = plan.at(-1);
  if (last === undefined || last.kind !== 'linear') throw new WebGpuUnsupportedError('webgpu: the GPU training path needs a model that ends with a Linear layer (its logits feed softmax cross-entropy)');
  return plan;
}

function isPlain2x2(p: MaxPool2d): boolean {
  const one = (v: unknown, d: number) => (v === undefined ? d : typeof v === 'number' ? v : Array.isArray(v) && v[0] === v[1] ? v[0] : -1);
  return one(p.kernelSize, -1) === 2 && one(p.options.stride, 2) === 2 && one(p.options.padding, 0) === 0;
}

/** The parameters of a plan with their model names (frozen ones too). */
export function planParameters(model: Module, plan: readonly LayerPlan[]): Array<[string, Parameter]> {
  const names = new Map(model.namedParameters().map(([n, p]) => [p, n]));
  const out: Array<[string, Parameter]> = [];
  for (const l of plan) {
    if (l.kind !== 'linear' && l.kind !== 'conv') continue;
    for (const p of [l.weight, l.bias]) {
      if (p === null) continue;
      // each layer overwrites its parameters' gradients: a parameter used twice would lose one
      if (out.some(([, q]) => q === p)) throw new WebGpuUnsupportedError(`webgpu: parameter "${names.get(p)}" is shared by two layers (weight tying), which the GPU path does not support yet`);
      out.push([names.get(p) as string, p]);
    }
  }
  return out;
}
