// Guards the test matrix of vitest.config.ts: every kernel suite runs once per project, and a
// project only tests what it says if its files really run on that backend and thread count
// (test files share their worker's modules, so a worker reused across projects would not).
import { expect, test } from 'vitest';
import { getKernelBackend, getThreads } from '../index';

test("each kernel project runs on the backend and thread count it names (TRAINKIT_KERNELS, the threads project's pool)", () => {
  expect(getKernelBackend()).toBe(process.env.TRAINKIT_KERNELS ?? 'wasm');
  expect(getThreads()).toBe(Number(process.env.TRAINKIT_TEST_THREADS ?? 1));
});
