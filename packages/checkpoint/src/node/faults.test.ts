import { Trainer, type Plugin } from '@trainkit/core';
import { adam } from '@trainkit/optim-adam';
import { type ChildProcess, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { decodeCheckpoint } from '../index';
import { checkpoint, directoryStore, writeFileAtomic } from '../node';
import { bnCnn, imageLoader } from '../__tests__/models';
import { spawnRun } from '../__tests__/spawnRun';

// The directory store under faults: a process killed inside its writability probe, two
// writers on one directory (in one process and in two), and a real full and a real read-only
// file system (a small tmpfs mounted for the test; skipped where mounting is not allowed).

const scratch = () => mkdtempSync(join(tmpdir(), 'trainkit-faults-'));
const message = (e: unknown) => (e as Error).message;
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const LOCK = '.trainkit.lock';

async function until(done: () => boolean, what: string): Promise<void> {
  for (const start = Date.now(); !done(); await new Promise((r) => setTimeout(r, 20))) if (Date.now() - start > 30_000) throw new Error(`timed out waiting for ${what}`);
}

function fit(dir: string, epochs: number, resume?: string, plugins: Plugin[] = []) {
  return new Trainer({ optimizer: adam(), seed: 1, plugins: [checkpoint({ dir }), ...plugins] }).fit(bnCnn(), { train: imageLoader(24, 8), epochs, resume });
}

describe('the writability probe', () => {
  test('a process killed between writing and deleting its probe leaves a file the next prepare removes', async () => {
    const dir = scratch();
    const killed = await spawnRun({ epochs: 1, small: true, dir, kill: { fn: 'rm', match: '.probe.', nth: 1 }, out: join(dir, 'never') });
    expect(killed.signal).toBe('SIGKILL');
    const left = readdirSync(dir);
    expect(left).toEqual([expect.stringMatching(/^\.probe\.\d+\.[0-9a-f]{12}\.tmp$/)]);
    writeFileSync(join(dir, `.probe.${left[0].split('.')[2]}.tmp`), ''); // the name earlier versions gave the probe, by the same dead process
    await directoryStore(dir).prepare();
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('two writers on one directory', () => {
  test('a second fit of this process on the directory is refused while the first runs; the lock goes when it ends', async () => {
    const dir = scratch();
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const hold: Plugin = { name: 'hold', onTrainBatchStart: (ctx) => (ctx.epoch === 0 && ctx.batchIndex === 0 ? gate : undefined) };
    const first = fit(dir, 1, undefined, [hold]);
    await until(() => existsSync(join(dir, LOCK)), 'the first fit to take the lock');
    expect(await fit(dir, 1, 'latest').catch(message)).toBe(
      `plugin "checkpoint" threw in setup: checkpoint: ${dir} is in use by another checkpointer of this process (a second fit at the same time, or two plugins on one directory); two runs writing one directory would overwrite each other's checkpoints. Wait for it to finish or use another directory`,
    );
    open();
    await first;
    expect(readdirSync(dir)).toEqual(['latest.safetensors']);
  });

  test('another process is refused while it writes (naming its pid and host); once it is killed, its stale lock is taken over', async () => {
    const dir = scratch();
    let child!: ChildProcess;
    const running = spawnRun({ epochs: 100_000, small: true, dir, out: join(dir, 'never') }, (c) => (child = c));
    await until(() => existsSync(join(dir, 'latest.safetensors')), 'the other process to save');
    const err = await fit(dir, 1, 'latest').catch(message);
    expect(err).toMatch(new RegExp(`^plugin "checkpoint" threw in setup: checkpoint: ${escape(dir)} is in use by process ${child.pid} on ${escape(hostname())} \\(since [-0-9T:.Z]+\\); two runs writing`));
    child.kill('SIGKILL');
    await running;
    const epoch = decodeCheckpoint(readFileSync(join(dir, 'latest.safetensors'))).trainer!.epoch;
    const resumed = await spawnRun({ epochs: epoch + 1, small: true, dir, resume: true, out: join(dir, 'final.safetensors') });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  test('a lock held on another host is refused with the file to delete if that run is gone', async () => {
    const dir = scratch();
    writeFileSync(join(dir, LOCK), JSON.stringify({ pid: 1, host: 'gpu-node-7', since: '2026-01-01T00:00:00.000Z', token: 'ab' }));
    expect(await fit(dir, 1).catch(message)).toMatch(new RegExp(`in use by process 1 on gpu-node-7 \\(since 2026-01-01T00:00:00.000Z\\); .*; if that process no longer runs, delete ${escape(join(dir, LOCK))}$`));
  });

  test('a run refused by the lock of another host leaves that run’s temporary files alone (a save in progress on a shared file system)', async () => {
    const dir = scratch();
    writeFileSync(join(dir, LOCK), JSON.stringify({ pid: 4_999_999, host: 'gpu-node-7', since: '2026-01-01T00:00:00.000Z', token: 'ab' }));
    const writing = `.latest.safetensors.4999999.0123456789ab.tmp`; // pid 4999999 runs on gpu-node-7; here no process has it
    writeFileSync(join(dir, writing), 'half of a checkpoint');
    expect(await fit(dir, 1).catch(message)).toMatch(/in use by process 4999999 on gpu-node-7/);
    expect(readdirSync(dir).sort()).toEqual([LOCK, writing].sort());
  });
});

/** Mounts a tmpfs of `size` on a new directory; null where this process may not mount. */
function tmpfs(size: string): string | null {
  const dir = scratch();
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    return null;
  }
}
const probe = tmpfs('64k');
if (probe !== null) execFileSync('umount', [probe]);

describe.skipIf(probe === null)('on a real full or read-only file system (a tmpfs; needs root)', () => {
  const mounted: string[] = [];
  const mount = (size: string) => (mounted.push(tmpfs(size)!), mounted.at(-1)!);
  afterEach(() => void mounted.splice(0).forEach((d) => execFileSync('umount', [d])));
  const fill = (dir: string) => {
    try {
      writeFileSync(join(dir, 'filler'), new Uint8Array(4 << 20));
    } catch (e) {
      expect((e as NodeJS.ErrnoException).code).toBe('ENOSPC');
    }
  };

  test('writeFileAtomic on a full disk throws ENOSPC naming the file, keeps the old bytes and leaves no temporary file', async () => {
    const dir = mount('256k');
    await writeFileAtomic(join(dir, 'a.bin'), Uint8Array.of(1, 2, 3));
    fill(dir);
    const err = (await writeFileAtomic(join(dir, 'a.bin'), new Uint8Array(64 << 10)).catch((e: unknown) => e)) as NodeJS.ErrnoException;
    expect([err.code, err.message]).toEqual(['ENOSPC', `ENOSPC: no space left on device, write (writing ${join(dir, 'a.bin')})`]);
    expect([...readFileSync(join(dir, 'a.bin'))]).toEqual([1, 2, 3]);
    expect(readdirSync(dir).sort()).toEqual(['a.bin', 'filler']);
  });

  test('the disk filling up mid-run stops fit with an error naming the file and the directory; the run resumes once there is space', async () => {
    const dir = join(mount('1m'), 'ckpt');
    const err = await fit(dir, 3, undefined, [{ name: 'fill', onTrainEpochStart: (ctx) => void (ctx.epoch === 1 && fill(join(dir, '..'))) }]).catch(message);
    expect(err).toMatch(new RegExp(`^plugin "checkpoint" threw in onTrainEpochEnd: checkpoint: cannot save latest.safetensors \\(\\d+ bytes, epoch 1 step 6\\) to ${escape(dir)}: ENOSPC: no space left on device, write \\(writing ${escape(join(dir, 'latest.safetensors'))}\\) \\(the disk is full: `));
    expect(readdirSync(dir)).toEqual(['latest.safetensors']);
    rmSync(join(dir, '..', 'filler'));
    expect((await fit(dir, 3, 'latest')).history.map((h) => h.epoch)).toEqual([0, 1, 2]);
  });

  test('the file system turning read-only mid-run stops fit with an error naming the file and the directory', async () => {
    const root = mount('1m');
    const dir = join(root, 'ckpt');
    const readOnly: Plugin = { name: 'ro', onTrainEpochStart: (ctx) => void (ctx.epoch === 1 && execFileSync('mount', ['-o', 'remount,ro', root])) };
    const err = await fit(dir, 3, undefined, [readOnly]).catch(message);
    expect(err).toContain(`checkpoint: cannot save latest.safetensors`);
    expect(err).toMatch(new RegExp(`to ${escape(dir)}: EROFS: read-only file system, open '${escape(dir)}/\\.latest\\.safetensors\\.\\d+\\.[0-9a-f]{12}\\.tmp' \\(writing ${escape(join(dir, 'latest.safetensors'))}\\) \\(the file system became read-only\\)`));
    execFileSync('mount', ['-o', 'remount,rw', root]);
    expect((await fit(dir, 3, 'latest')).history.map((h) => h.epoch)).toEqual([0, 1, 2]);
  });
});
