import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { finite, valuesOf } from '../__tests__/arbitraries';
import { Rng } from '../rng';
import { gemm, gemmBatch } from './gemm';

interface Case {
  transA: boolean;
  transB: boolean;
  M: number;
  N: number;
  K: number;
  accumulate: boolean;
  aOffset: number;
  bOffset: number;
  cOffset: number;
  A: Float32Array;
  B: Float32Array;
  C: Float32Array;
}

/** op(A)·op(B) (+ C) by the textbook triple loop in float64, plus Σ|a·b| per entry for the tolerance. */
function naive(c: Case): { ref: Float64Array; scale: Float64Array } {
  const { transA, transB, M, N, K, A, B, C } = c;
  const a = (i: number, k: number) => A[c.aOffset + (transA ? k * M + i : i * K + k)];
  const b = (k: number, j: number) => B[c.bOffset + (transB ? j * K + k : k * N + j)];
  const ref = new Float64Array(M * N);
  const scale = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = c.accumulate ? C[c.cOffset + i * N + j] : 0;
      let m = Math.abs(s);
      for (let k = 0; k < K; k++) {
        s += a(i, k) * b(k, j);
        m += Math.abs(a(i, k) * b(k, j));
      }
      ref[i * N + j] = s;
      scale[i * N + j] = m;
    }
  }
  return { ref, scale };
}

/** Runs gemm on a copy of C and checks every entry against the naive loop, and that C outside the result is untouched. */
function expectMatchesNaive(c: Case): void {
  const { ref, scale } = naive(c);
  const C = c.C.slice();
  gemm({ ...c, C });
  const { M, N, cOffset } = c;
  for (let i = 0; i < M * N; i++) {
    // float32 storage plus at most a few roundings of the float64 partial sums
    expect(Math.abs(C[cOffset + i] - ref[i])).toBeLessThanOrEqual(4 * 2 ** -24 * scale[i] + 1e-30);
  }
  for (let i = 0; i < cOffset; i++) expect(C[i]).toBe(c.C[i]);
  for (let i = cOffset + M * N; i < C.length; i++) expect(C[i]).toBe(c.C[i]);
}

const smallCase: fc.Arbitrary<Case> = fc
  .record({
    transA: fc.boolean(),
    transB: fc.boolean(),
    M: fc.integer({ min: 1, max: 11 }),
    N: fc.integer({ min: 1, max: 11 }),
    K: fc.integer({ min: 1, max: 11 }),
    accumulate: fc.boolean(),
    aOffset: fc.integer({ min: 0, max: 3 }),
    bOffset: fc.integer({ min: 0, max: 3 }),
    cOffset: fc.integer({ min: 0, max: 3 }),
  })
  .chain((p) =>
    fc
      .tuple(valuesOf(p.aOffset + p.M * p.K), valuesOf(p.bOffset + p.K * p.N), valuesOf(p.cOffset + p.M * p.N + 2, finite(-10, 10)))
      .map(([A, B, C]) => ({ ...p, A: Float32Array.from(A), B: Float32Array.from(B), C: Float32Array.from(C) })),
  );

describe('gemm', () => {
  test.prop([smallCase], { numRuns: 200 })(
    'gemm matches a naive triple loop for all four transpose combinations and odd sizes, with and without accumulate',
    (c) => expectMatchesNaive(c),
  );

  // sizes that cross the packing blocks (MC = 128 rows, KC = 256 depth, NC = 2048 columns)
  const blockCrossing = [
    { M: 131, N: 9, K: 261 },
    { M: 3, N: 2051, K: 5 },
  ];
  const flags = [false, true];
  for (const { M, N, K } of blockCrossing) {
    for (const transA of flags) {
      for (const transB of flags) {
        test(`gemm matches the naive loop across cache blocks: M=${M} N=${N} K=${K} transA=${transA} transB=${transB}, with and without accumulate`, () => {
          const r = new Rng(M * 7 + N + K);
          const fill = (n: number) => r.fillUniform(new Float32Array(n), -1, 1);
          const [A, B, C] = [fill(M * K), fill(K * N), fill(M * N)];
          for (const accumulate of flags) expectMatchesNaive({ transA, transB, M, N, K, accumulate, aOffset: 0, bOffset: 0, cOffset: 0, A, B, C });
        });
      }
    }
  }

  test('gemm with K = 0 writes zeros, or leaves C as is when accumulating', () => {
    const C = Float32Array.of(1, 2, 3, 4);
    gemm({ transA: false, transB: false, M: 2, N: 2, K: 0, A: new Float32Array(0), B: new Float32Array(0), C, accumulate: true });
    expect(Array.from(C)).toEqual([1, 2, 3, 4]);
    gemm({ transA: false, transB: false, M: 2, N: 2, K: 0, A: new Float32Array(0), B: new Float32Array(0), C });
    expect(Array.from(C)).toEqual([0, 0, 0, 0]);
  });

  test('gemm hand example: [[1, 2], [3, 4]]·[[5, 6], [7, 8]] = [[19, 22], [43, 50]]', () => {
    const C = new Float32Array(4);
    gemm({ transA: false, transB: false, M: 2, N: 2, K: 2, A: Float32Array.of(1, 2, 3, 4), B: Float32Array.of(5, 6, 7, 8), C });
    // 1·5 + 2·7 = 19, 1·6 + 2·8 = 22, 3·5 + 4·7 = 43, 3·6 + 4·8 = 50
    expect(Array.from(C)).toEqual([19, 22, 43, 50]);
  });
});

