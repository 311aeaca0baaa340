import type { ParamRef } from '@trainkit/core';
import { fc, test } from '@fast-check/vitest';
import { Rng, Tensor, setKernelBackend } from '@trainkit/tensor';
import { afterEach, describe, expect } from 'vitest';
import { adam, adamw } from './index';

afterEach(() => setKernelBackend('auto'));

/** Gradients with exact zeros, tiny and large values, as in the torch fixtures. */
function gradient(rng: Rng, n: number): Float32Array {
  const g = rng.fillNormal(new Float32Array(n));
  for (let i = 0; i < n; i += 7) g[i] = 0;
  for (let i = 3; i < n; i += 11) g[i] *= 1e-8;
  for (let i = 5; i < n; i += 13) g[i] *= 1e3;
  return g;
}

/** 'resident': wasm, with refs that let the optimizer move the parameter next to its slots, as the Trainer's do. */
type Mode = 'js' | 'wasm' | 'resident';

function trajectory(mode: Mode, make: () => ReturnType<typeof adam>, n: number, seed: number): Float32Array[] {
  setKernelBackend(mode === 'js' ? 'js' : 'wasm');
  const rng = new Rng(seed);
  const opt = make();
  const w = new Tensor(rng.fillNormal(new Float32Array(n)), [n], { requiresGrad: true });
  w.grad = new Float32Array(n);
  const initial = w.data.buffer;
  const ref = (): ParamRef => ({ name: 'w', value: w.data, grad: w.grad as Float32Array, move: mode === 'resident' ? (v, g) => w.moveTo(v, g) : undefined });
  for (let t = 0; t < 5; t++) {
    (w.grad as Float32Array).set(gradient(rng, n));
    opt.step([ref()]);
  }
  expect(w.data.buffer !== initial, 'moved to resident memory').toBe(mode === 'resident');
  const slots = opt.stateDict().slots.w;
  return [w.data, slots.m, slots.v, slots.vmax];
}

const options = fc.record({
  lr: fc.constantFrom(1e-3, 0.1),
  beta1: fc.constantFrom(0.9, 0.5),
  beta2: fc.constantFrom(0.999, 0.9),
  eps: fc.constantFrom(1e-8, 1e-3),
  weightDecay: fc.constantFrom(0, 0.01),
  amsgrad: fc.boolean(),
});

describe('the fused WebAssembly Adam kernel', () => {
  test.prop([options, fc.boolean(), fc.integer({ min: 1, max: 600 }), fc.integer({ min: 0, max: 1000 })], { numRuns: 40 })(
    'is bit-identical to the JS loop, copying or resident (Adam, AdamW, AMSGrad, weight decay; any length)',
    (o, decoupled, n, seed) => {
      const make = () => (decoupled ? adamw(o) : adam(o));
      const js = trajectory('js', make, n, seed);
      for (const mode of ['wasm', 'resident'] as const) {
        const wasm = trajectory(mode, make, n, seed);
        for (let s = 0; s < js.length; s++) {
          for (let i = 0; i < n; i++) expect(Object.is(wasm[s][i], js[s][i]), `${mode}, slot ${s} index ${i}: ${wasm[s][i]} vs ${js[s][i]}`).toBe(true);
        }
      }
    },
  );
});
