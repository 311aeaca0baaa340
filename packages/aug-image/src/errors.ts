/**
 * A transform got an option it cannot use, or a batch it cannot augment. The message names
 * the package, the transform, the offending value and how to fix it, e.g.
 * `aug-image: randomRotation: degrees must be ≥ 0 (the largest angle in degrees), got -10`.
 */
export class AugmentError extends Error {
  override name = 'AugmentError';
  /** The transform (or entry point) that refused: `randomRotation`, `compose`, `augment`, …. */
  readonly transform: string;

  constructor(transform: string, message: string) {
    super(`aug-image: ${transform}: ${message}`);
    this.transform = transform;
  }
}
