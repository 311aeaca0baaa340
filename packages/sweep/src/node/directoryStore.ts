import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { SweepError } from '../errors';
import { SWEEP_FORMAT, type TrialRecord, type TrialStore } from '../store';

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

/** Refuses a directory written by a newer format; writes the meta file into a new one. */
function checkMeta(dir: string): void {
  const path = join(dir, SWEEP_META);
  if (!existsSync(path)) {
    mkdirSync(dir, { recursive: true });
    appendDurably(path, JSON.stringify({ format: SWEEP_FORMAT, package: '@trainkit/sweep' }) + '\n');
    return;
  }
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
 */
export function directoryStore(dir: string): TrialStore {
  checkMeta(dir);
  const path = join(dir, TRIALS_FILE);
  let repaired = false;
  return {
    load: () => Promise.resolve(existsSync(path) ? parseTrialLines(readFileSync(path, 'utf8'), path) : []),
    append: (record) => {
      if (!repaired) dropTornTail(path);
      repaired = true;
      return Promise.resolve(appendDurably(path, JSON.stringify(record) + '\n'));
    },
  };
}
