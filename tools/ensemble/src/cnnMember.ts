/**
 * The members of the ensemble table: the reference CNN (`mnistCnn`), Adam lr 1e-3, batch 64,
 * shuffled with the member's seed — the setup of tools/compare/src/accuracy.ts. The variant
 * adds a snapshot-ensemble schedule or EMA to the same run, or distils a saved ensemble into it
 * (the distillation table, src/distillTable.ts). Worker threads load this module by its URL.
 */
import { DataLoader } from '@trainkit/data';
import { loadMnist } from '@trainkit/data/node';
import { defineMember, distill, ema, snapshotEnsemble } from '@trainkit/ensemble';
import { loadEnsemble } from '@trainkit/ensemble/node';
import { mnistCnn } from '@trainkit/nn';
import { adam } from '@trainkit/optim-adam';

export interface CnnParams {
  /** `plain` member, or the same run with a snapshot-ensemble schedule, with EMA or distilled from a teacher. */
  variant: 'plain' | 'snapshot' | 'ema' | 'distilled';
  epochs: number;
  /** Train on the first `limit` training images (default: all 60,000). */
  limit?: number;
  /** Snapshot ensemble: cycles over the run, and how many of the last snapshots to keep. */
  cycles?: number;
  keep?: number;
  /** EMA decay. */
  decay?: number;
  /** Distilled: the folder of the saved teacher members (saveMember), the temperature T and the weight α. */
  teacher?: string;
  temperature?: number;
  alpha?: number;
}

async function pluginsOf(params: CnnParams) {
  if (params.variant === 'snapshot') return [snapshotEnsemble({ cycles: params.cycles ?? 5, keep: params.keep ?? 3, interval: 'step' })];
  if (params.variant === 'ema') return [ema({ decay: params.decay ?? 0.999 })];
  if (params.variant !== 'distilled') return [];
  if (params.teacher === undefined || params.temperature === undefined || params.alpha === undefined) throw new Error('cnnMember: a distilled member needs teacher, temperature and alpha');
  const teacher = await loadEnsemble(params.teacher, () => mnistCnn());
  return [distill({ teacher, temperature: params.temperature, alpha: params.alpha })];
}

export default defineMember<CnnParams>({
  model: ({ rng }) => mnistCnn({ rng }),
  setup: async ({ params }) => {
    const train = await loadMnist({ split: 'train', limit: params.limit });
    const plugins = await pluginsOf(params);
    return { optimizer: adam({ lr: 1e-3 }), train: new DataLoader(train, { batchSize: 64, shuffle: true }), epochs: params.epochs, plugins };
  },
});
