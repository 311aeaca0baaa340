/**
 * The members of the ensemble table: the reference CNN (`mnistCnn`), Adam lr 1e-3, batch 64,
 * shuffled with the member's seed — the setup of tools/compare/src/accuracy.ts. The variant
 * adds a snapshot-ensemble schedule or EMA to the same run. Worker threads load this module
 * by its URL.
 */
import { DataLoader } from '@trainkit/data';
import { loadMnist } from '@trainkit/data/node';
import { defineMember, ema, snapshotEnsemble } from '@trainkit/ensemble';
import { mnistCnn } from '@trainkit/nn';
import { adam } from '@trainkit/optim-adam';

export interface CnnParams {
  /** `plain` member, or the same run with a snapshot-ensemble schedule or with EMA. */
  variant: 'plain' | 'snapshot' | 'ema';
  epochs: number;
  /** Train on the first `limit` training images (default: all 60,000). */
  limit?: number;
  /** Snapshot ensemble: cycles over the run, and how many of the last snapshots to keep. */
  cycles?: number;
  keep?: number;
  /** EMA decay. */
  decay?: number;
}

export default defineMember<CnnParams>({
  model: ({ rng }) => mnistCnn({ rng }),
  setup: async ({ params }) => {
    const train = await loadMnist({ split: 'train', limit: params.limit });
    const plugins =
      params.variant === 'snapshot'
        ? [snapshotEnsemble({ cycles: params.cycles ?? 5, keep: params.keep ?? 3, interval: 'step' })]
        : params.variant === 'ema'
          ? [ema({ decay: params.decay ?? 0.999 })]
          : [];
    return { optimizer: adam({ lr: 1e-3 }), train: new DataLoader(train, { batchSize: 64, shuffle: true }), epochs: params.epochs, plugins };
  },
});
