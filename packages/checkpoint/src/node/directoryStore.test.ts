import { Trainer } from '@trainkit/core';
import { adam } from '@trainkit/optim-adam';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { checkpoint, directoryStore, readCheckpoint, writeCheckpoint, writeFileAtomic } from '../node';
import { bnCnn, imageLoader, snapshot } from '../__tests__/models';
import { readWhole } from './readWhole';

const scratch = () => mkdtempSync(join(tmpdir(), 'trainkit-ckpt-'));

describe('writeFileAtomic', () => {
  test('replaces the file and leaves no temporary file behind', async () => {
    const dir = scratch();
    await writeFileAtomic(join(dir, 'a.bin'), Uint8Array.of(1, 2));
    await writeFileAtomic(join(dir, 'a.bin'), Uint8Array.of(3));
    expect([...readFileSync(join(dir, 'a.bin'))]).toEqual([3]);
    expect(readdirSync(dir)).toEqual(['a.bin']);
  });

  test('a failed write leaves the old file intact and removes its temporary file', async () => {
    const dir = scratch();
    await writeFileAtomic(join(dir, 'a.bin'), Uint8Array.of(1));
    await expect(writeFileAtomic(join(dir, 'a.bin', 'x'), Uint8Array.of(2))).rejects.toThrow(/ENOTDIR/);
    await expect(writeFileAtomic(join(dir, 'a.bin'), 7 as unknown as Uint8Array)).rejects.toThrow();
    expect(readdirSync(dir)).toEqual(['a.bin']);
    expect([...readFileSync(join(dir, 'a.bin'))]).toEqual([1]);
  });
});

describe('directoryStore', () => {
  test('prepare creates the directory and removes temporary files of dead processes, keeping those of live ones', async () => {
    const dir = join(scratch(), 'runs', 'a');
    const store = directoryStore(dir);
    await store.prepare();
    // a pid that cannot be alive: spawn a process and wait for it to exit
    const dead = await new Promise<number>((done) => { const p = spawn(process.execPath, ['-e', '0']); p.on('exit', () => done(p.pid!)); });
    writeFileSync(join(dir, `.latest.safetensors.${dead}.0123456789ab.tmp`), 'torn');
    writeFileSync(join(dir, `.latest.safetensors.${process.pid}.0123456789ab.tmp`), 'being written');
    await store.prepare();
    expect(readdirSync(dir)).toEqual([`.latest.safetensors.${process.pid}.0123456789ab.tmp`]);
    expect(await store.list()).toEqual([]);
  });

  test('read returns null for a missing file, and also accepts paths', async () => {
    const dir = scratch();
    const store = directoryStore(dir);
    await store.write('x.safetensors', Uint8Array.of(9));
    expect(await store.read('nope.safetensors')).toBeNull();
    expect([...(await store.read(join(dir, 'x.safetensors')))!]).toEqual([9]);
    await expect(store.write('../escape', Uint8Array.of(1))).rejects.toThrow('directoryStore: invalid file name "../escape"');
  });

  test('a directory that cannot be created or written is a clear error before training starts', async () => {
    const file = join(scratch(), 'not-a-dir');
    writeFileSync(file, '');
    const err = await new Trainer({ optimizer: adam(), plugins: [checkpoint({ dir: join(file, 'runs') })] }).fit(bnCnn(), { train: imageLoader(), epochs: 1 }).catch((e: Error) => e.message);
    expect(err).toMatch(new RegExp(`^plugin "checkpoint" threw in setup: checkpoint: cannot write checkpoints to ${file}/runs: ENOTDIR`));
  });

  test.skipIf(process.getuid?.() === 0)('a read-only directory is a clear error (skipped as root, who may write anywhere)', async () => {
    const { chmodSync } = await import('node:fs');
    const dir = scratch();
    chmodSync(dir, 0o555);
    const err = await new Trainer({ optimizer: adam(), plugins: [checkpoint({ dir })] }).fit(bnCnn(), { train: imageLoader(), epochs: 1 }).catch((e: Error) => e.message);
    expect(err).toMatch(/cannot write checkpoints to .*: EACCES/);
  });
});

