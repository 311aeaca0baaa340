import { describe, expect, test } from 'vitest';
import { ConfigError, Trainer, gradientAccumulation, gradientClipping, globalNorm, sgd, type Plugin } from './index';
import { Tensor } from '@trainkit/tensor';
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

  test('a partial group at the end of an epoch steps on the last batch with its own mean, as a normal step: counted, with every step hook, before validation', async () => {
    let hooked = 0;
    let stepsAtValidation = -1;
    const spy: Plugin = { name: 'spy', onAfterOptimizerStep: () => void hooked++, onValidationEpochStart: (ctx) => void (stepsAtValidation = ctx.step) };
    const model = toyModel();
    const t = new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [gradientAccumulation({ steps: 4 }), spy] });
    await t.fit(model, { train: toyLoader(48, 8), val: toyLoader(16, 8, 2), epochs: 1 }); // 6 batches: one full group of 4, then 2
    expect([hooked, t.optimizer!.stepCount, stepsAtValidation]).toEqual([2, 2, 2]);
    // the validation metrics score the weights after the last step
    expect(t.history[0].metrics.valLoss).toBeCloseTo((await new Trainer().evaluate(model, toyLoader(16, 8, 2))).loss, 6);
  });

  test('the partial group equals one batch of its size: 6 batches of 8 with steps 4 train like batches of 32 then 16', async () => {
    const grouped = toyModel(2);
    await new Trainer({ optimizer: sgd({ lr: 0.2 }), plugins: [gradientAccumulation({ steps: 4 })] }).fit(grouped, { train: toyLoader(48, 8), epochs: 1 });
    const big = toyModel(2);
    const order = toyLoader(48, 8).epoch(0, { seed: 0 });
    const batches = [...order];
    const join = (bs: typeof batches) => ({ x: new Tensor(Float32Array.from(bs.flatMap((b) => [...b.x.data])), [bs.length * 8, 4]), y: Int32Array.from(bs.flatMap((b) => [...(b.y as Int32Array)])) });
    await new Trainer({ optimizer: sgd({ lr: 0.2 }) }).fit(big, { train: [join(batches.slice(0, 4)), join(batches.slice(4))], epochs: 1 });
    const [a, b] = [snapshot(big), snapshot(grouped)];
    for (const k of Object.keys(a)) a[k].forEach((v, i) => expect(b[k][i]).toBeCloseTo(v, 5));
  });

  test('with clipping, only the group\'s mean is clipped, whatever the plugin order (as Lightning): accumulated batches of 8 equal batches of 16 clipped', async () => {
    const big = toyModel(1);
    await new Trainer({ optimizer: sgd({ lr: 0.2 }), plugins: [gradientClipping({ maxNorm: 0.05 })] }).fit(big, { train: toyLoader(64, 16), epochs: 1 });
    for (const order of ['clip first', 'accumulate first']) {
      const small = toyModel(1);
      const plugins = [gradientClipping({ maxNorm: 0.05 }), gradientAccumulation({ steps: 2 })];
      if (order === 'accumulate first') plugins.reverse();
      await new Trainer({ optimizer: sgd({ lr: 0.2 }), plugins }).fit(small, { train: toyLoader(64, 8), epochs: 1 });
      const [a, b] = [snapshot(big), snapshot(small)];
      for (const k of Object.keys(a)) a[k].forEach((v, i) => expect(b[k][i], order).toBeCloseTo(v, 5));
    }
  });

  test('a run stopped mid-group and resumed from its state continues the group exactly; a new fit starts a fresh group', async () => {
    const full = toyModel(3);
    await new Trainer({ optimizer: sgd({ lr: 0.2 }), plugins: [gradientAccumulation({ steps: 3 })] }).fit(full, { train: toyLoader(64, 8), epochs: 2 });
    const part = toyModel(3);
    const kill: Plugin = { name: 'kill', onTrainBatchEnd: (ctx) => { if (ctx.epoch === 0 && ctx.batchIndex === 4) ctx.stop(); } };
    const t1 = new Trainer({ optimizer: sgd({ lr: 0.2 }), plugins: [gradientAccumulation({ steps: 3 }), kill] });
    await t1.fit(part, { train: toyLoader(64, 8), epochs: 2 });
    const state = structuredClone(t1.stateDict());
    expect((state.plugins.gradientAccumulation as { pending: number }).pending).toBe(2);
    await new Trainer({ optimizer: sgd({ lr: 0.2 }), plugins: [gradientAccumulation({ steps: 3 })] }).fit(part, { train: toyLoader(64, 8), epochs: 2, resume: state });
    expect(snapshot(part)).toEqual(snapshot(full));
    const corrupt = { ...state, plugins: { ...state.plugins, gradientAccumulation: { pending: 2 } } };
    await expect(new Trainer({ optimizer: sgd({ lr: 0.2 }), plugins: [gradientAccumulation({ steps: 3 })] }).fit(toyModel(3), { train: toyLoader(64, 8), epochs: 2, resume: corrupt })).rejects.toThrow(/mid-group but holds no gradients/);
  });

  test('a second fit with the same Trainer counts its own steps from 0 (maxSteps, step-interval schedules), where a resume continues the saved count', async () => {
    const model = toyModel();
    const t = new Trainer({ optimizer: sgd({ lr: 0.1 }) });
    await t.fit(model, { train: toyLoader(64, 8), epochs: 1 }); // 8 steps
    const second = await t.fit(model, { train: toyLoader(64, 8), epochs: 3, maxSteps: 5 });
    expect([second.stopReason, t.optimizer!.stepCount, t.stateDict().step]).toEqual(['maxSteps reached (5 optimizer steps)', 13, 5]);
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
