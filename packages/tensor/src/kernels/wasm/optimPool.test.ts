import { afterAll, describe, expect, test } from 'vitest';
import { startThreadPool, stopThreadPool } from '../../node';
import { Rng } from '../../rng';
import { type AdamStepScalars, type MomentumStepScalars, adamStepKernel, firstNonFinite, momentumStepKernel } from './optim';
import { allocResident, residentKernels } from './resident';
import { currentRuntime, getKernelBackend, getThreads } from './runtime';

const inPool = getThreads() > 1; // the kernels:threads project starts a pool in its setup file
afterAll(async () => {
  if (!inPool) await stopThreadPool();
});

/** Past the pool's threshold, and not a multiple of 4 or of any chunk: every split has a ragged end. */
const N = 70_003;

const adam: AdamStepScalars = { beta1: 0.9, beta2: 0.999, oneMinusBeta1: Math.fround(0.1), oneMinusBeta2: Math.fround(0.001), eps: 1e-8, weightDecay: 0.01, stepSize: -0.001, biasCorrection2: Math.fround(Math.sqrt(0.001)), shrink: 1 };
const momentum: MomentumStepScalars = { alpha: -0.01, momentum: 0.9, keep: 1, weightDecay: 0, first: false, nesterov: true };

/** `count` arrays of N random values, as ordinary Float32Arrays and as copies in resident memory. */
function arrays(count: number): { plain: Float32Array[]; resident: Float32Array[] } {
  const rng = new Rng(11);
  const plain = Array.from({ length: count }, (_, i) => rng.fillNormal(new Float32Array(N), 0, i === 1 ? 0.01 : 1).map(Math.abs));
  const block = allocResident([Array<number>(count).fill(N)]);
  expect(block).not.toBeNull();
  const resident = (block as Float32Array[][])[0];
  resident.forEach((r, i) => r.set(plain[i]));
  return { plain, resident };
}

function expectSameBits(a: readonly Float32Array[], b: readonly Float32Array[]): void {
  a.forEach((x, i) => {
    for (let j = 0; j < x.length; j++) if (!Object.is(x[j], b[i][j])) expect.fail(`array ${i} index ${j}: ${x[j]} vs ${b[i][j]}`);
  });
}

describe.runIf(getKernelBackend() === 'wasm')("optimizer updates on a thread pool's resident memory", () => {
  test('Adam and momentum steps split across 2 threads give the bits of the single-threaded update of ordinary arrays', async () => {
    await startThreadPool(2);
    const a = arrays(5);
    const m = arrays(3);
    // the resident arrays live in the pool's shared memory: the update runs on its threads
    expect(residentKernels(a.resident[0])).toBe(currentRuntime().sharedKernels);
    for (let step = 0; step < 3; step++) {
      const [p, g, mm, v, vmax] = a.resident;
      expect(adamStepKernel(p, g, mm, v, vmax, adam)).toBe(true);
      expect(momentumStepKernel(m.resident[0], m.resident[1], m.resident[2], momentum)).toBe(true);
    }
    await stopThreadPool();
    for (let step = 0; step < 3; step++) {
      const [p, g, mm, v, vmax] = a.plain;
      expect(adamStepKernel(p, g, mm, v, vmax, adam)).toBe(true);
      expect(momentumStepKernel(m.plain[0], m.plain[1], m.plain[2], momentum)).toBe(true);
    }
    expectSameBits(a.resident, a.plain);
    expectSameBits(m.resident, m.plain);
    if (inPool) await startThreadPool(2);
  });

  test('firstNonFinite split across 2 threads finds the first bad value of the whole array, whichever chunk finishes first', async () => {
    await startThreadPool(2);
    const [x] = (allocResident([[N]]) as Float32Array[][])[0];
    expect(residentKernels(x)).toBe(currentRuntime().sharedKernels);
    expect(firstNonFinite(x)).toBe(-1);
    for (const at of [N - 1, 50_001, 1025, 3]) {
      x[at] = at % 2 === 0 ? Number.NaN : -Infinity;
      expect(firstNonFinite(x)).toBe(at);
    }
    if (!inPool) await stopThreadPool();
  });
});
