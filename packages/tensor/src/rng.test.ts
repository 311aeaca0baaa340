import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { finite } from './__tests__/arbitraries';
import { Rng, type RngState } from './rng';

const seed = fc.integer({ min: 0, max: 0xffffffff });
const name = fc.constantFrom('init', 'dropout', 'shuffle', 'augment', 'a');

/** One step of a random-usage script: draw from the root or from a (possibly nested) named stream. */
type Step = { path: string[]; kind: 'uint' | 'uniform' | 'normal' | 'int' | 'perm' };
const step: fc.Arbitrary<Step> = fc.record({
  path: fc.array(name, { maxLength: 2 }),
  kind: fc.constantFrom<Step['kind']>('uint', 'uniform', 'normal', 'int', 'perm'),
});

/** Runs a script, returning every number drawn. */
function run(rng: Rng, steps: readonly Step[]): number[] {
  const out: number[] = [];
  for (const s of steps) {
    const r = s.path.reduce((acc, n) => acc.stream(n), rng);
    if (s.kind === 'uint') out.push(r.nextUint32());
    else if (s.kind === 'uniform') out.push(r.uniform());
    else if (s.kind === 'normal') out.push(r.normal());
    else if (s.kind === 'int') out.push(r.int(7));
    else out.push(...r.permutation(5));
  }
  return out;
}

function draws(r: Rng, n: number): number[] {
  return Array.from({ length: n }, () => r.nextUint32());
}

describe('Rng: reproducibility', () => {
  test('known answer: Rng(42) yields the pinned xoshiro128** sequence (checkpoints depend on it)', () => {
    const r = new Rng(42);
    expect(draws(r, 3)).toEqual([3246643020, 3564321739, 518591558]);
    expect(draws(r.stream('init'), 2)).toEqual([1126107201, 1971819206]);
  });

  test.prop([seed, fc.array(step, { maxLength: 20 })])('same seed → same sequence, for any usage script', (s, steps) => {
    // Arrange
    const a = new Rng(s);
    const b = new Rng(s);
    // Act / Assert
    expect(run(a, steps)).toEqual(run(b, steps));
  });

  test.prop([seed, fc.integer({ min: 1, max: 0xffffffff })])('different seeds → different sequences', (s, delta) => {
    expect(draws(new Rng(s), 4)).not.toEqual(draws(new Rng((s + delta) % 2 ** 32), 4));
  });

  test.prop([seed, fc.array(step, { maxLength: 20 }), name, fc.nat(20)])(
    'a named stream is independent of creation order: stream(a) gives the same numbers whatever other streams were created and used first',
    (s, otherUse, a, n) => {
      // Arrange: one generator used only through stream(a); another used arbitrarily before that
      const fresh = new Rng(s);
      const busy = new Rng(s);
      run(busy, otherUse.filter((st) => st.path[0] !== a));
      // Act / Assert
      expect(draws(busy.stream(a), n)).toEqual(draws(fresh.stream(a), n));
    },
  );

  test.prop([seed])('stream(name) returns the same object every time, and differs from the root and other streams', (s) => {
    const r = new Rng(s);
    expect(r.stream('init')).toBe(r.stream('init'));
    const root = draws(new Rng(s), 4);
    expect(draws(r.stream('init'), 4)).not.toEqual(root);
    expect(draws(new Rng(s).stream('dropout'), 4)).not.toEqual(draws(new Rng(s).stream('init'), 4));
  });
});

describe('Rng: state round trip', () => {
  test.prop([seed, fc.array(step, { maxLength: 15 }), fc.array(step, { maxLength: 15 })])(
    'getState/setState through JSON gives the identical continuation, including child streams',
    (s, before, after) => {
      // Arrange
      const original = new Rng(s);
      run(original, before);
      const saved: RngState = JSON.parse(JSON.stringify(original.getState()));
      // Act
      const expected = run(original, after);
      const restored = new Rng(s);
      restored.setState(saved);
      // Assert
      expect(run(restored, after)).toEqual(expected);
    },
  );

  test.prop([seed, fc.array(step, { maxLength: 15 }), fc.array(step, { maxLength: 15 })])(
    'setState on the live generator rewinds it, resetting streams first created after the snapshot',
    (s, before, after) => {
      const rng = new Rng(s);
      run(rng, before);
      const saved = rng.getState();
      const expected = run(rng, after);
      rng.setState(saved);
      expect(run(rng, after)).toEqual(expected);
    },
  );

  test.prop([seed, fc.array(step, { maxLength: 10 }), fc.nat(10)])("a stream's own getState/setState round-trips its subtree", (s, before, n) => {
    const rng = new Rng(s);
    run(rng, before);
    const child = rng.stream('a');
    const saved = child.getState();
    const expected = [...draws(child, n), ...draws(child.stream('init'), n)];
    child.setState(saved);
    expect([...draws(child, n), ...draws(child.stream('init'), n)]).toEqual(expected);
  });

  test('setState rejects a state for another seed, or malformed words, and changes nothing', () => {
    const rng = new Rng(1);
    const good = rng.getState();
    expect(() => rng.setState(new Rng(2).getState())).toThrow('Rng.setState: state is not an RngState for seed 1 (got seed 2)');
    const bad = { seed: 1, streams: { '': good.streams[''], init: [1, 2, 3] } } as unknown as RngState;
    rng.nextUint32();
    const before = rng.getState();
    expect(() => rng.setState(bad)).toThrow('Rng.setState: stream "init" must be 4 uint32 words');
    expect(rng.getState()).toEqual(before);
  });

  test('setState refuses an all-zero stream state (xoshiro\'s fixed point, where every draw would be 0) and changes nothing', () => {
    const rng = new Rng(1);
    const before = rng.getState();
    const zero = { seed: 1, streams: { '': [0, 0, 0, 0] } } as RngState;
    expect(() => rng.setState(zero)).toThrow('Rng.setState: stream "" has the all-zero state');
    expect(rng.getState()).toEqual(before);
  });
});

