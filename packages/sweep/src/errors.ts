/** A sweep was set up wrongly: a bad search space, sampler, scheduler or option. The message names the place. */
export class SweepError extends Error {
  override name = 'SweepError';
}

/** A trial ran past its `timeoutMs`; it is recorded as failed (and retried while retries are left). */
export class TrialTimeoutError extends Error {
  override name = 'TrialTimeoutError';
}
