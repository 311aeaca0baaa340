import type { ParamRef } from '@trainkit/core';
import { fc, test } from '@fast-check/vitest';
import { Rng, setKernelBackend } from '@trainkit/tensor';
import { afterEach, describe, expect } from 'vitest';
import { momentum } from './index';

afterEach(() => setKernelBackend('auto'));

function trajectory(backend: 'js' | 'wasm', o: Parameters<typeof momentum>[0], n: number, seed: number): Float32Array[] {
  setKernelBackend(backend);
  const rng = new Rng(seed);
  const opt = momentum(o);
  const p: ParamRef = { name: 'w', value: rng.fillNormal(new Float32Array(n)), grad: new Float32Array(n) };
  for (let t = 0; t < 5; t++) {
    const g = rng.fillNormal(new Float32Array(n));
    for (let i = 0; i < n; i += 7) g[i] = 0;
    for (let i = 3; i < n; i += 11) g[i] *= 1e-8;
    for (let i = 5; i < n; i += 13) g[i] *= 1e3;
    p.grad.set(g);
    opt.step([p]);
  }
  return [p.value, opt.stateDict().slots.w.momentumBuffer];
}

const options = fc.oneof(
  fc.record({ lr: fc.constantFrom(0.01, 0.1), momentum: fc.constantFrom(0, 0.9), dampening: fc.constantFrom(0, 0.5), weightDecay: fc.constantFrom(0, 1e-2) }),
  fc.record({ lr: fc.constantFrom(0.01, 0.1), momentum: fc.constantFrom(0.5, 0.9), nesterov: fc.constant(true), weightDecay: fc.constantFrom(0, 1e-2) }),
);

describe('the fused WebAssembly momentum kernel', () => {
  test.prop([options, fc.integer({ min: 1, max: 600 }), fc.integer({ min: 0, max: 1000 })], { numRuns: 40 })(
    'is bit-identical to the JS loop (momentum, dampening, Nesterov, weight decay; any length)',
    (o, n, seed) => {
      const js = trajectory('js', o, n, seed);
      const wasm = trajectory('wasm', o, n, seed);
      for (let s = 0; s < js.length; s++) {
        for (let i = 0; i < n; i++) expect(Object.is(wasm[s][i], js[s][i]), `slot ${s} index ${i}: ${wasm[s][i]} vs ${js[s][i]}`).toBe(true);
      }
    },
  );
});
