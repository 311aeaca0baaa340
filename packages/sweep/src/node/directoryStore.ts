import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { SweepError } from '../errors';
import { SWEEP_FORMAT, type TrialRecord, type TrialStore } from '../store';
import { lockSweepDir } from './lock';

/** The file of a sweep directory that says which format wrote it. */
export const SWEEP_META = 'sweep.json';
/** One JSON line per trial run, appended in the order runs finish. */
export const TRIALS_FILE = 'trials.jsonl';

/** Opens `path` with `flags`, runs `change` on it, then flushes it to disk and closes it. */
function durably(path: string, flags: string, change: (fd: number) => void): void {
  const fd = openSync(path, flags);
  try {
    change(fd);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function appendDurably(path: string, text: string): void {
  durably(path, 'a', (fd) => writeSync(fd, text));
}

/**
 * Cuts off a last line torn by a crash mid-write (the bytes after the last newline), so that the
 * next record starts a line of its own instead of joining the torn one into a line no reader parses.
 */
function dropTornTail(path: string): void {
  if (!existsSync(path)) return;
  const text = readFileSync(path);
  const end = text.lastIndexOf(0x0a) + 1;
  if (end === text.length) return;
  durably(path, 'r+', (fd) => ftruncateSync(fd, end));
}

/** Writes the meta file into a new sweep directory (made if missing); checks the one already there. */
function ensureMeta(dir: string): void {
  const path = join(dir, SWEEP_META);
  if (existsSync(path)) return checkMeta(dir);
  mkdirSync(dir, { recursive: true });
  appendDurably(path, JSON.stringify({ format: SWEEP_FORMAT, package: '@trainkit/sweep' }) + '\n');
}

/** Refuses a directory whose meta file is not of this package or written by a newer format. */
function checkMeta(dir: string): void {
  const path = join(dir, SWEEP_META);
  let meta: { format?: unknown };
  try {
    meta = JSON.parse(readFileSync(path, 'utf8')) as { format?: unknown };
  } catch (e) {
    throw new SweepError(`sweep directory ${dir}: ${SWEEP_META} is not JSON (${(e as Error).message})`);
  }
  if (typeof meta.format !== 'number') throw new SweepError(`sweep directory ${dir}: ${SWEEP_META} has no format number; is this a sweep directory?`);
  if (meta.format > SWEEP_FORMAT) {
    throw new SweepError(`sweep directory ${dir} was written by a newer version of @trainkit/sweep (format ${meta.format}; this version reads format ${SWEEP_FORMAT} and older): upgrade @trainkit/sweep or use another directory`);
  }
}

/** Parses trials.jsonl; a last line cut short by a crash (no newline) is ignored, any other bad line is an error. */
export function parseTrialLines(text: string, where: string): TrialRecord[] {
  // the part after the last newline is empty, or a record torn by a crash mid-write
  return text.split('\n').slice(0, -1).map((line, i) => {
    let r: TrialRecord;
    try {
      r = JSON.parse(line) as TrialRecord;
    } catch (e) {
      throw new SweepError(`${where}: line ${i + 1} is not JSON (${(e as Error).message})`);
    }
    if (typeof r.format !== 'number' || typeof r.trialId !== 'string') throw new SweepError(`${where}: line ${i + 1} is not a trial record`);
    if (r.format > SWEEP_FORMAT) throw new SweepError(`${where}: line ${i + 1} was written by a newer version of @trainkit/sweep (format ${r.format}; this version reads ${SWEEP_FORMAT})`);
    return r;
  });
}

/**
 * A sweep directory as a {@link TrialStore}: `sweep.json` (the format) and `trials.jsonl`,
 * one JSON line per trial run, appended and fsynced before the next trial's record. Reopening
 * the directory resumes the sweep; its first append drops a last line a crash left torn.
 *
 * Making the store writes nothing (a directory from a newer version is refused at once). `open`,
 * which `runSweep` calls, makes the directory and takes its `lock` file for the run, so that a
 * second coordinator on the directory fails with an error naming the first; `close` releases it.
 * The directory and `sweep.json` are written under the lock, or on the first `load` or `append`
 * of a store used without `open`.
 */
export function directoryStore(dir: string): TrialStore {
  if (existsSync(join(dir, SWEEP_META))) checkMeta(dir);
  const path = join(dir, TRIALS_FILE);
  let ready = false;
  let repaired = false;
  let release: (() => void) | undefined;
  const ensure = () => {
    if (!ready) ensureMeta(dir);
    ready = true;
  };
  return {
    open: () =>
      new Promise<void>((resolve) => {
        if (release !== undefined) throw new SweepError(`sweep directory ${dir}: this store is open already (one run at a time)`);
        mkdirSync(dir, { recursive: true });
        const unlock = lockSweepDir(dir);
        try {
          ensure();
        } catch (e) {
          unlock();
          throw e;
        }
        release = unlock;
        resolve();
      }),
    load: () => {
      ensure();
      return Promise.resolve(existsSync(path) ? parseTrialLines(readFileSync(path, 'utf8'), path) : []);
    },
    append: (record) => {
      ensure();
      if (!repaired) dropTornTail(path);
      repaired = true;
      return Promise.resolve(appendDurably(path, JSON.stringify(record) + '\n'));
    },
    close: () => {
      release?.();
      release = undefined;
      return Promise.resolve();
    },
  };
}
