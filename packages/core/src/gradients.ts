import { ConfigError } from './errors';
import { parameterRefs } from './optimizer';
import type { Plugin } from './hooks';
import { globalNorm } from './transform';

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
 * (an effective batch `steps`× larger). A partial group at the end of an epoch is stepped
 * too, averaged over the batches it has.
 */
export function gradientAccumulation({ steps }: { steps: number }): Plugin {
  if (!Number.isInteger(steps) || steps < 1) throw new ConfigError(`gradientAccumulation: steps must be a positive integer, got ${steps}`);
  let pending = 0;
  const scale = (grads: Float32Array[], s: number) => {
    for (const g of grads) for (let i = 0; i < g.length; i++) g[i] *= s;
  };
  return {
    name: 'gradientAccumulation',
    onBeforeOptimizerStep(ctx) {
      pending++;
      if (pending < steps) return ctx.skipStep();
      scale(ctx.model.parameters().flatMap((p) => (p.grad ? [p.grad] : [])), 1 / pending);
      pending = 0;
    },
    onTrainEpochEnd(ctx) {
      if (pending === 0 || ctx.optimizer === null) return;
      const refs = parameterRefs(ctx.model);
      scale(refs.map((r) => r.grad), 1 / pending);
      ctx.optimizer.step(refs);
      for (const p of ctx.model.parameters()) p.zeroGrad();
      pending = 0;
    },
    stateDict: () => ({ pending }),
    loadStateDict(s) {
      pending = (s as { pending: number }).pending ?? 0;
    },
  };
}
