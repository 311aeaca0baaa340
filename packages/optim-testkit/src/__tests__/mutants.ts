// Deliberately wrong optimizers, written with core's public API the way a third party writes one,
// each with the mistake a real implementation makes. mutation.test.ts asserts the kit catches each.
import { type Optimizer, type OptimizerState, defineOptimizer, sgd } from '@trainkit/core';
import type { LawOptions } from '../types';
import { adamLike, toyMomentum } from './toys';

type Options = LawOptions;

// ---- the gradient belongs to the caller ----

/** Stores the decayed gradient back into `grad` (g ← g + λ·p), then steps. */
export const writesDecayIntoGrad = defineOptimizer({
  name: 'mutant/writes-decay-into-grad',
  defaults: { lr: 0.01, weightDecay: 0.01 },
  update({ value, grad, hyper }) {
    for (let i = 0; i < value.length; i++) {
      grad[i] += hyper.weightDecay * value[i];
      value[i] -= hyper.lr * grad[i];
    }
  },
});

/** Adam that uses `grad` as scratch space for the normalized step. */
export const usesGradAsScratch = defineOptimizer({
  name: 'mutant/grad-as-scratch',
  defaults: { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 },
  slots: ['m', 'v'],
  update({ value, grad, slots: { m, v }, hyper: h, step }) {
    const bc1 = 1 - h.beta1 ** step;
    const bc2 = Math.sqrt(1 - h.beta2 ** step);
    for (let i = 0; i < value.length; i++) {
      m[i] = h.beta1 * m[i] + (1 - h.beta1) * grad[i];
      v[i] = h.beta2 * v[i] + (1 - h.beta2) * grad[i] * grad[i];
      grad[i] = m[i] / bc1 / (Math.sqrt(v[i]) / bc2 + h.eps);
      value[i] -= h.lr * grad[i];
    }
  },
});

/** Averages this gradient with the previous one, but keeps a reference to last step's array instead of a copy. */
export function keepsGradReference(options: Options): Optimizer {
  const previous = new Map<string, Float32Array>();
  return defineOptimizer({
    name: 'mutant/keeps-grad-reference',
    defaults: { lr: 0.01 },
    update({ name, value, grad, hyper }) {
      const last = previous.get(name) ?? grad;
      for (let i = 0; i < value.length; i++) value[i] -= hyper.lr * 0.5 * (grad[i] + last[i]);
      previous.set(name, grad);
    },
  })(options);
}

// ---- hyperparameters are read at every step ----

/** Caches −lr per parameter at its first update (to save a multiplication). */
export function cachesLr(options: Options): Optimizer {
  const alpha = new Map<string, number>();
  return defineOptimizer({
    name: 'mutant/caches-lr',
    defaults: { lr: 0.01 },
    update({ name, value, grad, hyper }) {
      let a = alpha.get(name);
      if (a === undefined) alpha.set(name, (a = -hyper.lr));
      for (let i = 0; i < value.length; i++) value[i] += a * grad[i];
    },
  })(options);
}

/** Reads lr from its options once, at construction, so neither schedules nor groups reach it. */
export function readsLrOnce(options: Options): Optimizer {
  const lr = typeof options.lr === 'number' ? options.lr : 0.01;
  return defineOptimizer({
    name: 'mutant/reads-lr-once',
    defaults: { lr: 0.01 },
    update({ value, grad }) {
      for (let i = 0; i < value.length; i++) value[i] -= lr * grad[i];
    },
  })(options);
}

/** Momentum with lr inside the buffer as well as outside: buf ← ρ·buf + lr·g, p ← p − lr·buf. */
export const momentumLrTwice = defineOptimizer({
  name: 'mutant/momentum-lr-twice',
  defaults: { lr: 0.01, momentum: 0.9, weightDecay: 0 },
  slots: ['buf'],
  update({ value, grad, slots, hyper: h }) {
    for (let i = 0; i < value.length; i++) {
      slots.buf[i] = h.momentum * slots.buf[i] + h.lr * (grad[i] + h.weightDecay * value[i]);
      value[i] -= h.lr * slots.buf[i];
    }
  },
});

/** AdamW whose decoupled decay forgets lr: p ← p·(1 − λ). */
export const adamwDecayWithoutLr = adamLike('mutant/adamw-decay-without-lr', true, { decayWithoutLr: true });

// ---- weight decay ----

/** L2 decay with the wrong sign: g − λ·p. */
export const wrongSignDecay = defineOptimizer({
  name: 'mutant/wrong-sign-decay',
  defaults: { lr: 0.01, weightDecay: 0 },
  update({ value, grad, hyper }) {
    for (let i = 0; i < value.length; i++) value[i] -= hyper.lr * (grad[i] - hyper.weightDecay * value[i]);
  },
});

/** Accepts weightDecay and never applies it. */
export const ignoresDecay = defineOptimizer({
  name: 'mutant/ignores-decay',
  defaults: { lr: 0.01, weightDecay: 0 },
  update({ value, grad, hyper }) {
    for (let i = 0; i < value.length; i++) value[i] -= hyper.lr * grad[i];
  },
});

