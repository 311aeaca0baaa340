import type { Optimizer } from '@trainkit/core';
import { adam } from '@trainkit/optim-adam';
import { momentum } from '@trainkit/optim-momentum';
import { Rng } from '@trainkit/tensor';
import type { Workload } from './workloads';

const N = 10_000_000;

/** The peer: the Adam update written as a plain Float32Array loop (what a careful JS author writes). */
function plainAdamLoop(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, t: number): void {
  const lr = 1e-3, b1 = 0.9, b2 = 0.999, eps = 1e-8;
  const c1 = 1 - b1 ** t;
  const c2 = 1 - b2 ** t;
  for (let i = 0; i < p.length; i++) {
    m[i] = b1 * m[i] + (1 - b1) * g[i];
    v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
    p[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps);
  }
}

/** Optimizer-step throughput on one 10M-parameter vector (buffers allocated once, outside the timing). */
export function optimizerWorkloads(): Workload[] {
  const rng = new Rng(5);
  const value = rng.fillNormal(new Float32Array(N));
  const grad = rng.fillNormal(new Float32Array(N), 0, 0.01);
  const ref = [{ name: 'w', value, grad }];
  const stepper = (opt: Optimizer) => () => opt.step(ref);
  const m = new Float32Array(N);
  const v = new Float32Array(N);
  let t = 0;
  return [
    { name: 'Adam step, 10M params (plain JS loop)', unit: 'params/s', unitsPerCall: N, once: () => plainAdamLoop(value, grad, m, v, ++t) },
    { name: 'Adam step, 10M params (optim-adam)', unit: 'params/s', unitsPerCall: N, once: stepper(adam()) },
    { name: 'momentum step, 10M params (optim-momentum)', unit: 'params/s', unitsPerCall: N, once: stepper(momentum()) },
  ];
}
