import { BatchNorm1d, BatchNorm2d, Conv2d, Flatten, GELU, LayerNorm, LeakyReLU, Linear, MaxPool2d, type Module, type Parameter, ReLU, Sequential, Sigmoid, Tanh } from '@trainkit/nn';
import type { Activation } from './layers';
import { type Tensor, formatShape } from '@trainkit/tensor';
import { WebGpuUnsupportedError } from './errors';
import { convGeometry } from './ops';
import { Dropout, Dropout2d } from '@trainkit/reg-dropout';
import { type Planner, isZooModel, planZooModule } from './planZoo';

/** One layer of a model the GPU training path runs, with its per-sample input and output shapes. */
export type LayerPlan =
  /** `tokens` rows per sample (a transformer's per-token MLP; 1 elsewhere). */
  | { kind: 'linear'; path: string; weight: Parameter; bias: Parameter | null; IN: number; OUT: number; tokens: number }
  | { kind: 'conv'; path: string; weight: Parameter; bias: Parameter | null; stride: number | readonly [number, number]; padding: number | readonly [number, number]; dilation: number | readonly [number, number]; inShape: readonly number[]; outShape: readonly number[] }
  | { kind: 'relu'; path: string; shape: readonly number[] }
  | { kind: 'act'; path: string; fn: Activation; slope: number; shape: readonly number[] }
  | { kind: 'pool'; path: string; inShape: readonly number[]; outShape: readonly number[] }
  | { kind: 'flatten'; path: string; shape: readonly number[] }
  | { kind: 'bn'; path: string; module: BatchNorm1d | BatchNorm2d; weight: Parameter | null; bias: Parameter | null; training: boolean; shape: readonly number[] }
  | { kind: 'gap'; path: string; inShape: readonly number[]; outShape: readonly number[] }
  | { kind: 'ln'; path: string; weight: Parameter | null; bias: Parameter | null; eps: number; shape: readonly number[] }
  /** A ViT's tokens from the patch features [E, h, w]: the class token, then the patches, plus the position embedding → [h·w + 1, E]. */
  | { kind: 'tokens'; path: string; cls: Parameter; pos: Parameter; inShape: readonly number[]; shape: readonly number[] }
  | { kind: 'attention'; path: string; inW: Parameter; inB: Parameter | null; outW: Parameter; outB: Parameter | null; heads: number; causal: boolean; shape: readonly number[] }
  /** [T, E] → [E]: the class token. */
  | { kind: 'pick'; path: string; inShape: readonly number[]; shape: readonly number[] }
  /** Inverted dropout with masks drawn on the CPU by the layer (`Dropout.drawMask`) and uploaded each step. */
  | { kind: 'dropout'; path: string; module: Dropout; shape: readonly number[] }
  /** relu(main(x) + shortcut(x)) without the relu (planned after it): an empty shortcut is the identity. */
  | { kind: 'residual'; path: string; main: LayerPlan[]; shortcut: LayerPlan[]; inShape: readonly number[]; shape: readonly number[] };

/** The layers {@link planModel} accepts, for its error message. */
const SUPPORTED = 'Linear, Conv2d (groups 1), BatchNorm1d/2d, ReLU, LeakyReLU, Sigmoid, Tanh, GELU (exact), LayerNorm (last dimension), Dropout, Dropout2d, MaxPool2d(2) (stride 2, no padding), Flatten(1), nested Sequential; and @trainkit/models\' ResNet and VisionTransformer';

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/**
 * Walks a Sequential model (or a `@trainkit/models` ResNet) into the layers the GPU runs, checking
 * each layer and working out the shapes for a per-sample `inputShape` (e.g. [1, 28, 28]). A layer
 * without a GPU kernel yet, a forward hook, or a subclass with its own `forward` is a
 * {@link WebGpuUnsupportedError} naming it. BatchNorm layers marked `evalOnly` (frozen statistics)
 * normalize with their running statistics in training steps too.
 */
