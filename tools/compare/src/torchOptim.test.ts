// trainkit's optimizers against PyTorch 1.13's torch.optim, number for number: the same 64
// initial parameters and the same 30 gradients (exact zeros, ±1e-8 and ±1e3 among them) go
// through both. The fixture comes from tools/compare/torch_optim.py (Debian's python3-torch).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Optimizer, sgd } from '@trainkit/core';
import { adam, adamw } from '@trainkit/optim-adam';
import { adagrad, rmsprop } from '@trainkit/optim-adaptive';
import { momentum } from '@trainkit/optim-momentum';
import { trajectory } from '@trainkit/optim-testkit';
import { afterAll, describe, expect, test } from 'vitest';

interface Fixture {
  torch: string;
  steps: number;
  size: number;
  params0: number[];
  grads: number[][];
  cases: Array<{ id: string; torch: string; options: Record<string, unknown>; trajectory: number[][] }>;
}

const fixture: Fixture = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'torch-optim-trajectories.json'), 'utf8'));

/** Relative error per parameter, |ours − torch| / max(|torch|, FLOOR): parameters are O(1), so 1e-3 is "near 0". */
const RTOL = 1e-4;
const FLOOR = 1e-3;

// One row per fixture case: our optimizer and options, named like torch's (lr_decay → lrDecay, betas → beta1/beta2).
const CASES: Record<string, { make: (o: never) => Optimizer; options: Record<string, number | boolean> }> = {
  sgd: { make: sgd, options: { lr: 0.05 } },
  'sgd-weight-decay': { make: sgd, options: { lr: 0.05, weightDecay: 0.01 } },
  momentum: { make: momentum, options: { lr: 0.01, momentum: 0.9 } },
  nesterov: { make: momentum, options: { lr: 0.01, momentum: 0.9, nesterov: true } },
  dampening: { make: momentum, options: { lr: 0.01, momentum: 0.9, dampening: 0.5 } },
  'momentum-weight-decay': { make: momentum, options: { lr: 0.01, momentum: 0.9, weightDecay: 0.01 } },
  adam: { make: adam, options: { lr: 1e-3 } },
  'adam-betas-eps': { make: adam, options: { lr: 1e-2, beta1: 0.8, beta2: 0.99, eps: 1e-6 } },
  'adam-weight-decay': { make: adam, options: { lr: 1e-3, weightDecay: 0.01 } },
  amsgrad: { make: adam, options: { lr: 1e-2, amsgrad: true } },
  adamw: { make: adamw, options: { lr: 1e-2, weightDecay: 0.1 } },
  rmsprop: { make: rmsprop, options: { lr: 1e-2 } },
  'rmsprop-centered-momentum': { make: rmsprop, options: { lr: 1e-3, momentum: 0.9, centered: true } },
  adagrad: { make: adagrad, options: { lr: 0.1 } },
  'adagrad-decay-accumulator': { make: adagrad, options: { lr: 0.1, lrDecay: 0.01, initialAccumulatorValue: 0.1 } },
};

const factoryName = (make: unknown): string => ((make as { name?: string }).name ?? 'optimizer').replace(/^.*\//, '');
const title = (id: string, torch: string): string => {
  const { make, options } = CASES[id];
  const args = Object.entries(options).map(([k, v]) => `${k} ${v}`).join(', ');
  return `${id}: ${factoryName(make)}(${args}) matches ${torch} over ${fixture.steps} steps`;
};

interface Outcome {
  id: string;
  maxRelError: number;
  bitExact: number;
  total: number;
}
const outcomes: Outcome[] = [];

function compare(id: string, ours: Float32Array[][], theirs: number[][]): Outcome & { worst: string } {
  let maxRelError = 0;
  let bitExact = 0;
  let worst = 'none';
  theirs.forEach((expected, t) => {
    const got = ours[t][0];
    expected.forEach((e, i) => {
      const want = Math.fround(e);
      if (Object.is(got[i], want)) bitExact++;
      const rel = Math.abs(got[i] - want) / Math.max(Math.abs(want), FLOOR);
      if (rel > maxRelError || Number.isNaN(rel)) {
        maxRelError = Number.isNaN(rel) ? Infinity : rel;
        worst = `step ${t + 1}, parameter ${i}: trainkit ${got[i]}, torch ${want}, gradient ${fixture.grads[t][i]}`;
      }
    });
  });
  return { id, maxRelError, bitExact, total: theirs.length * fixture.size, worst };
}

describe(`optimizers match PyTorch ${fixture.torch} (relative error ≤ ${RTOL} per parameter, floor ${FLOOR})`, () => {
  test('every fixture case has a row in the table and vice versa', () => {
    expect(fixture.cases.map((c) => c.id).sort()).toEqual(Object.keys(CASES).sort());
  });

  for (const c of fixture.cases) {
    test(title(c.id, c.torch), () => {
      // Arrange
      const { make, options } = CASES[c.id];
      // Act
      const ours = trajectory(make as (o: typeof options) => Optimizer, options, [fixture.params0], fixture.grads.map((g) => [g]));
      // Assert
      const outcome = compare(c.id, ours, c.trajectory);
      outcomes.push(outcome);
      expect(outcome.maxRelError, `worst at ${outcome.worst}`).toBeLessThanOrEqual(RTOL);
    });
  }

  afterAll(() => {
    const rows = outcomes.map((o) => `| ${o.id} | ${o.maxRelError.toExponential(2)} | ${o.bitExact}/${o.total}${o.bitExact === o.total ? ' (bit-exact)' : ''} |`);
    console.log(['| case | max relative error | bit-identical values |', '| --- | --- | --- |', ...rows].join('\n'));
  });
});
