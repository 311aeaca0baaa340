import * as fc from 'fast-check';

/** A law did not hold: carries the law, the shrunk counterexample and what replays it. */
export class LawViolationError extends Error {
  override name = 'LawViolationError';
  constructor(
    /** The law's sentence, e.g. "momentum 0 equals plain SGD". */
    readonly law: string,
    /** The seed that replays the run. */
    readonly seed: number,
    /** The path to the shrunk counterexample within that run. */
    readonly path: string | null,
    /** The shrunk counterexample, as fast-check prints it. */
    readonly counterexample: string,
    report: string,
  ) {
    super(report);
  }
}

/**
 * Checks a law (a fast-check property) and throws a {@link LawViolationError} whose message
 * starts with the subject and the law, then fast-check's report: the shrunk counterexample,
 * the error it raised, and the seed and path that replay it.
 *
 * @param law the law's sentence, quoted in the message
 * @param property the property, e.g. `stateRoundTrips(lion)`
 * @param params fast-check parameters: `numRuns`, or `{ seed, path, endOnFailure: true }` to replay
 * @param subject what is under test, e.g. the optimizer's name
 * @example
 * assertLaw('state round-trips', stateRoundTrips(lion), { numRuns: 200 }, 'my-org/lion');
 */
export function assertLaw<Ts>(law: string, property: fc.IProperty<Ts>, params: fc.Parameters<Ts> = {}, subject = 'the optimizer'): void {
  const details = fc.check(property, { includeErrorInReport: true, ...params });
  if (!details.failed) return;
  const counterexample = fc.stringify(details.counterexample);
  const replay = `fc: { seed: ${details.seed}, path: ${JSON.stringify(details.counterexamplePath)}, endOnFailure: true }`;
  const report = [
    `${subject} violates the law "${law}"`,
    fc.defaultReportMessage(details) ?? '',
    `Replay just this counterexample by passing { ${replay} } (with vitest -t "${law}" to run only this law).`,
  ].join('\n');
  throw new LawViolationError(law, details.seed, details.counterexamplePath, counterexample, report);
}
