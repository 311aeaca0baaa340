import { Rng } from '@trainkit/tensor';
import { expect } from 'vitest';

/** Seeded normal values. */
export function randn(rng: Rng, n: number, std = 1): Float32Array {
  return rng.fillNormal(new Float32Array(n), 0, std);
}

/**
 * Asserts |gpu − cpu| ≤ rtol · max(1, max|cpu|) elementwise: relative to the reference's largest
 * magnitude, so a sum that cancels to near zero is judged against the size of its terms.
 */
export function expectClose(gpu: Float32Array, cpu: Float32Array, rtol: number, what: string): void {
  expect(gpu.length, `${what}: length`).toBe(cpu.length);
  let scale = 1;
  for (const v of cpu) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  let at = -1;
  for (let i = 0; i < cpu.length; i++) {
    const d = Math.abs(gpu[i] - cpu[i]);
    if (!(d <= worst)) [worst, at] = [d, i];
  }
  expect(worst / scale, `${what}: worst relative error at ${at} (gpu ${gpu[at]}, cpu ${cpu[at]})`).toBeLessThanOrEqual(rtol);
}
