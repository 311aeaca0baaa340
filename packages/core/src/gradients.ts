import { ConfigError } from './errors';
import { parameterRefs } from './optimizer';
import type { Plugin } from './hooks';
import type { Module } from '@trainkit/nn';
import { type Tensor, add, div, gradientOf, hardtanh, isOnDevice, mul, noGrad, relu, setGradient, sqrt, square, sub, sum } from '@trainkit/tensor';
import { globalNorm } from './transform';
import type { StepContext } from './hooks';

/**
 * Clips parameter gradients before each optimizer step: by value (torch's clip_grad_value_),
 * then by global L2 norm (clip_grad_norm_: scaled by maxNorm / (norm + 1e-6) when that is below
 * 1). Logs the norm before any clipping as `gradNorm`.
 *
 * @example
 * new Trainer({ optimizer: adam(), plugins: [gradientClipping({ maxNorm: 1 })] });
 */
export function gradientClipping(options: { maxNorm?: number; maxValue?: number }): Plugin {
  const { maxNorm, maxValue } = options;
  if (maxNorm === undefined && maxValue === undefined) throw new ConfigError('gradientClipping: give maxNorm and/or maxValue');
  if (maxNorm !== undefined && !(maxNorm > 0)) throw new ConfigError(`gradientClipping: maxNorm must be > 0, got ${maxNorm}`);
  if (maxValue !== undefined && !(maxValue > 0)) throw new ConfigError(`gradientClipping: maxValue must be > 0, got ${maxValue}`);
  return {
    name: 'gradientClipping',
    onBeforeOptimizerStep(ctx) {
      if (ctx.stepSkipped) return; // a micro-batch of an accumulation group: clip the group's sum when it steps, as Lightning does
      if (ctx.model.parameters().some(isOnDevice)) return clipOnDevice(ctx, maxNorm, maxValue);
      const grads = ctx.model.parameters().flatMap((p) => (p.requiresGrad && p.grad !== null ? [p.grad] : []));
      const norm = globalNorm(grads);
      ctx.log('gradNorm', norm);
      if (maxValue !== undefined) for (const g of grads) for (let i = 0; i < g.length; i++) g[i] = Math.min(maxValue, Math.max(-maxValue, g[i]));
      if (maxNorm === undefined) return;
      const scale = maxNorm / ((maxValue === undefined ? norm : globalNorm(grads)) + 1e-6);
      if (scale < 1) for (const g of grads) for (let i = 0; i < g.length; i++) g[i] *= scale;
    },
  };
}

/**
 * Accumulates gradients over `steps` batches and takes one optimizer step with their mean
 * (an effective batch `steps`× larger). The last, partial group of an epoch steps on the
 * epoch's last batch with the mean of the batches it has, as a normal step (counted, with
 * every step hook, before validation); for data of unknown length it steps when the epoch
 * ends. The group decides in `onAfterBackward`, so a gradient clipper, whatever its place in
 * the plugin list, clips only the group's mean. A checkpoint taken mid-group holds the
 * gradients so far, so a resume continues the group exactly.
 */
