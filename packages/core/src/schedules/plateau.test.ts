import { describe, expect, test } from 'vitest';
import { plateauTracker } from './plateau';

/** The lr after each epoch when the tracker sees `metrics`, starting from `lr`. */
function run(options: Parameters<typeof plateauTracker>[0], metrics: number[], lr = 1): number[] {
  const tracker = plateauTracker(options);
  return metrics.map((m) => (lr = tracker.step(m, lr)));
}

// Hand-worked cases of torch's ReduceLROnPlateau rules; tools/compare checks many more against torch itself.
describe('plateauTracker (torch ReduceLROnPlateau.step)', () => {
  test("'rel' scales the threshold by the signed best: with best −10 in 'min' mode, −9.95 still counts as better (it is below −10·(1 − 0.01) = −9.9)", () => {
    // every epoch "improves", so the lr is never cut
    expect(run({ threshold: 0.01, patience: 0, factor: 0.5 }, [-10, -9.95, -9.91])).toEqual([1, 1, 1]);
  });

  test("'abs' compares with best − threshold whatever the sign: −9.95 after −10 is a bad epoch", () => {
    expect(run({ threshold: 0.01, thresholdMode: 'abs', patience: 0, factor: 0.5 }, [-10, -9.95, -10.02])).toEqual([1, 0.5, 0.5]);
  });

  test("'max' mode with 'rel': better means above best·(1 + threshold), so 5.04 after 5 is not better and 5.06 is", () => {
    expect(run({ mode: 'max', threshold: 0.01, patience: 0, factor: 0.5 }, [5, 5.04, 5.06])).toEqual([1, 0.5, 0.5]);
  });

  test('cooldown: bad epochs right after a cut are not counted', () => {
    // patience 0: cut at epoch 1; epochs 2 and 3 are cooldown; epoch 4 counts again
    expect(run({ patience: 0, cooldown: 2, factor: 0.5 }, [1, 1, 1, 1, 1])).toEqual([1, 0.5, 0.5, 0.5, 0.25]);
  });

  test('the lr stops at minLr, and a cut smaller than eps is skipped', () => {
    expect(run({ patience: 0, factor: 0.1, minLr: 0.05 }, [1, 1, 1, 1])).toEqual([1, 0.1, 0.05, 0.05]);
    expect(run({ patience: 0, factor: 0.5, eps: 0.3 }, [1, 1, 1, 1])).toEqual([1, 0.5, 0.5, 0.5]);
  });

  test('state saved before any metric was seen survives JSON (an infinite best is stored as null) and resumes exactly', () => {
    const fresh = plateauTracker({ patience: 0, factor: 0.5 });
    const resumed = plateauTracker({ patience: 0, factor: 0.5 });
    resumed.loadStateDict(JSON.parse(JSON.stringify(fresh.stateDict())));
    // the first metric must count as an improvement after the resume too
    expect([3, 3].map((m) => resumed.step(m, 1))).toEqual([3, 3].map((m) => fresh.step(m, 1)));
    expect(resumed.stateDict()).toEqual(fresh.stateDict());
  });
});
