import { randomBytes } from 'node:crypto';
import { link, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CheckpointError } from '../errors';
import { tempFileName } from './atomicWrite';

/** The lock file of a checkpoint directory (a dot file: never listed as a checkpoint). */
export const LOCK_FILE = '.trainkit.lock';

/** What a lock file records about its holder. */
interface Holder {
  pid: number;
  host: string;
  since: string;
  token: string;
}

/** Tokens of the locks this process holds now (two checkpointers of one process must not share a directory either). */
const heldHere = new Set<string>();

/** Whether a process with this id runs on this machine. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

async function readHolder(path: string): Promise<Holder | null | 'unreadable'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    const h = JSON.parse(text) as Holder;
    return Number.isInteger(h.pid) && typeof h.host === 'string' && typeof h.token === 'string' ? h : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

/** A holder that cannot be running: a dead process on this machine, or an earlier lock of this process that was never released. */
function isStale(h: Holder): boolean {
  if (h.host !== hostname()) return false; // another machine's process ids mean nothing here
  return h.pid === process.pid ? !heldHere.has(h.token) : !alive(h.pid);
}

/**
 * Whether `dir` is locked by a run on another host (or by a lock file that cannot be read): its
 * temporary files carry process ids that mean nothing here, so they must not be judged by them.
 */
export async function lockedElsewhere(dir: string): Promise<boolean> {
  const h = await readHolder(join(dir, LOCK_FILE));
  return h === 'unreadable' || (h !== null && h.host !== hostname());
}

/** Creates the lock file with its whole content at once (a hard link of a written file), or returns false if it exists. */
async function create(dir: string, path: string, holder: Holder): Promise<boolean> {
  const temp = join(dir, tempFileName('trainkit.lock'));
  await writeFile(temp, JSON.stringify(holder), { flag: 'wx' });
  try {
    await link(temp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    await rm(temp, { force: true });
  }
}

/** Moves a stale lock aside, unless another process replaced it in the meantime (then it is put back). */
async function breakStale(dir: string, path: string, stale: Holder): Promise<void> {
  const aside = join(dir, tempFileName('trainkit.lock.stale'));
  try {
    await rename(path, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // someone else broke it first
    throw e;
  }
  const moved = await readHolder(aside);
  if (moved !== null && moved !== 'unreadable' && moved.token !== stale.token) await link(aside, path).catch(() => {}); // a live lock taken meanwhile: restore it
  await rm(aside, { force: true });
}

function refusal(dir: string, path: string, h: Holder | 'unreadable'): CheckpointError {
  if (h === 'unreadable') return new CheckpointError(`checkpoint: ${dir} is locked by ${path}, which cannot be read; if no run is writing this directory, delete that file`);
  const who = h.pid === process.pid && h.host === hostname() ? 'another checkpointer of this process (a second fit at the same time, or two plugins on one directory)' : `process ${h.pid} on ${h.host} (since ${h.since})`;
  return new CheckpointError(
    `checkpoint: ${dir} is in use by ${who}; two runs writing one directory would overwrite each other's checkpoints. ` +
      `Wait for it to finish or use another directory${h.host === hostname() ? '' : `; if that process no longer runs, delete ${path}`}`,
  );
}

/**
 * Takes the writer's lock of checkpoint directory `dir`: a file `.trainkit.lock` holding this
 * process's id, the host name and a random token. A lock of a process that no longer runs on
 * this host is stale and taken over; any other holder is refused with a {@link CheckpointError}
 * naming it. Returns the function that releases the lock (it removes the file only while it
 * is still this lock).
 */
export async function lockDirectory(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, LOCK_FILE);
  const me: Holder = { pid: process.pid, host: hostname(), since: new Date().toISOString(), token: randomBytes(8).toString('hex') };
  for (let attempt = 1; !(await create(dir, path, me)); attempt++) {
    const holder = await readHolder(path);
    if (holder === null && attempt < 5) continue; // released between our attempt and the read
    if (holder === null || holder === 'unreadable' || !isStale(holder) || attempt >= 5) throw refusal(dir, path, holder ?? 'unreadable');
    await breakStale(dir, path, holder);
  }
  heldHere.add(me.token);
  return async () => {
    heldHere.delete(me.token);
    const now = await readHolder(path);
    if (now !== null && now !== 'unreadable' && now.token === me.token) await rm(path, { force: true });
  };
}
