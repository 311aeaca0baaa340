/**
 * Samplers turn a compiled search space into trial configurations. Each is deterministic:
 * the same space, count and seed give the same configurations, and every random draw comes
 * from a named stream of trainkit's seeded {@link Rng}.
 */
import { Rng } from '@trainkit/tensor';
import { SweepError } from './errors';
import { sobolPoint, SOBOL_MAX_DIMS } from './sobol';
import type { CompiledSpace, Config } from './space';

/** Produces the configurations of a sweep. */
export interface Sampler {
  readonly name: string;
  /** `count` configurations (fewer when the sampler runs out, as a grid does; `undefined`: all of a grid). */
  sample(space: CompiledSpace, count: number | undefined, seed: number): Config[];
}

function needCount(count: number | undefined, name: string): number {
  if (count === undefined) throw new SweepError(`${name} sampler: say how many trials to run ({ trials: 20 })`);
  return count;
}

/**
 * Independent uniform draws on the unit cube (then mapped by each parameter: log-uniform
 * for `logUniform`), from the stream `sampler/random` of the sweep's seed.
 */
export function randomSampler(): Sampler {
  return {
    name: 'random',
    sample(space, count, seed) {
      const rng = new Rng(seed).stream('sampler').stream('random');
      return Array.from({ length: needCount(count, 'random') }, () => space.fromUnits(Array.from({ length: space.dims }, () => rng.uniform())));
    },
  };
}

/**
 * Scrambled Sobol points: a quasi-random sequence that covers the space more evenly than
 * independent draws (every 2^k consecutive points put one point in each of 2^k equal slices
 * of every dimension). The seed picks a random digital shift (stream `sampler/sobol`).
 * Up to 16 parameters.
 * @see https://doi.org/10.1137/070709359 (Joe & Kuo 2008, direction numbers)
 */
export function sobolSampler(): Sampler {
  return {
    name: 'sobol',
    sample(space, count, seed) {
      if (space.dims > SOBOL_MAX_DIMS) throw new SweepError(`sobol sampler: supports up to ${SOBOL_MAX_DIMS} parameters, the space has ${space.dims}; use the random sampler`);
      const rng = new Rng(seed).stream('sampler').stream('sobol');
      const shift = Array.from({ length: space.dims }, () => rng.nextUint32());
      return Array.from({ length: needCount(count, 'sobol') }, (_, i) => space.fromUnits(sobolPoint(i, shift)));
    },
  };
}

/** The most grid points a grid sampler enumerates before refusing. */
export const MAX_GRID = 100_000;

/**
 * Every combination of the parameters' values, in order (the first parameter varies
 * slowest). Choices and ints contribute all their values; continuous parameters need
 * `points` (evenly spaced, log-spaced for `logUniform`, both ends included). Combinations
 * that differ only in inactive conditional parameters are one configuration.
 */
export function gridSampler(options: { points?: number } = {}): Sampler {
  const { points } = options;
  if (points !== undefined && (!Number.isInteger(points) || points < 1)) throw new SweepError(`gridSampler({ points: ${points} }): points must be an integer ≥ 1`);
  return {
    name: 'grid',
    sample(space, count) {
      const axes = space.gridUnits(points);
      const continuous = axes.findIndex((a) => a === null);
      if (continuous >= 0) throw new SweepError(`grid sampler: "${space.paths[continuous]}" is continuous; give it a grid size (gridSampler({ points: 5 })) or make it a choice`);
      const lists = axes as number[][];
      const total = lists.reduce((n, a) => n * a.length, 1);
      if (total > MAX_GRID) throw new SweepError(`grid sampler: the grid has ${total} points, more than ${MAX_GRID}; use fewer values or the random sampler`);
      const seen = new Set<string>();
      const out: Config[] = [];
      for (let i = 0; i < total && (count === undefined || out.length < count); i++) {
        let rest = i;
        const u = new Array<number>(lists.length);
        for (let d = lists.length - 1; d >= 0; d--) {
          u[d] = lists[d][rest % lists[d].length];
          rest = Math.floor(rest / lists[d].length);
        }
        const config = space.fromUnits(u);
        const key = JSON.stringify(config);
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(config);
      }
      return out;
    },
  };
}

const SAMPLERS: Record<string, () => Sampler> = { random: randomSampler, sobol: sobolSampler, grid: gridSampler };

/** A sampler from its name (`'random'`, `'sobol'`, `'grid'`) or itself. */
export function resolveSampler(sampler: string | Sampler | undefined): Sampler {
  if (sampler === undefined) return randomSampler();
  if (typeof sampler === 'string') {
    const make = SAMPLERS[sampler];
    if (make === undefined) throw new SweepError(`runSweep: unknown sampler "${sampler}"; use one of ${Object.keys(SAMPLERS).join(', ')} or a Sampler object`);
    return make();
  }
  if (typeof sampler !== 'object' || sampler === null || typeof sampler.sample !== 'function') throw new SweepError('runSweep: sampler must be a name or an object with sample(space, count, seed)');
  return sampler;
}
