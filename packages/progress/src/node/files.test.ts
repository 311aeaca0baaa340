import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Trainer, sgd } from '@trainkit/core';
import { afterAll, expect, test } from 'vitest';
import { historyWriter } from './files';
import { toyLoader, toyModel } from '../__tests__/toy';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

test('historyWriter keeps JSON, CSV and SVG files of the history after every epoch', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'trainkit-progress-'));
  dirs.push(dir);
  const files = { json: join(dir, 'run', 'history.json'), csv: join(dir, 'run', 'history.csv'), svg: join(dir, 'run', 'curves.svg'), title: 'toy' };
  const seen: number[] = [];
  const trainer = new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [historyWriter(files)] });
  trainer.on('trainEpochEnd', async () => {
    seen.push(JSON.parse(await readFile(files.json, 'utf8')).epochs.length);
  });
  const { history } = await trainer.fit(toyModel(), { train: toyLoader(), val: toyLoader(32, 16, 2), epochs: 2 });
  expect(seen).toEqual([1, 2]);
  // 12 batches per epoch: every batch's own loss and accuracy, positioned within its epoch
  const saved = JSON.parse(await readFile(files.json, 'utf8'));
  expect(saved.epochs).toEqual(history);
  expect(saved.steps.map((s: { step: number }) => s.step)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
  expect(saved.steps[12]).toMatchObject({ epoch: 1, batchIndex: 0, batchesPerEpoch: 12 });
  expect(saved.steps.every((s: { loss: number; accuracy: number }) => Number.isFinite(s.loss) && s.accuracy >= 0 && s.accuracy <= 1)).toBe(true);
  const csv = (await readFile(files.csv, 'utf8')).trimEnd().split('\n');
  expect(csv[0]).toMatch(/^epoch,loss,accuracy,valLoss,valAccuracy,/);
  expect(csv).toHaveLength(3);
  const svg = await readFile(files.svg, 'utf8');
  expect(svg).toContain('>toy<');
  expect(svg).toContain('>2 epochs, 24 batches,');
  expect(svg).not.toContain('data-label="test"');
  expect(() => historyWriter({})).toThrow(/at least one/);
});

test('historyWriter.save adds a final test evaluation to the chart', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'trainkit-progress-'));
  dirs.push(dir);
  const writer = historyWriter({ svg: join(dir, 'curves.svg') });
  await new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [writer] }).fit(toyModel(), { train: toyLoader(), epochs: 1 });
  await writer.save({ test: { loss: 0.5, accuracy: 0.75, label: 'test set' } });
  const svg = await readFile(join(dir, 'curves.svg'), 'utf8');
  expect(svg.match(/class="series" data-label="test set"/g)).toHaveLength(2);
  expect(writer.steps).toHaveLength(12);
});

test('historyWriter keeps its per-batch records across a resume', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'trainkit-progress-'));
  dirs.push(dir);
  const first = historyWriter({ json: join(dir, 'a.json') });
  const trainer = new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [first] });
  await trainer.fit(toyModel(), { train: toyLoader(), epochs: 1 });
  const second = historyWriter({ json: join(dir, 'b.json') });
  await new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [second] }).fit(toyModel(), { train: toyLoader(), epochs: 2, resume: trainer.stateDict() });
  expect(second.steps.map((s) => s.step)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
  expect(second.steps.slice(0, 12)).toEqual(first.steps);
  expect(() => second.loadStateDict({})).toThrow(/expected \{ steps/);
});

test('historyWriter resumed in the middle of the first epoch keeps the steps written before the checkpoint', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'trainkit-progress-'));
  dirs.push(dir);
  const json = join(dir, 'history.json');
  const trainer = new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [historyWriter({ json })] });
  await trainer.fit(toyModel(), { train: toyLoader(), epochs: 2, maxSteps: 6 }); // stops at batch 6 of 12, no epoch finished
  const resumed = new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [historyWriter({ json })] });
  await resumed.fit(toyModel(), { train: toyLoader(), epochs: 2, resume: trainer.stateDict() });
  const saved = JSON.parse(await readFile(json, 'utf8'));
  expect(saved.steps.map((s: { step: number }) => s.step)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
});