describe('gemmBatch', () => {
  /** A batch of products of one shape, each operand's matrices one after another from an offset. */
  const batchCase = fc.record({
    transA: fc.boolean(),
    transB: fc.boolean(),
    M: fc.integer({ min: 1, max: 40 }),
    N: fc.integer({ min: 1, max: 40 }),
    K: fc.integer({ min: 1, max: 40 }),
    batch: fc.integer({ min: 1, max: 6 }),
    accumulate: fc.boolean(),
    offset: fc.integer({ min: 0, max: 5 }),
    seed: fc.nat(),
  });

  test.prop([batchCase], { numRuns: 60 })('gemmBatch gives, bit for bit, what gemm gives on each product of the batch (transposes, accumulation, offsets)', (c) => {
    const rng = new Rng(c.seed);
    const { M, N, K, batch, offset } = c;
    const fill = (n: number) => Float32Array.from({ length: offset + n }, () => rng.normal());
    const A = fill(batch * M * K);
    const B = fill(batch * K * N);
    const C0 = fill(batch * M * N);
    const [one, all] = [C0.slice(), C0.slice()];
    const base = { transA: c.transA, transB: c.transB, M, N, K, A, B, accumulate: c.accumulate };
    for (let i = 0; i < batch; i++) gemm({ ...base, C: one, aOffset: offset + i * M * K, bOffset: offset + i * K * N, cOffset: offset + i * M * N });
    gemmBatch({ ...base, C: all, aOffset: offset, bOffset: offset, cOffset: offset }, batch);
    expect(all).toEqual(one);
  });

  test.each([[false, false], [true, false], [false, true], [true, true]])('a tall, narrow product (a linear layer over 3,000 tokens: 3000×64 · 64×48, transA %s, transB %s; the pool splits its rows) gives the bits of the one-thread kernel', (transA, transB) => {
    const rng = new Rng(3);
    const [M, N, K] = [3000, 48, 64];
    const fill = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
    const [A, B, C0] = [fill(M * K), fill(K * N), fill(M * N)];
    const [pooled, single] = [C0.slice(), C0.slice()];
    gemm({ transA, transB, M, N, K, A, B, C: pooled, accumulate: true });
    gemmBatch({ transA, transB, M, N, K, A, B, C: single, accumulate: true }, 1); // a batch of one: one kernel call, never the pool
    expect(pooled).toEqual(single);
  });

  test.each([false, true])('a batch big enough to split across a thread pool (64 products of 50×16×50, attention-sized; accumulate %s) gives gemm\'s bits on each product', (accumulate) => {
    const rng = new Rng(7);
    const [M, N, K, batch] = [50, 50, 16, 64];
    const fill = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
    const [A, B, C0] = [fill(batch * M * K), fill(batch * K * N), fill(batch * M * N)];
    const [one, all] = [C0.slice(), C0.slice()];
    for (let i = 0; i < batch; i++) gemm({ transA: false, transB: true, M, N, K, A, B, C: one, accumulate, aOffset: i * M * K, bOffset: i * K * N, cOffset: i * M * N });
    gemmBatch({ transA: false, transB: true, M, N, K, A, B, C: all, accumulate }, batch);
    expect(all).toEqual(one);
  });
});
