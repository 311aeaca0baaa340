/**
 * The coordinator's lock on a sweep directory: a `lock` file created exclusively (`wx`) that holds
 * `{ pid, hostname, startedAt }`, so that two `runSweep` processes never both append to one
 * trials.jsonl. Only the coordinator takes it (through its directory store); queue workers never
 * open the sweep directory, and reading results (`openSweep`, reports) takes no lock.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { SweepError } from '../errors';

/** The lock file of a sweep directory, present while a coordinator runs the sweep. */
export const LOCK_FILE = 'lock';

/** Who holds a lock. */
interface Holder {
  pid: number;
  hostname: string;
  /** ISO time at which the holder took the lock. */
  startedAt: string;
}

const errno = (e: unknown) => (e as NodeJS.ErrnoException | null)?.code;

/** Creates the lock file with `text` unless it exists (false then); a half-written file is removed. */
function create(path: string, text: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (e) {
    if (errno(e) === 'EEXIST') return false;
    throw e;
  }
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(path); // an empty lock would name no holder and block every later run
    throw e;
  }
  closeSync(fd);
  return true;
}

/** The lock file's text and holder (undefined when it names none); undefined when there is no lock. */
function readLock(path: string): { text: string; holder: Holder | undefined } | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (errno(e) === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const h = JSON.parse(text) as Partial<Holder>;
    // pid 0 or a negative pid would signal a process group, not a process
    const valid = Number.isInteger(h.pid) && h.pid! > 0 && typeof h.hostname === 'string' && typeof h.startedAt === 'string';
    return { text, holder: valid ? (h as Holder) : undefined };
  } catch {
    return { text, holder: undefined };
  }
}

/** Whether process `pid` of this host runs: ESRCH says it does not; EPERM (another user's) says it does. */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errno(e) !== 'ESRCH';
  }
}

/**
 * Whether a lock was left by a coordinator that is gone: only a lock of this host can say, when its
 * pid no longer runs, or when it is this very process's pid but older than this process (a
 * container restarted with the same hostname and pid). A lock of another host is never stale here.
 * Containers that share a hostname but not a process table cannot tell a live coordinator from a
 * dead one this way; the sweep guide tells them to use a directory each.
 */
function isStale(h: Holder): boolean {
  if (h.hostname !== hostname()) return false;
  // the process's start, also from a worker thread (whose own time origin may be later)
  if (h.pid === process.pid) return Date.parse(h.startedAt) < Date.now() - process.uptime() * 1000;
  return !running(h.pid);
}

/**
 * Removes the stale lock whose text is `staleText`: moved aside first, so that a lock another
 * coordinator took over meanwhile is put back instead of deleted. True when the stale one went.
 */
function removeStale(path: string, staleText: string): boolean {
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(path, aside);
  } catch (e) {
    if (errno(e) === 'ENOENT') return false;
    throw e;
  }
  if (readFileSync(aside, 'utf8') === staleText) {
    unlinkSync(aside);
    return true;
  }
  // a live lock, taken between the read and the move: put it back, but never over a lock a third
  // coordinator created meanwhile (link fails where rename would replace it); that one then holds
  try {
    linkSync(aside, path);
  } catch (e) {
    if (errno(e) !== 'EEXIST') throw e;
  }
  unlinkSync(aside);
  return false;
}

/** The error for a lock that another coordinator holds (or may hold). */
function heldError(dir: string, path: string, h: Holder): SweepError {
  const here = h.hostname === hostname();
  const what = here
    ? `If no sweep runs as pid ${h.pid} on this host (the pid was reused), delete ${path} and run again.`
    : `The lock comes from another host, so it is never taken over automatically: if you are sure no sweep runs on ${h.hostname} any more (its machine or pod is gone), delete ${path} and run again.`;
  return new SweepError(
    `sweep directory ${dir} is in use by another coordinator: pid ${h.pid} on ${h.hostname}, started ${h.startedAt} (it holds ${path}). ` +
      `Two coordinators on one directory would both append to its trials.jsonl: wait for that sweep to end or stop it, or give this one another dir. ${what}`,
  );
}

/**
 * Takes the lock of sweep directory `dir` (which exists) for this process; returns its release,
 * which removes the file only while it is still this lock. A lock left by a coordinator of this
 * host that no longer runs is taken over, with a process warning that says so.
 * @throws {@link SweepError} naming the holder when another coordinator holds the lock
 */
export function lockSweepDir(dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  const mine: Holder = { pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString() };
  const text = JSON.stringify(mine) + '\n';
  // a lock released, or taken over by another coordinator, between two steps is looked at again
  for (let round = 0; round < 5; round++) {
    if (create(path, text)) return () => release(path, text);
    const seen = readLock(path);
    if (seen === undefined) continue;
    if (seen.holder === undefined) {
      throw new SweepError(`sweep directory ${dir}: its lock ${path} names no coordinator (${JSON.stringify(seen.text.slice(0, 80))}); another coordinator may be writing it this instant. If no sweep runs on this directory, delete ${path} and run again.`);
    }
    if (!isStale(seen.holder)) throw heldError(dir, path, seen.holder);
    if (removeStale(path, seen.text)) {
      const h = seen.holder;
      process.emitWarning(`sweep directory ${dir}: took over the lock of a coordinator that no longer runs (pid ${h.pid} on ${h.hostname}, started ${h.startedAt})`, 'SweepWarning');
    }
  }
  throw new SweepError(`sweep directory ${dir}: could not take ${path}, which other coordinators keep taking and releasing; run one coordinator per directory`);
}

/** Removes the lock file if it still holds `text` (one deleted by hand and taken by another coordinator stays). */
function release(path: string, text: string): void {
  try {
    if (readFileSync(path, 'utf8') === text) unlinkSync(path);
  } catch (e) {
    // a release that fails must not hide how the sweep ended; a run on this host takes it over once this process has ended
    if (errno(e) !== 'ENOENT') process.emitWarning(`sweep directory lock ${path} could not be removed: ${(e as Error).message}`, 'SweepWarning');
  }
}
