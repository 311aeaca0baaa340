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
  expect(JSON.parse(await readFile(files.json, 'utf8'))).toEqual({ epochs: history });
  const csv = (await readFile(files.csv, 'utf8')).trimEnd().split('\n');
  expect(csv[0]).toMatch(/^epoch,loss,accuracy,valLoss,valAccuracy,/);
  expect(csv).toHaveLength(3);
  const svg = await readFile(files.svg, 'utf8');
  expect(svg).toContain('>toy<');
  expect(() => historyWriter({})).toThrow(/at least one/);
});
