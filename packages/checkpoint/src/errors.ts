/** A checkpoint could not be written, read or applied; the message says which file and why. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

/** What to do about a system error, for the common ones: a hint to append to a message, or ''. */
export function hintFor(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return ' (the disk is full: free space or checkpoint to another directory)';
  if (code === 'EROFS') return ' (the file system became read-only)';
  if (code === 'EACCES' || code === 'EPERM') return ' (no permission to write there)';
  return '';
}
