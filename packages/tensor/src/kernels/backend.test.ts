// Guards the test matrix of vitest.config.ts: every kernel suite runs once per project, and a
// project only tests what it says if its files really run on that backend, SIMD build and thread
// count (test files share their worker's modules, so a worker reused across projects would not).
import { expect, test } from 'vitest';
import { getKernelBackend, getKernelVariant, getThreads } from '../index';
import { relaxedSimdSupported } from './wasm/simd';

test("each kernel project runs on the backend and thread count it names (TRAINKIT_KERNELS, the threads project's pool)", () => {
  expect(getKernelBackend()).toBe(process.env.TRAINKIT_KERNELS ?? 'wasm');
  expect(getThreads()).toBe(Number(process.env.TRAINKIT_TEST_THREADS ?? 1));
});

test('each kernel project runs the SIMD build it names (TRAINKIT_SIMD=plain|relaxed; unset: relaxed exactly where the runtime validates it)', () => {
  const env = process.env.TRAINKIT_SIMD;
  const expected = process.env.TRAINKIT_KERNELS === 'js' ? 'js' : env === 'plain' ? 'simd' : env === 'relaxed' || relaxedSimdSupported() ? 'relaxed-simd' : 'simd';
  expect(getKernelVariant()).toBe(expected);
});