describe('checkpoint({ dir }) and checkpoint files', () => {
  test('trains, writes latest and best into the directory, and resumes from it', async () => {
    const dir = scratch();
    const first = new Trainer({ optimizer: adam(), seed: 1, plugins: [checkpoint({ dir, monitor: 'valLoss' })] });
    const model = bnCnn(0);
    await first.fit(model, { train: imageLoader(), val: imageLoader(8, 8, 2), epochs: 2 });
    expect(readdirSync(dir).sort()).toEqual(['best.safetensors', 'latest.safetensors']);
    const again = bnCnn(5);
    const res = await new Trainer({ optimizer: adam(), seed: 1, plugins: [checkpoint({ dir, monitor: 'valLoss' })] }).fit(again, { train: imageLoader(), val: imageLoader(8, 8, 2), epochs: 2, resume: 'latest' });
    expect(res.history).toHaveLength(2);
    expect(snapshot(again)).toEqual(snapshot(model));
  });

  test('resume also takes a path to a checkpoint elsewhere (here: a copy of best from another run)', async () => {
    const first = scratch();
    await new Trainer({ optimizer: adam(), seed: 1, plugins: [checkpoint({ dir: first, monitor: 'valLoss' })] }).fit(bnCnn(0), { train: imageLoader(), val: imageLoader(8, 8, 2), epochs: 2 });
    const second = scratch();
    const ckpt = checkpoint({ dir: second });
    const res = await new Trainer({ optimizer: adam(), seed: 1, plugins: [ckpt] }).fit(bnCnn(5), { train: imageLoader(), epochs: 3, resume: join(first, 'best.safetensors') });
    expect(ckpt.resumedFrom).toBe(join(first, 'best.safetensors'));
    expect(res.history.map((h) => h.epoch)).toEqual([0, 1, 2]);
    // that store's lists did not come along: this one keeps its own files from the resume on
    const third = scratch();
    const ranked = checkpoint({ dir: third, monitor: 'valLoss', topK: 2 });
    await new Trainer({ optimizer: adam(), seed: 1, plugins: [ranked] }).fit(bnCnn(5), { train: imageLoader(), val: imageLoader(8, 8, 2), epochs: 3, resume: join(first, 'latest.safetensors') });
    expect(ranked.ranked.map((f) => f.file).every((f) => existsSync(join(third, f)))).toBe(true);
    expect(readdirSync(third)).toContain('best.safetensors');
    // a store that already holds a run is not taken over silently by a resume from elsewhere
    const fit = new Trainer({ optimizer: adam(), seed: 1, plugins: [checkpoint({ dir: second })] }).fit(bnCnn(5), { train: imageLoader(), epochs: 4, resume: join(first, 'latest.safetensors') });
    await expect(fit).rejects.toThrow(/already holds checkpoints of an earlier run/);
  });

  test('a path to a file of its own directory resumes that run like the file name, keeping its lists, rather than being refused as an earlier run', async () => {
    const dir = scratch();
    const run = (epochs: number, resume?: string) => {
      const ckpt = checkpoint({ dir, keepLast: 2 });
      return new Trainer({ optimizer: adam(), seed: 1, plugins: [ckpt] }).fit(bnCnn(0), { train: imageLoader(), epochs, resume }).then(() => ckpt);
    };
    await run(2);
    const ckpt = await run(3, join(dir, 'epoch=1-step=12.safetensors'));
    expect(ckpt.resumedFrom).toBe('epoch=1-step=12.safetensors');
    expect(ckpt.recent.map((f) => f.file)).toEqual(['epoch=1-step=12.safetensors', 'epoch=2-step=18.safetensors']);
    expect(readdirSync(dir).sort()).toEqual(['epoch=1-step=12.safetensors', 'epoch=2-step=18.safetensors', 'latest.safetensors']);
  });
  test('writeCheckpoint / readCheckpoint round-trip weights; a bad file is named in the error', async () => {
    const dir = scratch();
    const model = bnCnn(3);
    await writeCheckpoint(join(dir, 'w.safetensors'), { model: model.stateDict() });
    const back = await readCheckpoint(join(dir, 'w.safetensors'), { requireChecksum: true });
    expect(Object.keys(back.model)).toEqual(Object.keys(model.stateDict()));
    writeFileSync(join(dir, 'bad.safetensors'), 'garbage!!');
    await expect(readCheckpoint(join(dir, 'bad.safetensors'))).rejects.toThrow(`readCheckpoint: ${join(dir, 'bad.safetensors')}: safetensors: the header length`);
    await expect(readCheckpoint(join(dir, 'missing.safetensors'))).rejects.toThrow(/readCheckpoint: cannot read .*missing.safetensors: ENOENT/);
  });
});

describe('readWhole: files past readFile’s 2 GiB limit', () => {
  test('reads a file in chunks into one array, the bytes readFile gives, whatever the chunk size', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'trainkit-readwhole-')), 'f.bin');
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 37) % 256);
    writeFileSync(path, bytes);
    for (const chunk of [1, 7, 999, 1000, 1 << 30]) expect(await readWhole(path, chunk)).toEqual(bytes);
    writeFileSync(path, new Uint8Array(0));
    expect(await readWhole(path)).toEqual(new Uint8Array(0));
  });
});
