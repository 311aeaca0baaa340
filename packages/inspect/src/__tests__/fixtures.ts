import { Conv2d, Flatten, GlobalAvgPool, Linear, ReLU, Sequential } from '@trainkit/nn';
import { Rng, Tensor, crossEntropy } from '@trainkit/tensor';

/** Side of the synthetic images. */
export const SIZE = 16;
/** The bright patch that defines class 1: rows and columns [PATCH.from, PATCH.to). */
export const PATCH = { from: 9, to: 13 };

/**
 * `n` noisy 1×16×16 images: the odd ones (class 1) carry a bright 4×4 patch at PATCH, the
 * even ones (class 0) do not — so the evidence for class 1 is at a known place.
 */
export function patchImages(n: number, seed: number): { x: Tensor; y: Int32Array } {
  const rng = new Rng(seed);
  const data = rng.fillUniform(new Float32Array(n * SIZE * SIZE), 0, 0.3);
  const y = Int32Array.from({ length: n }, (_, i) => i % 2);
  for (let i = 0; i < n; i++) {
    if (y[i] === 0) continue;
    for (let r = PATCH.from; r < PATCH.to; r++) for (let c = PATCH.from; c < PATCH.to; c++) data[i * SIZE * SIZE + r * SIZE + c] = 1;
  }
  return { x: new Tensor(data, [n, 1, SIZE, SIZE]), y };
}

/** conv 3×3 1→4, ReLU, conv 3×3 4→8, ReLU, global average pool, linear 8→2 (a CAM-shaped net). */
export function tinyCnn(seed: number): Sequential {
  const rng = new Rng(seed).stream('init');
  return new Sequential({
    conv1: new Conv2d(1, 4, 3, { padding: 1, rng }),
    relu1: new ReLU(),
    conv2: new Conv2d(4, 8, 3, { padding: 1, rng }),
    relu2: new ReLU(),
    pool: new GlobalAvgPool(),
    flatten: new Flatten(),
    fc: new Linear(8, 2, { rng }),
  });
}

/** Full-batch gradient descent on cross-entropy; returns the last loss. */
export function train(model: Sequential, data: { x: Tensor; y: Int32Array }, steps: number, lr: number): number {
  let last = Infinity;
  for (let s = 0; s < steps; s++) {
    model.zeroGrad();
    const loss = crossEntropy(model.call(data.x), data.y);
    loss.backward();
    last = loss.item();
    for (const p of model.parameters()) for (let i = 0; i < p.size; i++) p.data[i] -= lr * (p.grad?.[i] ?? 0);
  }
  return last;
}