export function planModel(model: Module, inputShape: readonly number[]): LayerPlan[] {
  const top = Object.getPrototypeOf(model);
  if (top !== Sequential.prototype && !isZooModel(model)) {
    throw new WebGpuUnsupportedError(`webgpu: the GPU training path runs Sequential models (of ${SUPPORTED}); got a ${model.constructor.name}. Train it on the CPU`);
  }
  const planner: Planner = {
    shape: [...inputShape],
    visit(m: Module, path: string, plan: LayerPlan[]): void {
      const where = `layer "${path === '' ? '(model)' : path}" (${m.constructor.name})`;
      if (m.hasForwardHooks) throw new WebGpuUnsupportedError(`webgpu: ${where} has a forward hook, which the GPU path cannot run; remove it or train on the CPU`);
      if (Object.getPrototypeOf(m) === Sequential.prototype) {
        for (const [name, c] of m.namedChildren()) this.visit(c, path === '' ? name : `${path}.${name}`, plan);
      } else if (!planZooModule(this, m, path, where, plan)) {
        this.shape = planLayer(m, path, where, this.shape, plan);
      }
    },
    leaf: planLayer,
  };
  const plan: LayerPlan[] = [];
  planner.visit(model, '', plan);
  const last = plan.at(-1);
  if (last === undefined || last.kind !== 'linear') throw new WebGpuUnsupportedError('webgpu: the GPU training path needs a model that ends with a Linear layer (its logits feed softmax cross-entropy)');
  return plan;
}

/** Plans one leaf layer of the GPU path into `plan`; returns its per-sample output shape. */
export function planLayer(m: Module, path: string, where: string, shape: number[], plan: LayerPlan[]): number[] {
  const proto = Object.getPrototypeOf(m);
  if (proto === Linear.prototype) {
    const l = m as Linear;
    if (shape.length !== 1 || shape[0] !== l.inFeatures) throw new WebGpuUnsupportedError(`webgpu: ${where} expects [${l.inFeatures}] features per sample, gets ${formatShape(shape)}; add a Flatten before it`);
    plan.push({ kind: 'linear', path, weight: l.weight, bias: l.bias, IN: l.inFeatures, OUT: l.outFeatures, tokens: 1 });
    return [l.outFeatures];
  } else if (proto === Conv2d.prototype) {
    const c = m as Conv2d;
    if (c.options.groups !== 1) throw new WebGpuUnsupportedError(`webgpu: ${where} has groups ${c.options.groups}; grouped convolutions have no GPU kernel yet`);
    const { stride = 1, padding = 0, dilation = 1 } = c.options;
    const g = convGeometry(`webgpu: ${where}`, [1, ...shape], c.weight.shape, { stride, padding, dilation });
    plan.push({ kind: 'conv', path, weight: c.weight, bias: c.bias, stride, padding, dilation, inShape: shape, outShape: [g.OC, g.OH, g.OW] });
    const out = [g.OC, g.OH, g.OW];
    if (c.options.activation === 'relu') plan.push({ kind: 'relu', path, shape: out });
    return out;
  } else if (proto === BatchNorm1d.prototype || proto === BatchNorm2d.prototype) {
    const bn = m as BatchNorm1d | BatchNorm2d;
    const ranks = proto === BatchNorm2d.prototype ? [3] : [1, 2];
    if (!ranks.includes(shape.length) || shape[0] !== bn.numFeatures) {
      throw new WebGpuUnsupportedError(`webgpu: ${where} normalizes ${bn.numFeatures} channels, gets samples of ${formatShape(shape)}`);
    }
    if (bn.momentum === null) throw new WebGpuUnsupportedError(`webgpu: ${where} has momentum null (a cumulative average), which the GPU path does not run yet; give it a momentum or train on the CPU`);
    plan.push({ kind: 'bn', path, module: bn, weight: bn.weight, bias: bn.bias, training: !bn.evalOnly, shape });
  } else if (proto === LayerNorm.prototype) {
    const ln = m as LayerNorm;
    if ((ln.weight === null) !== (ln.bias === null)) throw new WebGpuUnsupportedError(`webgpu: ${where} has ${ln.weight === null ? 'a bias but no weight' : 'a weight but no bias'}; the GPU path takes both or neither`);
    if (ln.normalizedShape.length !== 1 || shape[shape.length - 1] !== ln.normalizedShape[0]) {
      throw new WebGpuUnsupportedError(`webgpu: ${where} normalizes ${formatShape(ln.normalizedShape)}, gets samples of ${formatShape(shape)}; the GPU path normalizes the last dimension only`);
    }
    plan.push({ kind: 'ln', path, weight: ln.weight, bias: ln.bias, eps: ln.eps, shape });
  } else if (proto === Dropout.prototype || proto === Dropout2d.prototype) {
    const d = m as Dropout;
    if (d.p > 0) {
      // p = 0 is the identity, as on the CPU
      if (d.channelwise && shape.length < 2) throw new WebGpuUnsupportedError(`webgpu: ${where} drops channels of [C, H, W] or [C, L] samples, gets ${formatShape(shape)}`);
      plan.push({ kind: 'dropout', path, module: d, shape });
    }
  } else if (proto === ReLU.prototype) {
    plan.push({ kind: 'relu', path, shape });
  } else if (proto === GELU.prototype && (m as GELU).approximate !== 'none') {
    throw new WebGpuUnsupportedError(`webgpu: ${where} uses approximate: '${(m as GELU).approximate}'; the GPU kernel computes the exact (erf) GELU only: use new GELU() or train on the CPU`);
  } else if (proto === GELU.prototype) {
    plan.push({ kind: 'act', path, fn: 'gelu', slope: 0, shape });
  } else if (proto === Sigmoid.prototype || proto === Tanh.prototype || proto === LeakyReLU.prototype) {
    const fn: Activation = proto === Sigmoid.prototype ? 'sigmoid' : proto === Tanh.prototype ? 'tanh' : 'leakyRelu';
    plan.push({ kind: 'act', path, fn, slope: fn === 'leakyRelu' ? (m as LeakyReLU).negativeSlope : 0, shape });
  } else if (proto === MaxPool2d.prototype && isPlain2x2(m as MaxPool2d) && shape.length === 3) {
    const out = [shape[0], Math.floor(shape[1] / 2), Math.floor(shape[2] / 2)];
    plan.push({ kind: 'pool', path, inShape: shape, outShape: out });
    return out;
  } else if (proto === Flatten.prototype && (m as Flatten).startDim === 1) {
    const out = [prod(shape)];
    plan.push({ kind: 'flatten', path, shape: out });
    return out;
  } else {
    throw new WebGpuUnsupportedError(`webgpu: ${where} has no GPU kernel yet (supported: ${SUPPORTED}); train this model on the CPU`);
  }
  return shape;
}

