import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Dataset, type Subset, TensorDataset } from '@trainkit/data';
import { tensor } from '@trainkit/tensor';
import { SQUARE_CLASSES, writeImageFolder } from './__tests__/fixtures';
import type { DataSpec } from './dataKind';
import { loadEvalData } from './evalData';
import { limitSamples } from './limit';
import { loadTrainData } from './trainData';

let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trainkit-limit-'));
  await writeImageFolder(join(dir, 'squares'), 5);
}, 30_000);

afterAll(async () => {
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

/** 12 samples stored class by class: labels 0 0 0 0 0 0 1 1 1 1 2 2, x = the sample's index. */
const sorted = (): TensorDataset => {
  const y = Int32Array.of(0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2);
  return new TensorDataset({ x: tensor(Float32Array.from(y, (_, i) => i), [12, 1]), y, numClasses: 3 });
};
const indicesOf = (ds: Dataset): number[] => [...(ds as Subset).indices];
const labelsOf = (ds: Dataset): number[] => [...ds.gather(Array.from({ length: ds.length }, (_, i) => i)).y];

describe('--limit', () => {
  test('limitSamples deals n samples round-robin over the classes, each class in an order fixed by the seed, keeping the data order', () => {
    const ds = sorted();
    const three = limitSamples(ds, 3, 0);
    expect(labelsOf(three)).toEqual([0, 1, 2]);
    const eight = limitSamples(ds, 8, 0);
    expect(labelsOf(eight)).toEqual([0, 0, 0, 1, 1, 1, 2, 2]); // 3 rounds; class 2 runs out after two
    expect(indicesOf(eight)).toEqual([...indicesOf(eight)].sort((a, b) => a - b));
    expect(indicesOf(limitSamples(ds, 8, 0))).toEqual(indicesOf(eight)); // deterministic
    const bySeed = Array.from({ length: 6 }, (_, seed) => indicesOf(limitSamples(ds, 3, seed)).join());
    expect(new Set(bySeed).size).toBeGreaterThan(1); // the seed picks which samples of each class
    expect(limitSamples(ds, 12, 0)).toBe(ds);
  });

  test('train --limit on an image folder (stored class by class) takes samples of every class, the same ones for the same seed', async () => {
    const options = { image: { size: [12, 12] as [number, number], color: 'rgb' as const, fit: 'cover' as const, normalize: null }, valFraction: 0, seed: 4, limit: 6, categorical: [], missing: 'error' as const };
    const a = await loadTrainData(join(dir, 'squares'), options);
    const b = await loadTrainData(join(dir, 'squares'), options);
    const all = Array.from({ length: 6 }, (_, i) => i);
    expect([...(await a.train.gatherAsync!(all)).y]).toEqual([0, 0, 1, 1, 2, 2]);
    expect(indicesOf(b.train)).toEqual(indicesOf(a.train));
  }, 30_000);

  test('eval --limit on an image folder takes samples of every class', async () => {
    const spec: DataSpec = { kind: 'images', source: 'squares', classes: [...SQUARE_CLASSES], inputShape: [3, 12, 12], image: { size: [12, 12], color: 'rgb', fit: 'cover', normalize: null } };
    const ds = await loadEvalData(join(dir, 'squares'), spec, 6);
    expect(labelsOf(ds)).toEqual([0, 0, 1, 1, 2, 2]);
  }, 30_000);
});
