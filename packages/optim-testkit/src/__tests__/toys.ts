// Small optimizers for the kit's own tests: correct ones (the references the kind-specific laws
// compare against) and deliberately broken ones, each breaking exactly one law.
import { type Optimizer, type OptimizerState, chain, defineOptimizer, clipByGlobalNorm, scaleByLearningRate, sgd } from '@trainkit/core';
import type { LawOptions } from '../types';

const f = Math.fround;

/** torch.optim.SGD with momentum, in the same float32 arithmetic as core's sgd. */
export const toyMomentum = defineOptimizer({
  name: 'toy/momentum',
  defaults: { lr: 0.01, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 },
  slots: ['buf'],
  update({ value, grad, slots, hyper, step }) {
    const alpha = f(-hyper.lr);
    for (let i = 0; i < value.length; i++) {
      const p = value[i];
      const d = hyper.weightDecay === 0 ? grad[i] : f(grad[i] + f(hyper.weightDecay) * p);
      const b = step === 1 ? d : f(f(slots.buf[i] * f(hyper.momentum)) + d * f(1 - hyper.dampening));
      slots.buf[i] = b;
      value[i] = p + alpha * (hyper.nesterov ? f(d + b * f(hyper.momentum)) : b);
    }
  },
});

/** Adam (coupled weight decay) or AdamW (decoupled), following torch.optim's formulas. */
function adamLike(name: string, decoupled: boolean, broken = false) {
  return defineOptimizer({
    name,
    defaults: { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: decoupled ? 1e-2 : 0 },
    slots: ['m', 'v'],
    update({ value, grad, slots: { m, v }, hyper: h, step }) {
      const bc1 = 1 - h.beta1 ** step;
      const bc2 = Math.sqrt(1 - h.beta2 ** step);
      for (let i = 0; i < value.length; i++) {
        if (decoupled) value[i] *= 1 - h.lr * h.weightDecay;
        const g = decoupled ? grad[i] : grad[i] + h.weightDecay * value[i];
        m[i] = h.beta1 * m[i] + (1 - h.beta1) * g;
        v[i] = h.beta2 * v[i] + (1 - h.beta2) * g * g;
        // the broken variant puts eps inside the square root
        const denom = broken ? Math.sqrt(v[i] / bc2 ** 2 + h.eps) : Math.sqrt(v[i]) / bc2 + h.eps;
        value[i] -= ((h.lr / bc1) * m[i]) / denom;
      }
    },
  });
}
export const toyAdam = adamLike('toy/adam', false);
export const toyAdamw = adamLike('toy/adamw', true);

// ---- broken optimizers, one law each ----

/** Restores the step count but drops the momentum buffers on loadStateDict (breaks stateRoundTrips). */
export function dropsSlotsOnRestore(options: LawOptions): Optimizer {
  const opt = toyMomentum(options);
  const load = opt.loadStateDict;
  opt.loadStateDict = (state) => load({ ...state, slots: {} });
  return opt;
}

/** stateDict hands out live slot buffers, so a saved state keeps changing (breaks stateRoundTrips). */
export function aliasesLiveState(options: LawOptions): Optimizer {
  const opt = toyMomentum(options);
  const { step, stateDict } = opt;
  const live: OptimizerState['slots'] = {};
  opt.step = (params) => {
    step(params);
    for (const [k, slots] of Object.entries(stateDict().slots)) {
      live[k] ??= { buf: new Float32Array(slots.buf.length) };
      live[k].buf.set(slots.buf);
    }
  };
  opt.stateDict = () => ({ ...stateDict(), slots: live });
  return opt;
}

/** Normalizes the gradient by its magnitude: 0/0 is NaN on a zero gradient (breaks staysFinite). */
export const nansOnZeroGradient = defineOptimizer({
  name: 'broken/normalized',
  defaults: { lr: 0.01 },
  update({ value, grad, hyper }) {
    for (let i = 0; i < value.length; i++) value[i] -= (hyper.lr * grad[i]) / Math.abs(grad[i]);
  },
});

