import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { type TrialRecord, SWEEP_FORMAT, directoryStore, openSweep } from '../node';

const tmp = mkdtempSync(join(tmpdir(), 'trainkit-sweep-store-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const record = (index: number): TrialRecord => ({
  format: SWEEP_FORMAT, trialId: `trial-${String(index).padStart(4, '0')}`, index, seed: index, attempt: 0, config: { lr: 0.1 },
  status: 'completed', metrics: { valLoss: 1 / (index + 1) }, epochs: [{ valLoss: 1 / (index + 1) }], error: null, worker: 'main', durationMs: 5,
});

describe('a sweep directory after a crash mid-write', () => {
  test('the next record after a torn last line starts a line of its own: the directory stays readable by openSweep and by the next resume', async () => {
    const dir = join(tmp, 'torn');
    const store = directoryStore(dir);
    await store.append(record(0));
    // the coordinator died while writing trial 1's line: no newline at the end
    writeFileSync(join(dir, 'trials.jsonl'), readFileSync(join(dir, 'trials.jsonl'), 'utf8') + JSON.stringify(record(1)).slice(0, 40));
    const resumed = directoryStore(dir);
    expect((await resumed.load()).map((r) => r.trialId)).toEqual(['trial-0000']);
    await resumed.append(record(1));
    await resumed.append(record(2));
    expect((await directoryStore(dir).load()).map((r) => r.trialId)).toEqual(['trial-0000', 'trial-0001', 'trial-0002']);
    expect(openSweep(dir, { metric: 'valLoss' }).best()?.trialId).toBe('trial-0002');
  });
});

describe('a directory store', () => {
  test('writes nothing until it is used; open (what runSweep calls) makes the directory and takes its lock, close releases it', async () => {
    const dir = join(tmp, 'lazy');
    const store = directoryStore(dir);
    expect(existsSync(dir)).toBe(false);
    await store.open!();
    expect(readdirSync(dir).sort()).toEqual(['lock', 'sweep.json']);
    await expect(store.open!()).rejects.toThrow(`sweep directory ${dir}: this store is open already (one run at a time)`);
    await store.append(record(0));
    await store.close!();
    expect(readdirSync(dir).sort()).toEqual(['sweep.json', 'trials.jsonl']);
  });
});

describe('openSweep', () => {
  test('a metric no trial reported (a typo) is an error naming the metrics there are, not a sweep without a best trial', async () => {
    const dir = join(tmp, 'metric');
    await directoryStore(dir).append(record(0));
    expect(() => openSweep(dir, { metric: 'val_loss' })).toThrow(`openSweep(${JSON.stringify(dir)}): no trial reported the metric "val_loss"; the trials report "valLoss"`);
    expect(openSweep(dir, { metric: 'valLoss' }).best()?.trialId).toBe('trial-0000');
  });

  test('a sweep with no metrics yet (no trial finished, or every one failed) opens whatever the metric', async () => {
    const dir = join(tmp, 'empty');
    await directoryStore(dir).append({ ...record(0), status: 'failed', metrics: null, epochs: [], error: { name: 'Error', message: 'boom' } });
    expect(openSweep(dir, { metric: 'valLoss' }).trials().map((t) => t.status)).toEqual(['failed']);
  });
});
