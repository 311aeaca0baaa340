/**
 * The members of the ensemble table: the reference CNN (`mnistCnn`), Adam lr 1e-3, batch 64,
 * shuffled with the member's seed — the setup of tools/compare/src/accuracy.ts. The variant
 * adds a snapshot-ensemble schedule or EMA to the same run, or distils a saved ensemble into it
 * (the distillation table, src/distillTable.ts). Worker threads load this module by its URL.
 */
import { readFileSync } from 'node:fs';
import { DataLoader, type TensorDataset } from '@trainkit/data';
import { loadMnist } from '@trainkit/data/node';
import { defineMember, distill, ema, snapshotEnsemble } from '@trainkit/ensemble';
import { loadEnsemble } from '@trainkit/ensemble/node';
import { mnistCnn } from '@trainkit/nn';
import { adam } from '@trainkit/optim-adam';
import { TeacherTable } from './teacherTable';

const readFloats = (file: string) => {
  const b = readFileSync(file);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

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
  /** Distilled: a file of the teacher's logits for the training images (teacherTable.ts), used instead of running `teacher`. */
  teacherLogits?: string;
  temperature?: number;
  alpha?: number;
  /** Distilled: how the teacher's members are combined (Ensemble method, default `'probs'`) and its temperature τ (default 1). */
  combine?: 'probs' | 'logits';
  teacherTemperature?: number;
}

async function pluginsOf(params: CnnParams, train: TensorDataset) {
  if (params.variant === 'snapshot') return [snapshotEnsemble({ cycles: params.cycles ?? 5, keep: params.keep ?? 3, interval: 'step' })];
  if (params.variant === 'ema') return [ema({ decay: params.decay ?? 0.999 })];
  if (params.variant !== 'distilled') return [];
  if (params.teacher === undefined || params.temperature === undefined || params.alpha === undefined) throw new Error('cnnMember: a distilled member needs teacher, temperature and alpha');
  // the teacher's training-set logits, computed once by distillTable.ts, or the saved ensemble itself
  const teacher = params.teacherLogits ? new TeacherTable(train.x, 784, readFloats(params.teacherLogits), 10) : await loadEnsemble(params.teacher, () => mnistCnn(), { method: params.combine ?? 'probs' });
  return [distill({ teacher, temperature: params.temperature, alpha: params.alpha, teacherTemperature: params.teacherTemperature })];
}

export default defineMember<CnnParams>({
  model: ({ rng }) => mnistCnn({ rng }),
  setup: async ({ params }) => {
    const train = await loadMnist({ split: 'train', limit: params.limit });
    const plugins = await pluginsOf(params, train as TensorDataset);
    return { optimizer: adam({ lr: 1e-3 }), train: new DataLoader(train, { batchSize: 64, shuffle: true }), epochs: params.epochs, plugins };
  },
});
