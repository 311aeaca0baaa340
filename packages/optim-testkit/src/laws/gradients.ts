// The law about the one input an optimizer must not touch: the caller's gradient arrays.
import type { Optimizer, ParamRef } from '@trainkit/core';
import * as fc from 'fast-check';
import { paramName, scenarios } from '../arbitraries';
import { assertSameTrajectory } from '../compare';
import { firstBitDifference, show } from '../float32';
import type { LawConfig, LawProperty, OptimizerFactory, Scenario } from '../types';
import { assertSameSlots } from './basic';

/**
 * How the caller hands gradients over, step after step: the kit's own way (one grad array per
 * parameter, overwritten with each step's gradient), a fresh array every step (as after
 * `zero_grad(set_to_none=True)`), or a fresh array every step with the previous one scribbled
 * over right after the step (as a framework that recycles gradient memory does).
 */
type Handover = 'reused' | 'fresh' | 'scribbled';

/** Runs the scenario; after each step checks that the gradients are bit-identical to what was handed over. */
function runHandingOver(opt: Optimizer, s: Scenario, how: Handover): Float32Array[][] {
  const values = s.params.map((v) => Float32Array.from(v));
  const shared = s.params.map((v) => new Float32Array(v.length));
  return s.grads.map((step, t) => {
    const refs: ParamRef[] = values.map((value, p) => {
      const grad = how === 'reused' ? shared[p] : new Float32Array(value.length);
      grad.set(step[p]);
      return { name: paramName(p), value, grad };
    });
    opt.step(refs);
    refs.forEach((r, p) => {
      const given = Float32Array.from(step[p]);
      const i = firstBitDifference(r.grad, given);
      if (i !== -1) throw new Error(`step ${t + 1} wrote into the gradient of ${r.name}: [${i}] was ${show(given[i])}, the step left ${show(r.grad[i])}`);
      if (how === 'scribbled') for (let j = 0; j < r.grad.length; j++) r.grad[j] = 1 - 2 * r.grad[j];
    });
    return values.map((v) => v.slice());
  });
}

/**
 * Law: the gradients belong to the caller. A step leaves every `grad` array bit-identical
 * (no decayed gradient stored back, no scratch space), and nothing the caller does to a
 * gradient array after the step changes later steps: handing over the same array each step,
 * a fresh one each step, or a fresh one each step while scribbling over the previous one give
 * bit-identical parameters and state. (An optimizer that keeps a reference to last step's
 * gradient instead of a copy fails the second half.)
 *
 * @example
 * fc.assert(leavesGradientsAlone(lion, { options: { lr: 1e-3, weightDecay: 0.1 } }));
 */
export function leavesGradientsAlone(make: OptimizerFactory, config: LawConfig = {}): LawProperty<Scenario> {
  return fc.property(scenarios({ ...config.shape, options: config.options }), (s) => {
    // Arrange
    const names = s.params.map((_, i) => paramName(i));
    const reference = make(s.options);
    // Act
    const fresh = runHandingOver(reference, s, 'fresh');
    // Assert
    for (const how of ['reused', 'scribbled'] as const) {
      const opt = make(s.options);
      const other = runHandingOver(opt, s, how);
      const label = how === 'reused' ? 'one gradient array reused every step' : 'a fresh gradient array every step, the previous one overwritten after its step';
      assertSameTrajectory(other, fresh, names, { actual: label, expected: 'a fresh gradient array every step, never touched' });
      assertSameSlots(opt.stateDict(), reference.stateDict(), `state after the last step (${label})`);
    }
  });
}
