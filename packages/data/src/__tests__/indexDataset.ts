import { TensorDataset } from '../dataset';

/**
 * Test helper: `n` samples of shape `sampleShape` whose every value is the sample's index
 * and whose label is `index mod numClasses`, so a batch tells which samples it holds.
 */
export function indexDataset(n: number, sampleShape: readonly number[] = [2], numClasses = 3): TensorDataset {
  const size = sampleShape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(n * size);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    x.fill(i, i * size, (i + 1) * size);
    y[i] = i % numClasses;
  }
  return new TensorDataset({ x, y, sampleShape, numClasses });
}

/** The sample indices held by a batch of an {@link indexDataset} (first value of each row). */
export function sampleIds(x: { data: Float32Array; shape: readonly number[] }): number[] {
  const rows = x.shape[0];
  const size = rows === 0 ? 0 : x.data.length / rows;
  return Array.from({ length: rows }, (_, r) => x.data[r * size]);
}
