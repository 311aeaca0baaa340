import type { ParamRef } from '@trainkit/core';
import { fc, test } from '@fast-check/vitest';
import { Rng, setKernelBackend } from '@trainkit/tensor';
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

function trajectory(backend: 'js' | 'wasm', make: () => ReturnType<typeof adam>, n: number, seed: number): Float32Array[] {
  setKernelBackend(backend);
  const rng = new Rng(seed);
  const opt = make();
  const p: ParamRef = { name: 'w', value: rng.fillNormal(new Float32Array(n)), grad: new Float32Array(n) };
  for (let t = 0; t < 5; t++) {
    p.grad.set(gradient(rng, n));
    opt.step([p]);
  }
  const slots = opt.stateDict().slots.w;
  return [p.value, slots.m, slots.v, slots.vmax];
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
    'is bit-identical to the JS loop (Adam, AdamW, AMSGrad, weight decay; any length)',
    (o, decoupled, n, seed) => {
      const make = () => (decoupled ? adamw(o) : adam(o));
      const js = trajectory('js', make, n, seed);
      const wasm = trajectory('wasm', make, n, seed);
      for (let s = 0; s < js.length; s++) {
        for (let i = 0; i < n; i++) expect(Object.is(wasm[s][i], js[s][i]), `slot ${s} index ${i}: ${wasm[s][i]} vs ${js[s][i]}`).toBe(true);
      }
    },
  );
});