/** Decays even with weightDecay 0 (a `|| 1e-2` default). */
export const alwaysDecays = defineOptimizer({
  name: 'mutant/always-decays',
  defaults: { lr: 0.01, weightDecay: 0 },
  update({ value, grad, hyper }) {
    for (let i = 0; i < value.length; i++) value[i] -= hyper.lr * (grad[i] + (hyper.weightDecay || 1e-2) * value[i]);
  },
});

// ---- Adam ----

export const adamWithoutBiasCorrection = adamLike('mutant/adam-no-bias-correction', false, { noBiasCorrection: true });
export const adamEpsInsideSqrt = adamLike('mutant/adam-eps-inside-sqrt', false, { epsInsideSqrt: true });
export const adamwEpsInsideSqrt = adamLike('mutant/adamw-eps-inside-sqrt', true, { epsInsideSqrt: true });
/** "AdamW" that adds its decay to the gradient, as Adam does. */
export const adamwWithCoupledDecay = adamLike('mutant/adamw-coupled-decay', false);
/** "Adam" that decouples its decay, as AdamW does. */
export const adamWithDecoupledDecay = adamLike('mutant/adam-decoupled-decay', true);

// ---- momentum ----

/** torch's momentum, but with its arithmetic in `flaw` (first-step handling, dampening, Nesterov). */
function momentumWith(name: string, flaw: (d: number, buf: number, h: { momentum: number; dampening: number }, first: boolean) => number) {
  return defineOptimizer({
    name,
    defaults: { lr: 0.01, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 },
    slots: ['buf'],
    update({ value, grad, slots, hyper: h, step }) {
      for (let i = 0; i < value.length; i++) {
        const d = grad[i] + h.weightDecay * value[i];
        const b = flaw(d, slots.buf[i], h, step === 1);
        slots.buf[i] = b;
        value[i] -= h.lr * (h.nesterov ? d + h.momentum * b : b);
      }
    },
  });
}

/** Dampens the first step too: buf ← (1 − δ)·g (torch sets buf ← g). */
export const dampensFirstStep = momentumWith('mutant/dampens-first-step', (d, buf, h) => h.momentum * buf + (1 - h.dampening) * d);

/** Multiplies the gradient by the dampening δ instead of 1 − δ. */
export const swapsDampening = momentumWith('mutant/swaps-dampening', (d, buf, h, first) => (first ? d : h.momentum * buf + h.dampening * d));

/** An exponential moving average for a buffer: buf ← ρ·buf + (1 − ρ)·g. */
export const emaMomentum = momentumWith('mutant/ema-momentum', (d, buf, h) => h.momentum * buf + (1 - h.momentum) * d);

/** Weight decay applied after the momentum: buf ← ρ·buf + g, p ← p − lr·(buf + λ·p), so the buffer never carries the decay. */
export const decaysAfterMomentum = defineOptimizer({
  name: 'mutant/decays-after-momentum',
  defaults: { lr: 0.01, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 },
  slots: ['buf'],
  update({ value, grad, slots, hyper: h, step }) {
    for (let i = 0; i < value.length; i++) {
      const b = step === 1 ? grad[i] : h.momentum * slots.buf[i] + (1 - h.dampening) * grad[i];
      slots.buf[i] = b;
      value[i] -= h.lr * ((h.nesterov ? grad[i] + h.momentum * b : b) + h.weightDecay * value[i]);
    }
  },
});

/** Nesterov with the previous buffer instead of the updated one. */
export const staleNesterov = defineOptimizer({
  name: 'mutant/stale-nesterov',
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

// ---- state ----

/** Keeps its momentum buffers in a map of its own instead of slots, so they are never saved. */
export function stateOutsideSlots(options: Options): Optimizer {
  const buffers = new Map<string, Float32Array>();
  return defineOptimizer({
    name: 'mutant/state-outside-slots',
    defaults: { lr: 0.01, momentum: 0.9 },
    update({ name, value, grad, hyper }) {
      let buf = buffers.get(name);
      if (buf === undefined) buffers.set(name, (buf = new Float32Array(value.length)));
      for (let i = 0; i < value.length; i++) {
        buf[i] = hyper.momentum * buf[i] + grad[i];
        value[i] -= hyper.lr * buf[i];
      }
    },
  })(options);
}

/** Restores the step count but drops the momentum buffers on loadStateDict. */
export function dropsSlotsOnRestore(options: Options): Optimizer {
  const opt = toyMomentum(options);
  const load = opt.loadStateDict;
  opt.loadStateDict = (state) => load({ ...state, slots: {} });
  return opt;
}

/** stateDict hands out live slot buffers, so a saved state keeps changing. */
export function aliasesLiveState(options: Options): Optimizer {
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

/** Applies NaN gradients without checking (a hand-written step, bypassing defineOptimizer's check). */
export function acceptsNaN(options: Options): Optimizer {
  const opt = sgd(options);
  opt.step = (params) => {
    for (const p of params) {
      const { lr } = opt.hyperFor(p.name);
      for (let i = 0; i < p.value.length; i++) p.value[i] = p.value[i] + Math.fround(-lr) * p.grad[i];
    }
  };
  return opt;
}

/** Uses the default lr for every parameter, ignoring its group (a hand-written step). */
export function ignoresGroups(options: Options): Optimizer {
  const opt = sgd(options);
  opt.step = (params) => params.forEach((p) => p.value.forEach((v, i) => (p.value[i] = v - opt.lr * p.grad[i])));
  return opt;
}
