/** A checkpoint could not be written, read or applied; the message says which file and why. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
}
