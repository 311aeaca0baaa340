// The step arena with the wasm kernels: its fresh buffers live in the kernels' memory (while a
// thread pool runs, the kernels:threads project, the pool's shared memory), where the kernels
// read and write them in place instead of copying them in and out. Nothing else may change: the
// same bits as without an arena. On the JS kernels (kernels:js) nothing is resident and the bits
// still agree.
import { describe, expect, test } from 'vitest';
import { Arena } from '../../arena';
import { Rng } from '../../rng';
import { batchNorm } from '../../ops/batchNorm';
import { conv2d, conv2dReluPool } from '../../ops/conv';
import { relu } from '../../ops/elementwise';
import { crossEntropy } from '../../ops/loss';
import { gelu } from '../../ops/activation';
import { linear, matmul } from '../../ops/matmul';
import { layerNorm } from '../../ops/norm';
import { maxPool2d } from '../../ops/pool';
import { reshape, transpose } from '../../ops/shape';
import { softmax } from '../../ops/softmax';
import { Tensor } from '../../tensor';
import { allocResident, kernelsAt, poolFloats, residentAll, residentOwner } from './resident';
import { getThreads, localKernels, wasmKernels } from './runtime';

const pooled = getThreads() > 1;
/** Whether the wasm kernels run (every kernel project but kernels:js). */
const wasmOn = localKernels() !== null;

/**
 * A small network with every wasm op that takes arena buffers in place: fused conv + ReLU + pool,
 * Winograd conv, BatchNorm (also with its ReLU fused), ReLU, max pooling, LayerNorm, GELU, attention-style batched matmuls,
 * softmax and linear. With `resident`, the parameters and their gradients live in the kernels'
 * memory too (as an optimizer puts them, allocResident), so weight and gradient updates run in place.
 */
function network(seed: number, resident: boolean) {
  const rng = new Rng(seed);
  const param = (shape: number[], scale: number) => {
    const t = new Tensor(rng.fillNormal(new Float32Array(shape.reduce((a, b) => a * b, 1))).map((v) => v * scale), shape, { requiresGrad: true });
    const block = resident ? allocResident([[t.size, t.size]]) : null;
    if (block) {
      block[0][0].set(t.data);
      t.moveTo(block[0][0], block[0][1]);
    }
    return t;
  };
  const params = [param([8, 3, 3, 3], 0.3), param([8], 0.1), param([16, 8, 3, 3], 0.15), param([16], 1), param([16], 0.1), param([36], 1), param([36], 0.1), param([10, 144], 0.1), param([10], 0.1)];
  const [w1, b1, w2, gamma, beta, lnW, lnB, w3, b3] = params;
  const x = new Tensor(rng.fillNormal(new Float32Array(16 * 3 * 12 * 12)), [16, 3, 12, 12]);
  const y = Int32Array.from({ length: 16 }, (_, i) => (i * 7) % 10);
  const step = () => {
    const h = conv2dReluPool(x, w1, b1, { padding: 1 }); // [16, 8, 6, 6]
    const z = relu(batchNorm(conv2d(h, w2, null, { padding: 1 }), null, null, gamma, beta, { training: true })); // [16, 16, 6, 6]
    const zr = batchNorm(z, null, null, gamma, beta, { training: true, activation: 'relu' }); // fused: the masked gradient in scratch when it is resident
    const t = gelu(layerNorm(reshape(zr, [16, 16, 36]), [36], lnW, lnB)); // 16 images of 16 tokens × 36
    const mixed = matmul(softmax(matmul(t, transpose(t)), -1), t); // [16, 16, 36]
    const logits = linear(reshape(maxPool2d(reshape(mixed, [16, 16, 6, 6]), 2), [16, 144]), w3, b3);
    return { loss: crossEntropy(logits, y), probs: softmax(logits, -1), h, z };
  };
  return { params, step };
}

/** The loss, softmax and every parameter's gradient after `steps` steps (gradients accumulate), in `arena` or without one. */
function run(steps: number, arena: Arena | null, resident = false) {
  const { params, step } = network(5, resident);
  let out = { loss: 0, probs: [] as number[], resident: false };
  for (let s = 0; s < steps; s++) {
    arena?.reset();
    const r = arena ? arena.run(step) : step();
    if (arena) arena.run(() => r.loss.backward());
    else r.loss.backward();
    out = { loss: r.loss.item(), probs: Array.from(r.probs.data), resident: residentOwner(r.h.data) !== null && residentOwner(r.z.data) !== null };
  }
  return { ...out, grads: params.map((p) => Array.from(p.grad as Float32Array)) };
}

describe('the step arena and the thread pool', () => {
  test(`${pooled ? 'with' : 'without'} a thread pool (${wasmOn ? 'wasm' : 'JS'} kernels), a step in an arena gives the bits of the same step without one, over three steps of reused buffers`, () => {
    const arena = new Arena();
    const inArena = run(3, arena);
    const plain = run(3, null);
    expect(inArena.loss).toBe(plain.loss);
    expect(inArena.probs).toEqual(plain.probs);
    expect(inArena.grads).toEqual(plain.grads);
    // with the wasm kernels the arena's buffers are in the kernels' memory (the pool's, with one); with the JS kernels ordinary arrays
    expect(inArena.resident).toBe(wasmOn);
    expect(plain.resident).toBe(false);
    // parameters and gradients in the kernels' memory as well: the same bits again
    const allResident = run(3, new Arena(), true);
    expect(allResident.loss).toBe(plain.loss);
    expect(allResident.grads).toEqual(plain.grads);
  });

  test.runIf(pooled)("an op the pool does not split runs on the pool's instance when its input is in the pool's memory (in place), else on the module's own instance (cheaper copies)", () => {
    const inPool = poolFloats(2048) as Float32Array;
    expect(kernelsAt(localKernels(), inPool)).toBe(wasmKernels());
    expect(kernelsAt(localKernels(), new Float32Array(2048))).toBe(localKernels());
    expect(wasmKernels()).not.toBe(localKernels());
    expect(kernelsAt(null, inPool)).toBeNull();
  });

  test.runIf(pooled)('an arena buffer from the pool is zeros when fresh, and two overlapping resident arrays are both copied (a kernel may write one while it reads the other)', () => {
    const k = wasmKernels();
    const a = poolFloats(64) as Float32Array;
    expect(a).not.toBeNull();
    expect(a.every((v) => v === 0)).toBe(true);
    const shared = residentOwner(a);
    expect(shared).not.toBeNull();
    const head = a.subarray(0, 32);
    const tail = a.subarray(32);
    const [p, q] = residentAll(shared!, [head, tail]);
    expect([p, q]).toEqual([head.byteOffset, tail.byteOffset]);
    expect(residentAll(shared!, [a, tail])).toEqual([-1, -1]);
    expect(residentAll(shared!, [a, new Float32Array(4)])).toEqual([a.byteOffset, -1]);
    expect(k).not.toBeNull();
  });
});
