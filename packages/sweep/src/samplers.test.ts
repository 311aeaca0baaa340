import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { sobolPoint } from './sobol';
import { choice, compileSpace, gridSampler, int, logUniform, randomSampler, resolveSampler, sobolSampler, uniform, when } from './index';

const space = compileSpace({ lr: logUniform(1e-4, 1e-1), width: int(8, 32, 8), act: choice(['relu', 'tanh']), p: uniform(0, 0.5) });

describe('samplers', () => {
  test.prop([fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom('random', 'sobol')])('the same seed gives the same configurations', (seed, name) => {
    expect(resolveSampler(name).sample(space, 6, seed)).toEqual(resolveSampler(name).sample(space, 6, seed));
  });

  test('different seeds give different configurations', () => {
    expect(randomSampler().sample(space, 4, 1)).not.toEqual(randomSampler().sample(space, 4, 2));
    expect(sobolSampler().sample(space, 4, 1)).not.toEqual(sobolSampler().sample(space, 4, 2));
  });

  test.prop([fc.integer({ min: 1, max: 7 }), fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 16, maxLength: 16 })])(
    'every 2^k Sobol points put exactly one point in each of the 2^k equal slices of every dimension (shift or not)',
    (k, shift) => {
      const n = 2 ** k;
      const points = Array.from({ length: n }, (_, i) => sobolPoint(i, shift));
      for (let d = 0; d < 16; d++) expect(new Set(points.map((p) => Math.floor(p[d] * n))).size).toBe(n);
    },
  );

  test('the first two Sobol dimensions form a (0, m, 2)-net: 16 points, one in each 4×4 cell', () => {
    const cells = new Set(Array.from({ length: 16 }, (_, i) => sobolPoint(i, [0, 0])).map(([x, y]) => `${Math.floor(x * 4)},${Math.floor(y * 4)}`));
    expect(cells.size).toBe(16);
  });

  test('grid: every combination of choices and int steps, first parameter slowest', () => {
    const grid = gridSampler().sample(compileSpace({ act: choice(['relu', 'tanh']), width: int(8, 24, 8) }), undefined, 0);
    expect(grid).toEqual([
      { act: 'relu', width: 8 }, { act: 'relu', width: 16 }, { act: 'relu', width: 24 },
      { act: 'tanh', width: 8 }, { act: 'tanh', width: 16 }, { act: 'tanh', width: 24 },
    ]);
  });

  test('grid: continuous parameters take `points` values with both ends; inactive conditionals do not duplicate', () => {
    const s = compileSpace({ opt: choice(['sgd', 'momentum']), momentum: when((c) => c.opt === 'momentum', uniform(0.5, 0.9)) });
    expect(gridSampler({ points: 3 }).sample(s, undefined, 0)).toEqual([{ opt: 'sgd' }, { opt: 'momentum', momentum: 0.5 }, { opt: 'momentum', momentum: 0.7 }, { opt: 'momentum', momentum: 0.9 }]);
  });

  test('bad sampler input is refused with what to do', () => {
    expect(() => gridSampler().sample(space, undefined, 0)).toThrow('grid sampler: "lr" is continuous; give it a grid size (gridSampler({ points: 5 })) or make it a choice');
    expect(() => resolveSampler('tpe')).toThrow('runSweep: unknown sampler "tpe"; use one of random, sobol, grid or a Sampler object');
    expect(() => randomSampler().sample(space, undefined, 0)).toThrow(/say how many trials/);
    expect(() => gridSampler({ points: 0 })).toThrow(/points must be an integer ≥ 1/);
    const wide = compileSpace(Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`p${i}`, uniform(0, 1)])));
    expect(() => sobolSampler().sample(wide, 2, 0)).toThrow(/supports up to 16 parameters, the space has 17/);
  });
});