describe('Rng: distributions', () => {
  test.prop([seed, finite(-1e3, 1e3), finite(1e-3, 1e3)])('uniform(lo, hi) lies in [lo, hi)', (s, lo, width) => {
    const r = new Rng(s);
    const hi = lo + width;
    for (let i = 0; i < 100; i++) {
      const u = r.uniform(lo, hi);
      expect(u).toBeGreaterThanOrEqual(lo);
      expect(u).toBeLessThan(hi);
    }
  });

  test.prop([seed, fc.integer({ min: 1, max: 2 ** 32 })])('int(n) is an integer in [0, n)', (s, n) => {
    const r = new Rng(s);
    for (let i = 0; i < 50; i++) {
      const k = r.int(n);
      expect(Number.isInteger(k)).toBe(true);
      expect(k).toBeGreaterThanOrEqual(0);
      expect(k).toBeLessThan(n);
    }
  });

  test.prop([seed, fc.nat(200)])('permutation(n) contains each of 0..n-1 exactly once', (s, n) => {
    const p = Array.from(new Rng(s).permutation(n)).sort((a, b) => a - b);
    expect(p).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  test.prop([seed, finite(-5, 5), finite(0.1, 3)], { numRuns: 10 })(
    'normal and fillNormal: the mean and std of 20 000 samples are within 5 standard errors of (mean, std)',
    (s, mean, std) => {
      const n = 20_000;
      const r = new Rng(s);
      const single = Float64Array.from({ length: n }, () => r.normal(mean, std));
      const filled = r.fillNormal(new Float32Array(n), mean, std);
      for (const xs of [Array.from(single), Array.from(filled)]) {
        const m = xs.reduce((a, b) => a + b, 0) / n;
        const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (n - 1));
        // standard error of the mean is std/√n; of the sample std about std/√(2n)
        expect(Math.abs(m - mean)).toBeLessThan((5 * std) / Math.sqrt(n));
        expect(Math.abs(sd - std)).toBeLessThan((5 * std) / Math.sqrt(2 * n));
      }
    },
  );

  test.prop([seed, fc.double({ min: 0, max: 1, noNaN: true })], { numRuns: 20 })(
    'fillBernoulli(p): the fraction of ones in 20 000 draws is within 5 binomial standard errors of p',
    (s, p) => {
      const n = 20_000;
      const out = new Rng(s).fillBernoulli(new Float32Array(n), p);
      const ones = out.reduce((a, b) => a + b, 0);
      expect(out.every((v) => v === 0 || v === 1)).toBe(true);
      expect(Math.abs(ones / n - p)).toBeLessThanOrEqual(5 * Math.sqrt((p * (1 - p)) / n) + 1 / n);
    },
  );

  test('bernoulli(0) is never true and bernoulli(1) always', () => {
    const r = new Rng(3);
    for (let i = 0; i < 100; i++) {
      expect(r.bernoulli(0)).toBe(false);
      expect(r.bernoulli(1)).toBe(true);
    }
  });
});

describe('Rng: invalid arguments', () => {
  test.each([-1, 1.5, 2 ** 32, NaN])('new Rng(%s) throws a ValueError stating the valid range', (bad) => {
    expect(() => new Rng(bad)).toThrow(`Rng: seed must be an integer in [0, 2^32), got ${bad}`);
  });

  test.each([-0.1, 1.5, NaN])('bernoulli and fillBernoulli with p = %s throw a ValueError', (p) => {
    const r = new Rng(0);
    expect(() => r.bernoulli(p)).toThrow(`Rng.bernoulli: p must be in [0, 1], got ${p}`);
    expect(() => r.fillBernoulli(new Float32Array(3), p)).toThrow(`Rng.fillBernoulli: p must be in [0, 1], got ${p}`);
  });

  test('int(n) outside [1, 2^32], permutation(-1) and a bad stream name throw a ValueError', () => {
    const r = new Rng(0);
    expect(() => r.int(0)).toThrow('Rng.int: n must be an integer in [1, 2^32], got 0');
    expect(() => r.int(2.5)).toThrow('Rng.int: n must be an integer in [1, 2^32], got 2.5');
    expect(() => r.permutation(-1)).toThrow('Rng.permutation: n must be a non-negative integer, got -1');
    expect(() => r.stream('a/b')).toThrow('Rng.stream: invalid stream name "a/b"');
    expect(() => r.stream('')).toThrow('Rng.stream: invalid stream name ""');
  });
});
