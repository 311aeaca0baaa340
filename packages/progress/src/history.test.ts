import { type EpochRecord, Trainer, sgd } from '@trainkit/core';
import { expect, test } from 'vitest';
import { historyToCsv, metricHistory, metricNames } from './history';
import { toyLoader, toyModel } from './__tests__/toy';

test('metricHistory records one entry per epoch (with validation) and every n-th step', async () => {
  const history = metricHistory({ everySteps: 3 });
  const seen: number[] = [];
  const h2 = metricHistory({ name: 'h2', onEpochEnd: (h) => void seen.push(h.records.length) });
  const trainer = new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [history, h2] });
  const { history: fitHistory } = await trainer.fit(toyModel(), { train: toyLoader(), val: toyLoader(32, 16, 2), epochs: 3 });
  expect(history.records.map((r) => r.epoch)).toEqual([0, 1, 2]);
  expect(history.records).toEqual(fitHistory);
  expect(seen).toEqual([1, 2, 3]);
  expect(Object.keys(history.records[0].metrics)).toEqual(expect.arrayContaining(['loss', 'accuracy', 'valLoss', 'valAccuracy']));
  // 12 batches × 3 epochs = 36 steps, every third recorded
  expect(history.steps.map((s) => s.step)).toEqual([3, 6, 9, 12, 15, 18, 21, 24, 27, 30, 33, 36]);
  expect(history.steps.every((s) => Number.isFinite(s.loss))).toBe(true);
  expect(JSON.parse(JSON.stringify(history))).toEqual({ epochs: fitHistory, steps: history.steps });
});

test('metricHistory state round-trips through the trainer state (resume keeps earlier epochs)', async () => {
  const a = metricHistory();
  const trainer = new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [a] });
  await trainer.fit(toyModel(), { train: toyLoader(), epochs: 2 });
  const state = trainer.stateDict();
  const b = metricHistory();
  const resumed = new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [b] });
  await resumed.fit(toyModel(), { train: toyLoader(), epochs: 3, resume: state });
  expect(b.records.map((r) => r.epoch)).toEqual([0, 1, 2]);
  expect(b.records.slice(0, 2)).toEqual(a.records);
  expect(() => b.loadStateDict({})).toThrow(/expected/);
});

test('historyToCsv: header from every metric, loss/accuracy first, empty cells for missing metrics', () => {
  const records: EpochRecord[] = [
    { epoch: 0, metrics: { zeta: 1, accuracy: 0.5, loss: 2 } },
    { epoch: 1, metrics: { loss: 1, accuracy: 0.75, valLoss: 1.5 } },
  ];
  expect(metricNames(records)).toEqual(['loss', 'accuracy', 'valLoss', 'zeta']);
  expect(historyToCsv(records)).toBe('epoch,loss,accuracy,valLoss,zeta\n0,2,0.5,,1\n1,1,0.75,1.5,\n');
  expect(historyToCsv([])).toBe('epoch\n');
  expect(() => metricHistory({ everySteps: -1 })).toThrow(/everySteps/);
});

test('historyToCsv quotes a metric name holding a comma, quote or line break (RFC 4180), so every row has as many cells as the header', () => {
  const records: EpochRecord[] = [{ epoch: 0, metrics: { loss: 1, 'f1,macro': 0.5, 'say "hi"': 2, 'two\nlines': 3, 'cr\rhere': 4 } }];
  expect(historyToCsv(records)).toBe('epoch,loss,"cr\rhere","f1,macro","say ""hi""","two\nlines"\n0,1,4,0.5,2,3\n');
  // a plain name stays unquoted
  expect(historyToCsv([{ epoch: 0, metrics: { 'f1 macro': 1 } }])).toBe('epoch,f1 macro\n0,1\n');
});

test('metricHistory resumed in the middle of the first epoch keeps the steps recorded before the checkpoint', async () => {
  const a = metricHistory({ everySteps: 1 });
  const trainer = new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [a] });
  await trainer.fit(toyModel(), { train: toyLoader(), epochs: 2, maxSteps: 6 }); // stops at batch 6 of 12, no epoch finished
  const b = metricHistory({ everySteps: 1 });
  await new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [b] }).fit(toyModel(), { train: toyLoader(), epochs: 2, resume: trainer.stateDict() });
  expect(b.steps.map((s) => s.step)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
  expect(b.steps.slice(0, 6)).toEqual(a.steps);
  expect(b.records.map((r) => r.epoch)).toEqual([0, 1]);
});
