import { ConfigError, metricMode } from '@trainkit/core';
import type { CheckpointStore } from './store';

/** Options of a {@link Checkpointer} (and of `checkpoint({ dir, … })` from `@trainkit/checkpoint/node`). */
export interface CheckpointOptions {
  /** Where the files go. `checkpoint({ dir })` fills it with a directory store. */
  store: CheckpointStore;
  /**
   * Metric that ranks checkpoints, e.g. `'valLoss'` or `'valAccuracy'` (any key of `ctx.metrics`
   * at the end of an epoch). With it, `best.safetensors` holds the best epoch so far.
   * @example checkpoint({ dir: 'runs/a', monitor: 'valAccuracy' })
   */
  monitor?: string;
  /**
   * Whether a lower (`'min'`) or higher (`'max'`) value is better. Default: `'min'` for names with loss, err, mse, mae, nll, ece,
   * perplexity, brier or dist; `'max'` for acc, auc, f1, precision, recall, iou, dice, map, a trailing AP, r2, bleu, ndcg, psnr or ssim;
   * otherwise `'min'` with a warning that asks for `mode`.
   */
  mode?: 'min' | 'max';
  /** Save at the end of every N-th epoch. Default 1; 0 saves no epoch-end checkpoints. */
  everyNEpochs?: number;
  /** Also save every N optimizer steps, within epochs (default 0: never). @example checkpoint({ dir, everyNSteps: 500 }) */
  everyNSteps?: number;
  /** Write `latest.safetensors` at every save (default true): what `resume: 'latest'` continues from. */
  saveLatest?: boolean;
  /**
   * Write `best.safetensors` when the monitored metric improves (default true when `monitor` is
   * set). With `false` (and `topK`), `best` and `resume: 'best'` are the top-k file ranked first.
   */
  saveBest?: boolean;
  /** Keep the K best checkpoints as `epoch=E-step=S-<monitor>=V.safetensors` (default 0; -1 keeps every ranked one). Needs `monitor`. */
  topK?: number;
  /** Keep the K most recent checkpoints as `epoch=E-step=S.safetensors` (default 0; -1 keeps all). */
  keepLast?: number;
  /** Start a new run in a store that holds checkpoints of an earlier one, deleting them (default false: an error unless the fit resumes). */
  overwrite?: boolean;
  /**
   * With `resume: 'latest'`, when `latest.safetensors` cannot be read or fails to verify (torn by
   * a failing disk, bit-flipped), resume from the newest checkpoint of the store that verifies
   * (the newest keep-last or top-k file, or `best` when it is newer) and warn which file was
   * used and why. Default true; false makes a corrupt `latest` an error. `'best'` and file names
   * never fall back.
   */
  resumeFallback?: boolean;
  /** Where warnings go (a fallback resume, orphaned files deleted). Default `console.warn`. */
  warn?: (message: string) => void;
  /** Extra string metadata written into every file. */
  metadata?: Readonly<Record<string, string>>;
  /** Plugin name (default `'checkpoint'`). */
  name?: string;
  /** Key of this plugin's state in the trainer state (default `'checkpoint'`, or `'checkpoint:<monitor>'`); give two checkpointers distinct keys. */
  stateKey?: string;
}

/** The options with every default filled in. */
export type ResolvedOptions = Required<Omit<CheckpointOptions, 'monitor'>> & { monitor: string | null };

/**
 * The default `mode` for `monitor`: `'min'` for a loss or an error, `'max'` for a score, and for
 * a name that says neither, `'min'` with a warning — a wrong guess would silently keep the worst
 * checkpoints as "best".
 */
function guessMode(monitor: string | null, warn: (message: string) => void): 'min' | 'max' {
  if (monitor === null || typeof monitor !== 'string') return 'min';
  const mode = metricMode(monitor);
  if (mode !== null) return mode;
  warn(`checkpoint({ monitor: '${monitor}' }): no mode given and the name does not say whether lower or higher is better; assuming 'min' (lower is better). Pass mode: 'max' if higher is better`);
  return 'min';
}

/** Fills in the defaults and validates; errors quote the offending option. */
export function resolveOptions(options: CheckpointOptions): ResolvedOptions {
  const monitor = options.monitor ?? null;
  const warn = options.warn ?? ((message: string) => console.warn(message));
  const resolved: ResolvedOptions = {
    store: options.store,
    monitor,
    mode: options.mode ?? (typeof warn === 'function' ? guessMode(monitor, warn) : 'min'),
    everyNEpochs: options.everyNEpochs ?? 1,
    everyNSteps: options.everyNSteps ?? 0,
    saveLatest: options.saveLatest ?? true,
    saveBest: options.saveBest ?? monitor !== null,
    topK: options.topK ?? 0,
    keepLast: options.keepLast ?? 0,
    overwrite: options.overwrite ?? false,
    resumeFallback: options.resumeFallback ?? true,
    warn,
    metadata: options.metadata ?? {},
    name: options.name ?? 'checkpoint',
    stateKey: options.stateKey ?? (monitor === null ? 'checkpoint' : `checkpoint:${monitor}`),
  };
  validateOptions(resolved);
  return resolved;
}

function validateOptions(o: ResolvedOptions): void {
  const bad = (option: string, value: unknown, rule: string): never => {
    throw new ConfigError(`checkpoint({ ${option}: ${JSON.stringify(value)} }): ${rule}`);
  };
  const store = o.store as Partial<CheckpointStore> | undefined;
  if (!store || typeof store.write !== 'function' || typeof store.read !== 'function') {
    throw new ConfigError('checkpoint: options.store must be a CheckpointStore; use checkpoint({ dir }) from @trainkit/checkpoint/node, or memoryStore()');
  }
  if (o.monitor !== null && (typeof o.monitor !== 'string' || o.monitor === '')) bad('monitor', o.monitor, 'must be a metric name such as "valLoss"');
  if (o.mode !== 'min' && o.mode !== 'max') bad('mode', o.mode, "must be 'min' or 'max'");
  for (const k of ['everyNEpochs', 'everyNSteps'] as const) if (!Number.isInteger(o[k]) || o[k] < 0) bad(k, o[k], 'must be an integer ≥ 0');
  for (const k of ['topK', 'keepLast'] as const) if (!Number.isInteger(o[k]) || o[k] < -1) bad(k, o[k], 'must be an integer ≥ -1 (-1 keeps all)');
  if (o.monitor === null && o.topK !== 0) bad('topK', o.topK, 'ranks checkpoints by a metric; set monitor as well');
  if (o.monitor === null && o.saveBest) bad('saveBest', true, 'needs monitor: the metric that decides what is best');
  if (o.monitor !== null && !o.saveBest && o.topK === 0) {
    bad('saveBest', false, `with topK 0 no file would hold the best checkpoint, so monitor '${o.monitor}' would decide nothing; keep saveBest, set topK, or leave out monitor`);
  }
  if (typeof o.resumeFallback !== 'boolean') bad('resumeFallback', o.resumeFallback, 'must be true or false');
  if (typeof o.warn !== 'function') bad('warn', typeof o.warn, 'must be a function (message: string) => void');
  if (o.everyNEpochs === 0 && o.everyNSteps === 0) bad('everyNEpochs', 0, 'with everyNSteps 0 nothing would ever be saved');
  if (!o.saveLatest && !o.saveBest && o.topK === 0 && o.keepLast === 0) bad('saveLatest', false, 'with no best, top-k or keep-last files nothing would ever be saved');
}
