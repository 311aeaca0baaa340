import { basename, extname, join } from 'node:path';
import { type Parsed, choice, fraction, list, nonNegativeInt, num, parse, positive, positiveInt, text } from './args';
import { type ImageSpec, orientationOf } from './dataKind';
import { UsageError } from './errors';
import { MODEL_NAMES, type ModelName } from './models';
import { OPTIMIZERS, OPTIMIZER_NAMES } from './recipe';
import type { RunFile, TrainingSpec } from './runFile';
import type { DataOptions } from './trainData';

/** The options of `trainkit train` (see its --help). */
export const TRAIN_OPTIONS = {
  model: { type: 'string' },
  epochs: { type: 'string' },
  'batch-size': { type: 'string' },
  lr: { type: 'string' },
  optimizer: { type: 'string' },
  augment: { type: 'string' },
  seed: { type: 'string' },
  out: { type: 'string' },
  resume: { type: 'boolean' },
  overwrite: { type: 'boolean' },
  limit: { type: 'string' },
  'val-fraction': { type: 'string' },
  size: { type: 'string' },
  color: { type: 'string' },
  orientation: { type: 'string' },
  fit: { type: 'string' },
  mean: { type: 'string' },
  std: { type: 'string' },
  target: { type: 'string' },
  categorical: { type: 'string' },
  missing: { type: 'string' },
} as const;

/** `trainkit train`'s command line, resolved. */
export interface TrainArgs {
  data: string;
  out: string;
  resume: boolean;
  overwrite: boolean;
  model: ModelName;
  training: Omit<TrainingSpec, 'monitor'>;
  dataOptions: DataOptions;
  help: boolean;
  /** The options given on the command line (a resumed run checks them against run.json). */
  given: Parsed;
}

const floats = (p: Parsed, name: string): number[] | null => {
  const items = list(p, name);
  if (items.length === 0) return null;
  const values = items.map(Number);
  if (!values.every(Number.isFinite)) throw new UsageError(`trainkit train: --${name} must be numbers separated by commas (one per channel), got ${JSON.stringify(text(p, name))}`);
  return values;
};

/** Parses `trainkit train`'s arguments; `data` may be omitted with --resume (run.json has it). */
export function parseTrainArgs(args: readonly string[]): TrainArgs {
  const p = parse('train', args, TRAIN_OPTIONS);
  const c = 'train';
  if (p.positionals.length > 1) throw new UsageError(`trainkit train: expected one <data>, got ${p.positionals.length}: ${p.positionals.join(' ')} (see trainkit train --help)`);
  const data = p.positionals[0] ?? '';
  const optimizer = choice(c, p, 'optimizer', OPTIMIZER_NAMES, 'adam');
  const size = list(p, 'size').map(Number);
  if (size.length > 2 || !size.every((s) => Number.isInteger(s) && s >= 1)) throw new UsageError(`trainkit train: --size must be a positive integer or HEIGHT,WIDTH, got ${JSON.stringify(text(p, 'size'))}`);
  const [mean, std] = [floats(p, 'mean'), floats(p, 'std')];
  if ((mean === null) !== (std === null)) throw new UsageError('trainkit train: give --mean and --std together (one value per channel each)');
  const image: ImageSpec = {
    size: size.length === 0 ? [32, 32] : size.length === 1 ? [size[0], size[0]] : [size[0], size[1]],
    color: choice(c, p, 'color', ['rgb', 'grayscale'] as const, 'rgb'),
    fit: choice(c, p, 'fit', ['cover', 'contain', 'fill'] as const, 'cover'),
    normalize: mean === null || std === null ? null : { mean, std },
    orientation: choice(c, p, 'orientation', ['exif', 'ignore'] as const, 'exif'),
  };
  const seed = num(c, p, 'seed', 0, nonNegativeInt);
  const valFraction = num(c, p, 'val-fraction', 0.1, fraction);
  const limit = text(p, 'limit') === undefined ? null : num(c, p, 'limit', 0, positiveInt);
  const training = {
    epochs: num(c, p, 'epochs', 10, positiveInt),
    batchSize: num(c, p, 'batch-size', 64, positiveInt),
    optimizer,
    lr: num(c, p, 'lr', OPTIMIZERS[optimizer].lr, positive),
    augment: list(p, 'augment'),
    seed,
    valFraction,
    limit,
  };
  const dataOptions: DataOptions = {
    image,
    valFraction,
    seed,
    limit: limit ?? undefined,
    target: text(p, 'target'),
    categorical: list(p, 'categorical'),
    missing: choice(c, p, 'missing', ['error', 'drop', 'mean', 'mode'] as const, 'error'),
  };
  const out = text(p, 'out') ?? join('runs', basename(data, extname(data)) || 'run');
  const model = choice(c, p, 'model', MODEL_NAMES, 'cnn');
  return { data, out, resume: p.values.resume === true, overwrite: p.values.overwrite === true, model, training, dataOptions, help: p.values.help === true, given: p };
}

