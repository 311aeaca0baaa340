import type { Module } from '@trainkit/nn';
import { Tensor } from '@trainkit/tensor';

/** Parameters and buffers by name, as in `Module.stateDict()`. */
export type StateDict = Record<string, Tensor>;

/**
 * A copy of `model`'s state dict that later training does not change.
 *
 * @example
 * const before = copyStateDict(model);
 * await trainer.fit(model, { train, epochs: 1 });
 * model.loadStateDict(before); // back to where it was
 */
export function copyStateDict(model: Module): StateDict {
  const out: StateDict = {};
  for (const [k, t] of Object.entries(model.stateDict())) out[k] = new Tensor(t.data.slice(), t.shape);
  return out;
}

/**
 * Builds a model with `factory` and loads `state` into it (strictly: every key must match).
 *
 * @example
 * const models = snapshotsOf(result.trainer).map((s) => modelFromState(() => mnistCnn(), s.state));
 */
export function modelFromState(factory: () => Module, state: StateDict): Module {
  const model = factory();
  model.loadStateDict(state);
  return model;
}
