import type { Rng } from '@trainkit/tensor';
import type { Module } from './module';

/**
 * A module that draws random numbers in its forward pass (dropout, stochastic depth, noise).
 * The Trainer calls `bindRng` at the start of `fit` with a stream of its seeded RNG named after
 * the module's path (`modules/<path>`), so masks are reproducible and checkpointed with the run.
 */
export interface Stochastic {
  bindRng(rng: Rng): void;
}

/** True when `m` has a `bindRng` method (see {@link Stochastic}). */
export function isStochastic(m: unknown): m is Stochastic {
  return typeof (m as Partial<Stochastic> | null)?.bindRng === 'function';
}

/** Binds a named stream of `rng` to every stochastic module of `model` (what the Trainer does at fit start). */
export function bindRngs(model: Module, rng: Rng): void {
  const streams = rng.stream('modules');
  for (const [path, m] of model.namedModules()) if (isStochastic(m)) m.bindRng(streams.stream(path === '' ? 'root' : path));
}
