import type { ParamRef } from '@trainkit/core';
import { fc, test } from '@fast-check/vitest';
import { Rng, Tensor, setKernelBackend } from '@trainkit/tensor';
import { afterEach, describe, expect } from 'vitest';
import { momentum } from './index';

afterEach(() => setKernelBackend('auto'));

/** 'resident': wasm, with refs that let the optimizer move the parameter next to its slots, as the Trainer's do. */
type Mode = 'js' | 'wasm' | 'resident';

function trajectory(mode: Mode, o: Parameters<typeof momentum>[0], n: number, seed: number): Float32Array[] {
  setKernelBackend(mode === 'js' ? 'js' : 'wasm');
  const rng = new Rng(seed);
  const opt = momentum(o);
  const w = new Tensor(rng.fillNormal(new Float32Array(n)), [n], { requiresGrad: true });
  w.grad = new Float32Array(n);
  const initial = w.data.buffer;
  const ref = (): ParamRef => ({ name: 'w', value: w.data, grad: w.grad as Float32Array, move: mode === 'resident' ? (v, g) => w.moveTo(v, g) : undefined });
  for (let t = 0; t < 5; t++) {
    const g = rng.fillNormal(new Float32Array(n));
    for (let i = 0; i < n; i += 7) g[i] = 0;
    for (let i = 3; i < n; i += 11) g[i] *= 1e-8;
    for (let i = 5; i < n; i += 13) g[i] *= 1e3;
    (w.grad as Float32Array).set(g);
    opt.step([ref()]);
  }
  expect(w.data.buffer !== initial, 'moved to resident memory').toBe(mode === 'resident');
  return [w.data, opt.stateDict().slots.w.momentumBuffer];
}

const options = fc.oneof(
  fc.record({ lr: fc.constantFrom(0.01, 0.1), momentum: fc.constantFrom(0, 0.9), dampening: fc.constantFrom(0, 0.5), weightDecay: fc.constantFrom(0, 1e-2) }),
  fc.record({ lr: fc.constantFrom(0.01, 0.1), momentum: fc.constantFrom(0.5, 0.9), nesterov: fc.constant(true), weightDecay: fc.constantFrom(0, 1e-2) }),
);

describe('the fused WebAssembly momentum kernel', () => {
  test.prop([options, fc.integer({ min: 1, max: 600 }), fc.integer({ min: 0, max: 1000 })], { numRuns: 40 })(
    'is bit-identical to the JS loop, copying or resident (momentum, dampening, Nesterov, weight decay; any length)',
    (o, n, seed) => {
      const js = trajectory('js', o, n, seed);
      for (const mode of ['wasm', 'resident'] as const) {
        const wasm = trajectory(mode, o, n, seed);
        for (let s = 0; s < js.length; s++) {
          for (let i = 0; i < n; i++) expect(Object.is(wasm[s][i], js[s][i]), `${mode}, slot ${s} index ${i}: ${wasm[s][i]} vs ${js[s][i]}`).toBe(true);
        }
      }
    },
  );
});
