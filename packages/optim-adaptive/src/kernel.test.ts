import type { Optimizer, ParamRef } from '@trainkit/core';
import { fc, test } from '@fast-check/vitest';
import { Rng, Tensor, setKernelBackend } from '@trainkit/tensor';
import { afterEach, describe, expect } from 'vitest';
import { adagrad, rmsprop } from './index';

afterEach(() => setKernelBackend('auto'));

/** 'resident': wasm, with refs that let the optimizer move the parameter next to its slots, as the Trainer's do. */
type Mode = 'js' | 'wasm' | 'resident';

/** Five steps from a seed, with exact zeros, tiny and large gradients as in the torch fixtures; the parameter and every slot after them. */
function trajectory(mode: Mode, make: () => Optimizer, n: number, seed: number): Float32Array[] {
  setKernelBackend(mode === 'js' ? 'js' : 'wasm');
  const rng = new Rng(seed);
  const opt = make();
  const w = new Tensor(rng.fillNormal(new Float32Array(n)), [n], { requiresGrad: true });
  w.grad = new Float32Array(n);
  const initial = w.data.buffer;
  for (let t = 0; t < 5; t++) {
    const g = rng.fillNormal(new Float32Array(n));
    for (let i = 0; i < n; i += 7) g[i] = 0;
    for (let i = 3; i < n; i += 11) g[i] *= 1e-8;
    for (let i = 5; i < n; i += 13) g[i] *= 1e3;
    (w.grad as Float32Array).set(g);
    const ref: ParamRef = { name: 'w', value: w.data, grad: w.grad as Float32Array, move: mode === 'resident' ? (v, gr) => w.moveTo(v, gr) : undefined };
    opt.step([ref]);
  }
  expect(w.data.buffer !== initial, 'moved to resident memory').toBe(mode === 'resident');
  return [w.data, ...Object.values(opt.stateDict().slots.w)];
}

function expectSameBits(make: () => Optimizer, n: number, seed: number): void {
  const js = trajectory('js', make, n, seed);
  for (const mode of ['wasm', 'resident'] as const) {
    const other = trajectory(mode, make, n, seed);
    js.forEach((a, s) => a.forEach((v, i) => expect(Object.is(other[s][i], v), `${mode}, array ${s} index ${i}: ${other[s][i]} vs ${v}`).toBe(true)));
  }
}

const size = fc.integer({ min: 1, max: 600 });
const seed = fc.integer({ min: 0, max: 1000 });

describe('the fused WebAssembly AdaGrad and RMSProp kernels', () => {
  test.prop([fc.record({ lr: fc.constantFrom(0.01, 0.5), lrDecay: fc.constantFrom(0, 0.1), weightDecay: fc.constantFrom(0, 0.01), initialAccumulatorValue: fc.constantFrom(0, 0.1), eps: fc.constantFrom(1e-10, 1e-3) }), size, seed], { numRuns: 30 })(
    'AdaGrad is bit-identical to the JS loop, copying or resident (lrDecay, weight decay, initial accumulator; any length)',
    (o, n, s) => expectSameBits(() => adagrad(o), n, s),
  );

  test.prop([fc.record({ lr: fc.constantFrom(0.01, 1e-3), alpha: fc.constantFrom(0.99, 0.5), eps: fc.constantFrom(1e-8, 1e-3), weightDecay: fc.constantFrom(0, 0.01), momentum: fc.constantFrom(0, 0.9), centered: fc.boolean() }), size, seed], { numRuns: 40 })(
    'RMSProp is bit-identical to the JS loop, copying or resident (centered, momentum, weight decay; any length)',
    (o, n, s) => expectSameBits(() => rmsprop(o), n, s),
  );
});
