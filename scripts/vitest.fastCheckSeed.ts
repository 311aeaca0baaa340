// Setup of every vitest project: with TRAINKIT_FC_SEED set (CI sets it), every fast-check
// property draws from that seed, so a CI run is reproducible and cannot fail on a draw no
// earlier run made (the practice of Hypothesis's derandomized CI profile). Unset — the local
// default — each run explores new cases. A failure prints its seed and path either way;
// `TRAINKIT_FC_SEED=<seed> npx vitest run <file>` replays it.
import { fc } from '@fast-check/vitest';

const seed = process.env.TRAINKIT_FC_SEED;
if (seed !== undefined && seed !== '') {
  const value = Number(seed);
  if (!Number.isInteger(value)) throw new Error(`TRAINKIT_FC_SEED must be an integer, got ${JSON.stringify(seed)}`);
  fc.configureGlobal({ ...fc.readConfigureGlobal(), seed: value });
}
