import { dirname } from 'node:path';
import { ConfigError, NonFiniteGradientError, NonFiniteLossError, PluginError, ResumeError } from '@trainkit/core';
import { CheckpointError } from '@trainkit/checkpoint';
import { AugmentError } from '@trainkit/aug-image';
import { ShapeError, ValueError } from '@trainkit/tensor';

/** A mistake in the command line or its inputs: printed without a stack trace, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Exit code of a run stopped by ctrl-C (128 + SIGINT), as shells report it. */
export const EXIT_INTERRUPTED = 130;
/** Exit code of a run stopped by SIGTERM (128 + 15: `kill`, `docker stop`, Kubernetes). */
export const EXIT_TERMINATED = 143;
/** Exit code of a bad command line or bad input. */
export const EXIT_USAGE = 2;

/** Whether `e` is about the user's input (an option, a file, a column) rather than a bug in trainkit. */
export function isUserError(e: unknown): e is Error {
  if (!(e instanceof Error)) return false;
  // a hook's error (a checkpoint store that is full or already holds a run) is judged by its cause
  if (e instanceof PluginError && e.cause instanceof Error && isUserError(e.cause)) return true;
  // a diverged run (e.g. --lr 10) is the settings', not trainkit's
  const known = [UsageError, ValueError, ShapeError, ConfigError, CheckpointError, AugmentError, ResumeError, NonFiniteLossError, NonFiniteGradientError];
  // the data loaders' plain errors for a missing folder or a missing optional package name the thing to fix
  return known.some((k) => e instanceof k) || /^(imageFolder|csvDataset|csvFeatures|loadCifar|loadMnist|loadFashionMnist): /.test(e.message);
}

/**
 * What went wrong with a path the user gave, in words, when a file-system call on it failed for a
 * reason the user can fix (a missing folder, a file where a folder belongs, no permission);
 * undefined for any other failure.
 */
export function pathProblem(e: unknown, path: string, op: 'read' | 'write'): string | undefined {
  switch ((e as NodeJS.ErrnoException | undefined)?.code) {
    case 'ENOENT':
      return op === 'write' ? `the folder ${dirname(path)} does not exist` : `${path} does not exist`;
    case 'ENOTDIR':
      return `a part of ${path} is a file, not a folder`;
    case 'EISDIR':
      return `${path} is a folder, not a file`;
    case 'EACCES':
    case 'EPERM':
      return `permission denied`;
    case 'EROFS':
      return 'the file system is read-only';
    default:
      return undefined;
  }
}

/**
 * Runs `act`, a file-system call on `path`, which the user gave; a {@link pathProblem} becomes a
 * {@link UsageError} of one line: `<what>: <problem>; <fix>`.
 *
 * @example
 * await onUserPath('trainkit eval: cannot write --svg x/c.svg', 'x/c.svg', 'write', 'give --svg a file in an existing folder', () => writeFile('x/c.svg', svg));
 */
export async function onUserPath<T>(what: string, path: string, op: 'read' | 'write', fix: string, act: () => Promise<T>): Promise<T> {
  try {
    return await act();
  } catch (e) {
    const problem = pathProblem(e, path, op);
    if (problem === undefined) throw e;
    throw new UsageError(`${what}: ${problem}; ${fix}`);
  }
}
