import type { Module } from '@trainkit/nn';
import { Rng, Tensor, noGrad, shapeSize, slice } from '@trainkit/tensor';
import * as ort from 'onnxruntime-node';
import { expect } from 'vitest';

/** `count` seeded inputs of `shape` (without the batch axis) with values in [0, 1), like pixel intensities. */
export function inputs(count: number, shape: readonly number[], seed = 0): Tensor {
  const full = [count, ...shape];
  return new Tensor(new Rng(seed).fillUniform(new Float32Array(shapeSize(full))), full);
}

/** Runs an `.onnx` file in ONNX Runtime (CPU) on each input. */
export async function runOrt(bytes: Uint8Array, xs: readonly Tensor[], names = { input: 'input', output: 'output' }): Promise<Array<{ data: Float32Array; dims: number[] }>> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const out = [];
    for (const x of xs) {
      const y = (await session.run({ [names.input]: new ort.Tensor('float32', x.data.slice(), [...x.shape]) }))[names.output];
      out.push({ data: y.data as Float32Array, dims: [...y.dims] });
    }
    return out;
  } finally {
    await session.release();
  }
}

/** trainkit's own output in evaluation mode. */
export function reference(model: Module, x: Tensor): Tensor {
  model.eval();
  return noGrad(() => model.call(x));
}

/** |onnx − trainkit| ≤ 1e-5 · max(|trainkit|, 1) element-wise (relative, with an absolute floor at 1e-5 for values near 0). */
export function expectClose(actual: Float32Array, expected: Float32Array, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / Math.max(Math.abs(expected[i]), 1);
    if (!(err <= worst)) {
      worst = err;
      at = i;
    }
  }
  expect(worst, `${what}: worst relative error at element ${at}: onnx ${actual[at]} vs trainkit ${expected[at]}`).toBeLessThanOrEqual(1e-5);
}

/**
 * For each batch size: the first `n` of `images`, run by trainkit and by ONNX Runtime from
 * `bytes`, agree element-wise (64 images in batches of `n`, the last batch shorter).
 */
export async function expectSameOutputs(model: Module, bytes: Uint8Array, images: Tensor, batchSizes: readonly number[]): Promise<void> {
  const N = images.shape[0];
  for (const n of batchSizes) {
    const batches = Array.from({ length: Math.ceil(N / n) }, (_, b) => slice(images, 0, b * n, Math.min((b + 1) * n, N)));
    const results = await runOrt(bytes, batches);
    batches.forEach((x, b) => {
      const want = reference(model, x);
      expect(results[b].dims, `batch of ${x.shape[0]}: output shape`).toEqual([...want.shape]);
      expectClose(results[b].data, want.data, `batch size ${n}, images ${b * n}..${b * n + x.shape[0] - 1}`);
    });
  }
}