/** Adds a little noise (breaks isDeterministic). */
export const noisy = defineOptimizer({
  name: 'broken/noisy',
  defaults: { lr: 0.01 },
  update({ value, grad, hyper }) {
    for (let i = 0; i < value.length; i++) value[i] -= hyper.lr * grad[i] * (1 + 1e-3 * Math.random());
  },
});

/** Scales later elements more (breaks isPermutationEquivariant). */
export const positional = defineOptimizer({
  name: 'broken/positional',
  defaults: { lr: 0.01 },
  update({ value, grad, hyper }) {
    for (let i = 0; i < value.length; i++) value[i] -= hyper.lr * grad[i] * (1 + i / 8);
  },
});

/** Always decays, even with weightDecay 0 (breaks zeroGradientIsNoOp). */
export const alwaysDecays = defineOptimizer({
  name: 'broken/always-decays',
  defaults: { lr: 0.01, weightDecay: 0 },
  update({ value, grad, hyper }) {
    for (let i = 0; i < value.length; i++) value[i] -= hyper.lr * (grad[i] + (hyper.weightDecay || 1e-2) * value[i]);
  },
});

/** Steps uphill (breaks descendsOnConvexQuadratics). */
export const ascends = defineOptimizer({
  name: 'broken/ascends',
  defaults: { lr: 0.01 },
  update({ value, grad, hyper }) {
    for (let i = 0; i < value.length; i++) value[i] += hyper.lr * grad[i];
  },
});

/** Uses the default lr for every parameter, ignoring its group (breaks groupsAreIndependent). */
export function ignoresGroups(options: LawOptions): Optimizer {
  const opt = sgd(options);
  opt.step = (params) => params.forEach((p) => p.value.forEach((v, i) => (p.value[i] = v - opt.lr * p.grad[i])));
  return opt;
}

/** Clips by the global norm, coupling parameters (groupsAreIndependent does not hold). */
export const clippedSgd = chain('toy/clipped-sgd', clipByGlobalNorm({ maxNorm: 1 }), scaleByLearningRate({ lr: 0.01 }));

/** Applies NaN gradients without checking (breaks rejectsNonFiniteGradients). */
export function acceptsNaN(options: LawOptions): Optimizer {
  const opt = sgd(options);
  opt.step = (params) => params.forEach((p) => p.value.forEach((v, i) => (p.value[i] = v - opt.lr * p.grad[i])));
  return opt;
}

/** Nesterov with the previous buffer instead of the updated one (breaks nesterovFirstStepScalesSgd). */
export const staleNesterov = defineOptimizer({
  name: 'broken/stale-nesterov',
  defaults: { lr: 0.01, momentum: 0.9, nesterov: false },
  slots: ['buf'],
  update({ value, grad, slots, hyper }) {
    for (let i = 0; i < value.length; i++) {
      const old = slots.buf[i];
      slots.buf[i] = hyper.momentum * old + grad[i];
      value[i] -= hyper.lr * (grad[i] + hyper.momentum * old);
    }
  },
});

/** Adam without bias correction (breaks adamFirstStepIsLrSign). */
export const adamWithoutBiasCorrection = defineOptimizer({
  name: 'broken/adam-no-bias-correction',
  defaults: { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 },
  slots: ['m', 'v'],
  update({ value, grad, slots: { m, v }, hyper: h }) {
    for (let i = 0; i < value.length; i++) {
      m[i] = h.beta1 * m[i] + (1 - h.beta1) * grad[i];
      v[i] = h.beta2 * v[i] + (1 - h.beta2) * grad[i] * grad[i];
      value[i] -= (h.lr * m[i]) / (Math.sqrt(v[i]) + h.eps);
    }
  },
});

/** AdamW with eps inside the square root (breaks adamwZeroDecayEqualsAdam). */
export const adamwEpsInsideSqrt = adamLike('broken/adamw-eps-inside', true, true);