/** The settings a resumed run cannot change, by option name. */
function fixedSettings(model: string, t: Omit<TrainingSpec, 'monitor'>): Record<string, unknown> {
  return { model, 'batch-size': t.batchSize, optimizer: t.optimizer, lr: t.lr, augment: t.augment.join(','), seed: t.seed, 'val-fraction': t.valFraction, limit: t.limit ?? '' };
}

/** The data settings a resumed run keeps, by option name, as typed on a command line ('' where the run has none). */
function dataSettings(image: ImageSpec | undefined, target: string | undefined, categorical: readonly string[], missing: string | undefined): Record<string, string> {
  return {
    size: image?.size.join(',') ?? '',
    color: image?.color ?? '',
    fit: image?.fit ?? '',
    orientation: image === undefined ? '' : orientationOf(image),
    mean: image?.normalize?.mean.join(',') ?? '',
    std: image?.normalize?.std.join(',') ?? '',
    target: target ?? '',
    categorical: [...categorical].sort().join(','),
    missing: missing ?? '',
  };
}

/** The data settings stored in run.json (an image run has no CSV settings, a CSV run no image settings). */
function storedDataSettings(run: RunFile): Record<string, string> {
  const tabular = run.data.tabular;
  const categorical = tabular?.features.filter((f) => f.kind === 'categorical').map((f) => f.name) ?? [];
  return dataSettings(run.data.image, tabular?.target.name, categorical, tabular?.missing);
}

/**
 * Checks that the options given with --resume agree with run.json: only --epochs may change, and
 * only upwards. Settings and data options that differ are refused, naming the option and the
 * run's value, before anything is written.
 */
export function checkResumeMatches(a: TrainArgs, run: RunFile, dir: string): void {
  const refuse = (name: string, given: string, stored: string): never => {
    const theirs = stored === '' ? `the run, which has no --${name}` : `the run's ${stored}`;
    throw new UsageError(`trainkit train --resume: --${name} ${given} differs from ${theirs} (${dir}/run.json); a resumed run keeps its settings (only --epochs may change), so drop --${name} or train into a new --out`);
  };
  const stored = fixedSettings(run.model.name, run.training);
  const mine = fixedSettings(a.model, a.training);
  for (const name of Object.keys(stored)) {
    if (a.given.values[name] !== undefined && mine[name] !== stored[name]) refuse(name, String(mine[name]), String(stored[name]));
  }
  const storedData = storedDataSettings(run);
  const o = a.dataOptions;
  const myData = dataSettings(o.image, o.target, o.categorical, o.missing);
  for (const name of Object.keys(storedData)) {
    if (a.given.values[name] === undefined || myData[name] === storedData[name]) continue;
    refuse(name, text(a.given, name) ?? '', storedData[name]);
  }
  if (a.given.values.epochs !== undefined && a.training.epochs < run.training.epochs) {
    throw new UsageError(`trainkit train --resume: --epochs ${a.training.epochs} is below the run's ${run.training.epochs} (${dir}/run.json); a resumed run may raise --epochs but not lower it, so drop --epochs or give ${run.training.epochs} or more`);
  }
}
