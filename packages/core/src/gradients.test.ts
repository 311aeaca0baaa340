import { describe, expect, test } from 'vitest';
import { ConfigError, Trainer, gradientAccumulation, gradientClipping, globalNorm, sgd, type Plugin } from './index';
import { snapshot, toyLoader, toyModel } from './__tests__/fixtures';

describe('gradientAccumulation', () => {
  test('k batches of 8 with accumulation k = 2 train like batches of 16 (same sample order)', async () => {
    const big = toyModel(1);
    await new Trainer({ optimizer: sgd({ lr: 0.2 }) }).fit(big, { train: toyLoader(64, 16), epochs: 2 });
    const small = toyModel(1);
    await new Trainer({ optimizer: sgd({ lr: 0.2 }), plugins: [gradientAccumulation({ steps: 2 })] }).fit(small, { train: toyLoader(64, 8), epochs: 2 });
    const [a, b] = [snapshot(big), snapshot(small)];
    for (const k of Object.keys(a)) a[k].forEach((v, i) => expect(b[k][i]).toBeCloseTo(v, 5));
  });

  test('a partial group at the end of an epoch is stepped with its own mean', async () => {
    let steps = 0;
    const count: Plugin = { name: 'count', onAfterOptimizerStep: () => void steps++ };
    const model = toyModel();
    const before = snapshot(model);
    const t = new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [gradientAccumulation({ steps: 4 }), count] });
    await t.fit(model, { train: toyLoader(48, 8), epochs: 1 }); // 6 batches: one full group of 4, then 2 left
    expect(steps).toBe(1);
    expect(t.optimizer!.stepCount).toBe(2);
    expect(snapshot(model)).not.toEqual(before);
  });

  test('steps must be a positive integer', () => {
    expect(() => gradientAccumulation({ steps: 0 })).toThrow(ConfigError);
  });
});

describe('gradientClipping', () => {
  test('after clipping, the global gradient norm is at most maxNorm; the pre-clip norm is logged', async () => {
    const norms: number[] = [];
    const spy: Plugin = {
      name: 'spy',
      onBeforeOptimizerStep: (ctx) => void norms.push(globalNorm(ctx.model.parameters().map((p) => p.grad!))),
    };
    const { history } = await new Trainer({ optimizer: sgd(), plugins: [gradientClipping({ maxNorm: 0.01 }), spy] }).fit(toyModel(), { train: toyLoader(32, 8), epochs: 1 });
    for (const n of norms) expect(n).toBeLessThanOrEqual(0.01 * (1 + 1e-4));
    expect(history[0].metrics.gradNorm).toBeGreaterThan(0.01);
  });

  test('clipping by value bounds every gradient element', async () => {
    let max = 0;
    const spy: Plugin = { name: 'spy', onBeforeOptimizerStep: (ctx) => { for (const p of ctx.model.parameters()) for (const g of p.grad!) max = Math.max(max, Math.abs(g)); } };
    await new Trainer({ optimizer: sgd(), plugins: [gradientClipping({ maxValue: 1e-3 }), spy] }).fit(toyModel(), { train: toyLoader(16, 8), epochs: 1 });
    expect(max).toBeLessThanOrEqual(Math.fround(1e-3));
  });

  test('with maxValue and maxNorm both set, the logged gradNorm is the norm before any clipping', async () => {
    let before = NaN;
    const spy: Plugin = { name: 'spy', onBeforeOptimizerStep: (ctx) => void (before = globalNorm(ctx.model.parameters().map((p) => p.grad!))) };
    // one batch: the epoch's gradNorm is that batch's value
    const { history } = await new Trainer({ optimizer: sgd(), plugins: [spy, gradientClipping({ maxValue: 1e-4, maxNorm: 1e-4 })] }).fit(toyModel(), { train: toyLoader(8, 8), epochs: 1 });
    expect(before).toBeGreaterThan(1e-3); // well above what value clipping leaves (≤ 1e-4·√parameters)
    expect(history[0].metrics.gradNorm).toBe(before);
  });

  test('a norm at or just under maxNorm is still scaled by maxNorm / (norm + 1e-6), as torch clip_grad_norm_ does', async () => {
    let norm = NaN;
    let after = NaN;
    const measure: Plugin = { name: 'measure', onBeforeOptimizerStep: (ctx) => void (norm = globalNorm(ctx.model.parameters().map((p) => p.grad!))) };
    const check: Plugin = { name: 'check', onBeforeOptimizerStep: (ctx) => void (after = globalNorm(ctx.model.parameters().map((p) => p.grad!))) };
    // first run: learn the first batch's norm; second run: clip exactly at it
    await new Trainer({ optimizer: sgd(), plugins: [measure, { name: 'stop', onAfterOptimizerStep: (ctx) => ctx.stop() }] }).fit(toyModel(), { train: toyLoader(8, 8), epochs: 1 });
    await new Trainer({ optimizer: sgd(), plugins: [gradientClipping({ maxNorm: norm }), check] }).fit(toyModel(), { train: toyLoader(8, 8), epochs: 1 });
    expect(after).toBeCloseTo((norm * norm) / (norm + 1e-6), 6);
    expect(after).toBeLessThan(norm * (1 - 1e-7));
  });

  test('options are validated', () => {
    expect(() => gradientClipping({})).toThrow('gradientClipping: give maxNorm and/or maxValue');
    expect(() => gradientClipping({ maxNorm: -1 })).toThrow('gradientClipping: maxNorm must be > 0, got -1');
  });
});
