// The law an optimizer with fused WebAssembly kernels keeps: its numbers do not depend on how
// the update runs.
import type { OptimizerState, ParamRef } from '@trainkit/core';
import { Tensor, getKernelBackend, withKernelBackend } from '@trainkit/tensor';
import * as fc from 'fast-check';
import { paramName, scenarios } from '../arbitraries';
import { assertSameTrajectory } from '../compare';
import { makeParams, run, type ParamValues } from '../trajectory';
import type { LawConfig, LawProperty, OptimizerFactory, Scenario } from '../types';
import { assertSameSlots } from './basic';

/** How an update runs: JS loops, wasm kernels on ordinary arrays, or wasm kernels on arrays the optimizer moved into resident memory. */
type Mode = 'js' | 'wasm' | 'resident';

/** Refs over tensors, rebuilt the way the Trainer's are: `value`/`grad` always read the tensor's current arrays, and `move` moves them. */
function movableParams(values: ParamValues): ParamRef[] {
  return makeParams(values).map(({ name, value }) => {
    const t = new Tensor(value, [value.length], { requiresGrad: true });
    t.grad = new Float32Array(value.length);
    return {
      name,
      get value() {
        return t.data;
      },
      get grad() {
        return t.grad as Float32Array;
      },
      move: (v: Float32Array, g: Float32Array) => t.moveTo(v, g),
    };
  });
}

/**
 * Law: the optimizer gives the same parameters after every step, and the same state, whether
 * its update runs on the JavaScript kernels, on the WebAssembly kernels with ordinary arrays
 * (streamed through wasm memory), or on the WebAssembly kernels after it moved the parameters
 * into resident memory (refs that offer `move`, as the Trainer's do) — bit for bit. The law
 * for optimizers with fused kernels (`defineOptimizer({ resident: true })`); an optimizer
 * without kernels keeps it trivially. Where WebAssembly SIMD is unavailable only the JS run
 * happens. The kernel backend in force before is restored.
 *
 * @example
 * fc.assert(isKernelIndependent(adam, { options: { lr: 1e-3, amsgrad: true } }));
 */
export function isKernelIndependent(make: OptimizerFactory, config: LawConfig = {}): LawProperty<Scenario> {
  const wasm = withKernelBackend('auto', getKernelBackend) === 'wasm';
  return fc.property(scenarios({ ...config.shape, options: config.options }), (s) => {
    const names = s.params.map((_, i) => paramName(i));
    const runIn = (mode: Mode): { steps: Float32Array[][]; state: OptimizerState } =>
      withKernelBackend(mode === 'js' ? 'js' : 'wasm', () => {
        const opt = make(s.options);
        const steps = run(opt, mode === 'resident' ? movableParams(s.params) : makeParams(s.params), s.grads);
        return { steps, state: opt.stateDict() };
      });
    const js = runIn('js');
    for (const mode of wasm ? (['wasm', 'resident'] as const) : []) {
      const other = runIn(mode);
      const label = mode === 'wasm' ? 'the wasm kernels' : 'the wasm kernels on resident arrays';
      assertSameTrajectory(other.steps, js.steps, names, { actual: label, expected: 'the JS loops' });
      assertSameSlots(other.state, js.state, `state after the last step (${label} vs the JS loops)`);
    }
  });
}
