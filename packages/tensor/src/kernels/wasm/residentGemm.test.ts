import { afterAll, describe, expect, test } from 'vitest';
import { startThreadPool, stopThreadPool } from '../../node';
import { Rng } from '../../rng';
import { Tensor } from '../../tensor';
import { gemm, type GemmArgs } from '../gemm';
import { allocResident, residentKernels, zeroFloats } from './resident';
import { currentRuntime, getKernelBackend, getThreads } from './runtime';

const inPool = getThreads() > 1; // the kernels:threads project starts a pool in its setup file
afterAll(async () => {
  if (!inPool) await stopThreadPool();
});

function expectSameBits(actual: Float32Array, expected: Float32Array, what: string): void {
  expect(actual.length).toBe(expected.length);
  for (let j = 0; j < actual.length; j++) if (!Object.is(actual[j], expected[j])) expect.fail(`${what} index ${j}: ${actual[j]} vs ${expected[j]}`);
}

/** A product big enough to be split across the pool, with ragged sizes; operands as ordinary arrays. */
function operands(seed: number): { M: number; N: number; K: number; A: Float32Array; B: Float32Array; C: Float32Array } {
  const rng = new Rng(seed);
  const [M, N, K] = [37, 203, 91];
  return { M, N, K, A: rng.fillNormal(new Float32Array(M * K + 5)), B: rng.fillNormal(new Float32Array(K * N + 3)), C: rng.fillNormal(new Float32Array(M * N + 7)) };
}

/** The same GEMM on ordinary copies of the operands: the reference bits. */
function reference(args: GemmArgs): Float32Array {
  const C = args.C.slice();
  gemm({ ...args, A: args.A.slice(), B: args.B.slice(), C });
  return C;
}

describe.runIf(getKernelBackend() === 'wasm')("the kernels use operands in a thread pool's shared memory where they are", () => {
  test.each([
    ['A, B and C resident, C accumulated in place', [true, true, true], true],
    ['only C resident (a gradient), overwritten', [false, false, true], false],
    ['only B resident (a weight)', [false, true, false], true],
  ] as const)('%s: the same bits as the product of ordinary copies, at offsets and transposed', async (_, where, accumulate) => {
    await startThreadPool(2);
    const o = operands(where.filter(Boolean).length);
    const block = (allocResident([[o.A.length, o.B.length, o.C.length]]) as Float32Array[][])[0];
    expect(residentKernels(block[0])).toBe(currentRuntime().sharedKernels);
    const [A, B, C] = [o.A, o.B, o.C].map((x, i) => {
      if (!where[i]) return x.slice();
      block[i].set(x);
      return block[i];
    });
    for (const [transA, transB] of [[false, false], [true, true]] as const) {
      const args: GemmArgs = { transA, transB, M: o.M, N: o.N, K: o.K, A, aOffset: 5, B, bOffset: 3, C, cOffset: 7, accumulate };
      const expected = reference(args);
      gemm(args);
      expectSameBits(C, expected, 'C');
    }
    // the inputs are untouched
    expectSameBits(A, o.A, 'A');
    expectSameBits(B, o.B, 'B');
    if (!inPool) await stopThreadPool();
  });

  test('a product whose output overlaps an input in resident memory is computed from the input as it was (copied, not in place)', async () => {
    await startThreadPool(2);
    // more rows than one packed block of A and more of k than one block of B: the kernel reads A
    // again after it has written C's first rows
    const [M, N, K] = [130, 70, 300];
    const [buf] = (allocResident([[M * K + K * N]]) as Float32Array[][])[0];
    new Rng(5).fillNormal(buf);
    const before = buf.slice();
    // C lies inside A's later rows: written in place, it would change A while A is still read
    const args: GemmArgs = { transA: false, transB: false, M, N, K, A: buf, B: buf, bOffset: M * K, C: buf, cOffset: 20_000, accumulate: true };
    const expected = reference({ ...args, A: before, B: before, C: before.slice() });
    gemm(args);
    expectSameBits(buf, expected, 'buffer');
    if (!inPool) await stopThreadPool();
  });

  test('zeroGrad and zeroFloats zero resident arrays (in the pool and in a block of their own) and ordinary ones', async () => {
    for (const pool of [true, false]) {
      if (pool) await startThreadPool(2);
      else await stopThreadPool();
      const [value, grad] = (allocResident([[1003, 1003]]) as Float32Array[][])[0];
      const p = new Tensor(new Float32Array(1003), [1003], { requiresGrad: true });
      p.moveTo(value, grad);
      grad.fill(-2.5);
      value.fill(7);
      p.zeroGrad();
      expect(grad.every((v) => Object.is(v, 0))).toBe(true);
      expect(value.every((v) => v === 7)).toBe(true); // the neighbour in the block is untouched
      const plain = new Float32Array(9).fill(3);
      zeroFloats(plain);
      expect(Array.from(plain)).toEqual(Array(9).fill(0));
    }
    if (inPool) await startThreadPool(2);
  });
});