/** Every layer of a plan, the layers inside residual blocks included, in forward order. */
export function flatLayers(plan: readonly LayerPlan[]): LayerPlan[] {
  return plan.flatMap((l) => (l.kind === 'residual' ? [...flatLayers(l.main), ...flatLayers(l.shortcut)] : [l]));
}

/** The dropout layers of a plan, in forward order (the order their masks are drawn on the CPU). */
export function planDropouts(plan: readonly LayerPlan[]): Array<LayerPlan & { kind: 'dropout' }> {
  return flatLayers(plan).filter((l): l is LayerPlan & { kind: 'dropout' } => l.kind === 'dropout');
}

/** The BatchNorm layers of a plan and their running statistics, which the GPU keeps like parameters. */
export function planRunningStats(plan: readonly LayerPlan[]): Array<{ module: BatchNorm1d | BatchNorm2d; path: string; mean: Tensor; variance: Tensor; training: boolean }> {
  return flatLayers(plan).flatMap((l) => (l.kind === 'bn' ? [{ module: l.module, path: l.path, mean: l.module.runningMean, variance: l.module.runningVar, training: l.training }] : []));
}

function isPlain2x2(p: MaxPool2d): boolean {
  const one = (v: unknown, d: number) => (v === undefined ? d : typeof v === 'number' ? v : Array.isArray(v) && v[0] === v[1] ? v[0] : -1);
  return one(p.kernelSize, -1) === 2 && one(p.options.stride, 2) === 2 && one(p.options.padding, 0) === 0;
}

/** The parameters of a plan with their model names (frozen ones too). */
export function planParameters(model: Module, plan: readonly LayerPlan[]): Array<[string, Parameter]> {
  const names = new Map(model.namedParameters().map(([n, p]) => [p, n]));
  const out: Array<[string, Parameter]> = [];
  for (const l of flatLayers(plan)) {
    for (const p of layerParameters(l)) {
      if (p === null) continue;
      // each layer overwrites its parameters' gradients: a parameter used twice would lose one
      if (out.some(([, q]) => q === p)) throw new WebGpuUnsupportedError(`webgpu: parameter "${names.get(p)}" is shared by two layers (weight tying), which the GPU path does not support yet`);
      out.push([names.get(p) as string, p]);
    }
  }
  return out;
}

/** The parameters a planned layer reads (null where an optional one is absent). */
export function layerParameters(l: LayerPlan): Array<Parameter | null> {
  switch (l.kind) {
    case 'linear': case 'conv': case 'bn': case 'ln': return [l.weight, l.bias];
    case 'tokens': return [l.cls, l.pos];
    case 'attention': return [l.inW, l.inB, l.outW, l.outB];
    default: return [];
  }
}
