// The step arena while a thread pool runs (the kernels:threads project): its fresh buffers live
// in the pool's shared memory, where the kernels read and write them in place instead of copying
// them in and out. Nothing else may change: the same bits as without an arena. Without a pool
// (the other projects) the same tests check that nothing is resident and the bits still agree.
import { describe, expect, test } from 'vitest';
import { Arena } from '../../arena';
import { Rng } from '../../rng';
import { batchNorm } from '../../ops/batchNorm';
import { conv2d, conv2dReluPool } from '../../ops/conv';
import { relu } from '../../ops/elementwise';
import { crossEntropy } from '../../ops/loss';
import { linear } from '../../ops/matmul';
import { maxPool2d } from '../../ops/pool';
import { reshape } from '../../ops/shape';
import { softmax } from '../../ops/softmax';
import { Tensor } from '../../tensor';
import { poolFloats, residentAll, residentOwner } from './resident';
import { getThreads, wasmKernels } from './runtime';

const pooled = getThreads() > 1;

/** A small CNN with every wasm op that takes arena buffers in place: fused conv + ReLU + pool, Winograd conv, BatchNorm, ReLU, max pooling, linear, softmax. */
function network(seed: number) {
  const rng = new Rng(seed);
  const param = (shape: number[], scale: number) => new Tensor(rng.fillNormal(new Float32Array(shape.reduce((a, b) => a * b, 1))).map((v) => v * scale), shape, { requiresGrad: true });
  const params = [param([8, 3, 3, 3], 0.3), param([8], 0.1), param([16, 8, 3, 3], 0.15), param([16], 1), param([16], 0.1), param([10, 144], 0.1), param([10], 0.1)];
  const [w1, b1, w2, gamma, beta, w3, b3] = params;
  const x = new Tensor(rng.fillNormal(new Float32Array(16 * 3 * 12 * 12)), [16, 3, 12, 12]);
  const y = Int32Array.from({ length: 16 }, (_, i) => (i * 7) % 10);
  const step = () => {
    const h = conv2dReluPool(x, w1, b1, { padding: 1 }); // [16, 8, 6, 6]
    const z = relu(batchNorm(conv2d(h, w2, null, { padding: 1 }), null, null, gamma, beta, { training: true })); // [16, 16, 6, 6]
    const logits = linear(reshape(maxPool2d(z, 2), [16, 144]), w3, b3);
    return { loss: crossEntropy(logits, y), probs: softmax(logits, -1), h };
  };
  return { params, step };
}

/** The loss, softmax and every parameter's gradient after `steps` steps (gradients accumulate), in `arena` or without one. */
function run(steps: number, arena: Arena | null) {
  const { params, step } = network(5);
  let out = { loss: 0, probs: [] as number[], resident: false };
  for (let s = 0; s < steps; s++) {
    arena?.reset();
    const r = arena ? arena.run(step) : step();
    if (arena) arena.run(() => r.loss.backward());
    else r.loss.backward();
    out = { loss: r.loss.item(), probs: Array.from(r.probs.data), resident: residentOwner(r.h.data) !== null };
  }
  return { ...out, grads: params.map((p) => Array.from(p.grad as Float32Array)) };
}

describe('the step arena and the thread pool', () => {
  test(`${pooled ? 'with' : 'without'} a thread pool, a step in an arena gives the bits of the same step without one, over three steps of reused buffers`, () => {
    const arena = new Arena();
    const inArena = run(3, arena);
    const plain = run(3, null);
    expect(inArena.loss).toBe(plain.loss);
    expect(inArena.probs).toEqual(plain.probs);
    expect(inArena.grads).toEqual(plain.grads);
    // with a pool the arena's buffers are the pool's memory; without one they are ordinary arrays
    expect(inArena.resident).toBe(pooled);
    expect(plain.resident).toBe(false);
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