export function gradientAccumulation({ steps }: { steps: number }): Plugin {
  if (!Number.isInteger(steps) || steps < 1) throw new ConfigError(`gradientAccumulation: steps must be a positive integer, got ${steps}`);
  let pending = 0;
  let restored: { pending: number; grads: Record<string, Float32Array> } | null = null;
  let model: Module | null = null;
  const scale = (grads: Float32Array[], s: number) => {
    for (const g of grads) for (let i = 0; i < g.length; i++) g[i] *= s;
  };
  const scaleModel = (m: Module, s: number) => {
    if (!m.parameters().some(isOnDevice)) return scale(m.parameters().flatMap((p) => (p.grad ? [p.grad] : [])), s);
    noGrad(() => {
      for (const [p, g] of gradientsOf(m)) setGradient(p, mul(g, s));
    });
  };
  return {
    name: 'gradientAccumulation',
    onFitStart(ctx) {
      // a fresh fit starts a fresh group; a resumed one gets the group's gradients back
      model = ctx.model;
      pending = restored?.pending ?? 0;
      if (restored === null) return;
      for (const [name, p] of ctx.model.namedParameters()) {
        const g = restored.grads[name];
        if (g !== undefined && g.length === p.size) p.grad = g.slice();
      }
      restored = null;
    },
    onAfterBackward(ctx) {
      pending++;
      const last = ctx.batchesPerEpoch !== undefined && ctx.batchIndex === ctx.batchesPerEpoch - 1;
      if (pending < steps && !last) return ctx.skipStep();
      scaleModel(ctx.model, 1 / pending);
      pending = 0;
    },
    onTrainEpochEnd(ctx) {
      // only data of unknown length gets here with a group pending
      if (pending === 0 || ctx.optimizer === null) return;
      const refs = parameterRefs(ctx.model, { identify: true });
      scale(refs.map((r) => r.grad), 1 / pending);
      ctx.optimizer.step(refs);
      ctx.model.zeroGrad();
      pending = 0;
    },
    stateDict: () => ({ pending, grads: pending === 0 || model === null ? {} : gradsOf(model) }),
    loadStateDict(s) {
      const saved = (s ?? {}) as { pending?: unknown; grads?: unknown };
      const p = saved.pending ?? 0;
      if (!Number.isSafeInteger(p) || (p as number) < 0 || (p as number) >= steps) throw new ConfigError(`gradientAccumulation: saved pending must be an integer in [0, ${steps}), got ${JSON.stringify(saved.pending)}`);
      const grads = (saved.grads ?? {}) as Record<string, unknown>;
      if ((p as number) > 0 && Object.keys(grads).length === 0) throw new ConfigError('gradientAccumulation: the saved state is mid-group but holds no gradients (saved by an older version); resume from an epoch-end checkpoint');
      for (const [k, g] of Object.entries(grads)) if (!(g instanceof Float32Array)) throw new ConfigError(`gradientAccumulation: saved gradient "${k}" must be a Float32Array`);
      restored = { pending: p as number, grads: grads as Record<string, Float32Array> };
    },
  };
}

/** The parameters that train, with their gradients as tensors where they live. */
function gradientsOf(model: Module): Array<[Tensor, Tensor]> {
  return model.parameters().flatMap((p) => {
    const g = p.requiresGrad ? gradientOf(p) : null;
    return g === null ? [] : [[p, g] as [Tensor, Tensor]];
  });
}

/** √Σg², on the device the gradients live on. */
function normOf(grads: ReadonlyArray<[Tensor, Tensor]>): Tensor {
  return sqrt(grads.map(([, g]) => sum(square(g))).reduce((a, b) => add(a, b)));
}

/**
 * {@link gradientClipping} of gradients on a device, without reading them back: the norm is a
 * device scalar (logged, read back with the loss), and the scale min(1, maxNorm / (norm + 1e-6))
 * multiplies every gradient there, as torch's clip_grad_norm_ does.
 */
function clipOnDevice(ctx: StepContext, maxNorm: number | undefined, maxValue: number | undefined): void {
  noGrad(() => {
    const grads = gradientsOf(ctx.model);
    if (grads.length === 0) return;
    const norm = normOf(grads);
    ctx.log('gradNorm', norm);
    if (maxValue !== undefined) for (const [p, g] of grads) setGradient(p, hardtanh(g, -maxValue, maxValue));
    if (maxNorm === undefined) return;
    // the views in `grads` share the gradients' memory, so they hold the clipped values
    const coef = div(maxNorm, add(maxValue === undefined ? norm : normOf(grads), 1e-6));
    const scale = sub(1, relu(sub(1, coef))); // min(1, coef)
    for (const [p, g] of grads) setGradient(p, mul(g, scale));
  });
}

/** Copies of the parameters' gradients so far, by name (a mid-group checkpoint). */
function gradsOf(model: Module): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const [name, p] of model.namedParameters()) if (p.grad !== null) out[name] = p.grad.slice();
  return out;
}
