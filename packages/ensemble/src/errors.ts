/**
 * A bad ensemble configuration or input: the message names the call, the value and the fix.
 *
 * @example
 * new Ensemble([]); // EnsembleError: Ensemble: needs at least 1 member, got 0
 */
export class EnsembleError extends Error {
  override name = 'EnsembleError';
}

/**
 * One or more members failed to train. The error names the first failed member (by index and
 * seed) and keeps the original error as `cause`; `failures` lists every failed member and
 * `completed` the members that finished (their checkpoints, if any, were written).
 *
 * @example
 * try {
 *   await trainEnsemble({ member: url, members: 5, dir: 'runs/ensemble' });
 * } catch (e) {
 *   if (e instanceof MemberError) console.log(e.member, e.completed); // 2 [0, 1, 3, 4]
 * }
 */
export class MemberError extends Error {
  override name = 'MemberError';
  /** Index of the (first) failed member. */
  readonly member: number;
  /** Seed of the (first) failed member. */
  readonly seed: number;
  /** Every failed member, by index, with its error. */
  failures: Array<{ member: number; seed: number; error: unknown }> = [];
  /** Indices of the members that finished. */
  completed: number[] = [];

  constructor(member: number, seed: number, cause: unknown) {
    const msg = cause instanceof Error ? cause.message : String(cause);
    super(`ensemble: member ${member} (seed ${seed}) failed: ${msg}`, { cause });
    this.member = member;
    this.seed = seed;
  }
}
