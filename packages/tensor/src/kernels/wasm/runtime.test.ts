import { afterAll, describe, expect, test } from 'vitest';
import { startThreadPool } from '../../node';
import { poolWorkload as workload } from '../../__tests__/poolWorkload';
import { firstNonFinite } from './optim';
import { allocResident, residentKernels } from './resident';
import { getKernelBackend, getThreads, resetKernels, setKernelBackend, wasmKernels } from './runtime';

const env = process.env.TRAINKIT_KERNELS;
const fresh = env === 'js' ? 'js' : 'wasm'; // what a fresh import runs on in Node
const inPool = getThreads() > 1; // the kernels:threads project starts a pool in its setup file
afterAll(async () => {
  if (inPool) await startThreadPool(2);
});

describe('resetKernels', () => {
  test('puts back the state of a fresh import: the backend from TRAINKIT_KERNELS and one thread', async () => {
    setKernelBackend(fresh === 'js' ? 'wasm' : 'js');
    await resetKernels();
    expect(getKernelBackend()).toBe(fresh);
    expect(getThreads()).toBe(1);
  });

  test.runIf(fresh === 'wasm')('stops a running thread pool, and a new pool starts after it', async () => {
    expect(await startThreadPool(2)).toBe(2);
    await resetKernels();
    expect(getThreads()).toBe(1);
    expect(await startThreadPool(2)).toBe(2);
    await resetKernels();
    expect(getThreads()).toBe(1);
  });

  test.runIf(fresh === 'wasm')('drops the compiled kernels: the next op runs on a new instance and gives the same bits', async () => {
    const before = wasmKernels();
    const one = workload();
    await resetKernels();
    const again = workload();
    expect(wasmKernels()).not.toBe(before);
    again.forEach((arr, i) => expect(Array.from(arr)).toEqual(Array.from(one[i])));
  });

  test.runIf(fresh === 'wasm')('leaves resident arrays valid: the fused kernels still update them in place', async () => {
    const block = allocResident([[8]]);
    expect(block).not.toBeNull();
    const [x] = (block as Float32Array[][])[0];
    await resetKernels();
    expect(residentKernels(x)).not.toBeNull();
    x[5] = Number.NaN;
    expect(firstNonFinite(x)).toBe(5);
  });
});
