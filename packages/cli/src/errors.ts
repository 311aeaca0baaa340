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
