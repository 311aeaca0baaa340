import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Plugin, Trainer } from '@trainkit/core';
import { DataLoader } from '@trainkit/data';
import { checkpoint } from '@trainkit/checkpoint/node';
import { augment } from '@trainkit/aug-image';
import { historyWriter, plural, terminalProgress } from '@trainkit/progress/node';
import { EXIT_INTERRUPTED, EXIT_TERMINATED, UsageError } from './errors';
import { buildModel } from './models';
import { OPTIMIZERS, augmentation } from './recipe';
import { type RunFile, readRunFile, writeRunFile } from './runFile';
import { loadTrainData } from './trainData';
import { type TrainArgs, checkResumeMatches, parseTrainArgs } from './trainOptions';
import { TRAIN_HELP } from './help';

/** Where to write what, and where to print. */
export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

/**
 * `trainkit train <data> …`: trains, writing `latest` + `best` checkpoints, the history
 * (`history.json`, `history.csv`, `curves.svg`) and `run.json` into `--out`. Ctrl-C stops after
 * the current batch and saves `latest`; `--resume` continues from it exactly. Resolves with the exit code.
 */
export async function train(args: readonly string[], io: Io): Promise<number> {
  let a = parseTrainArgs(args);
  if (a.help) return (io.out(TRAIN_HELP), 0);
  const stored = await readRunFile('train', a.out, true);
  const hasCheckpoint = existsSync(join(a.out, 'latest.safetensors'));
  if (a.resume && stored !== undefined) a = resumed(a, stored);
  else if (!a.resume && !a.overwrite && (stored !== undefined || hasCheckpoint)) {
    throw new UsageError(`trainkit train: ${a.out} already holds a run; continue it with --resume, start over with --overwrite, or pick another --out`);
  }
  if (a.data === '') throw new UsageError('trainkit train: missing <data>: an image folder, CIFAR .bin files, a .csv file (with --target), or mnist / fashion-mnist (see trainkit train --help)');
  const loaded = await loadTrainData(a.data, a.dataOptions);
  const { spec } = loaded;
  if (a.resume && stored !== undefined) checkSameData(stored, spec, a.out);
  // the model's default follows the data: a CNN for images, an MLP for a CSV file
  if (!a.resume && a.given.values.model === undefined && spec.kind === 'csv') a = { ...a, model: 'mlp' };
  const monitor = loaded.val === undefined ? 'accuracy' : 'valAccuracy';
  const run: RunFile = {
    format: 'trainkit-run',
    version: 1,
    data: spec,
    model: { name: a.model, inputShape: spec.inputShape, numClasses: spec.classes.length },
    training: { ...a.training, monitor },
  };
  const model = buildModel(run.model, a.training.seed);
  const transform = a.training.augment.length === 0 ? null : augmentation(a.training.augment, spec.image?.size ?? [0, 0]);
  if (transform !== null && spec.kind === 'csv') throw new UsageError('trainkit train: --augment transforms images; a CSV file has none');
  const trainLoader = new DataLoader(loaded.train, { batchSize: a.training.batchSize, shuffle: true });
  const valLoader = loaded.val === undefined ? undefined : new DataLoader(loaded.val, { batchSize: 256 });
  await mkdir(a.out, { recursive: true });
  await writeRunFile(a.out, run);
  const ckpt = checkpoint({ dir: a.out, monitor, overwrite: a.overwrite, warn: io.err });
  const writer = historyWriter({ json: join(a.out, 'history.json'), csv: join(a.out, 'history.csv'), svg: join(a.out, 'curves.svg'), title: `${a.model} on ${a.data}` });
  const plugins: Plugin[] = [
    ...(transform === null ? [] : [augment(transform, { numClasses: spec.classes.length })]),
    terminalProgress({ epochs: a.training.epochs, batchesPerEpoch: trainLoader.length }),
    writer,
    ckpt,
    breathe(),
  ];
  const optimizer = OPTIMIZERS[a.training.optimizer];
  const trainer = new Trainer({ optimizer: optimizer.make(a.training.lr), seed: a.training.seed, plugins });
  const describe = `${spec.classes.length} classes, ${loaded.train.length} training${loaded.val ? ` + ${loaded.val.length} validation` : ''} samples [${spec.inputShape.join(', ')}]`;
  io.out(`trainkit train: ${a.model} (${model.numParameters()} parameters) on ${a.data}: ${describe}; ${optimizer.label} lr ${a.training.lr}, batch ${a.training.batchSize}, ${plural(a.training.epochs, 'epoch')}, seed ${a.training.seed}${a.resume ? ', resuming from latest' : ''}`);
  for (const note of loaded.notes) io.out(`  ${note}`);
  let interrupted: NodeJS.Signals | null = null;
  // ctrl-C, and SIGTERM (kill, docker stop, Kubernetes): stop after this batch and save latest
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted !== null) process.exit(signal === 'SIGTERM' ? EXIT_TERMINATED : EXIT_INTERRUPTED); // a second signal does not wait
    interrupted = signal;
    io.err(`\ntrainkit train: ${signal === 'SIGTERM' ? 'terminated' : 'interrupted'}; stopping after this batch and saving latest (${signal === 'SIGTERM' ? 'SIGTERM' : 'ctrl-C'} again to quit at once)`);
    trainer.stop(`interrupted (${signal})`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await trainer.fit(model, { train: trainLoader, val: valLoader, epochs: a.training.epochs, resume: a.resume ? 'latest' : undefined });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  await writer.save();
  const last = trainer.history.at(-1)?.metrics ?? {};
  const score = last[monitor];
  if (interrupted !== null) {
    io.out(`trainkit train: stopped; latest saved in ${a.out} (continue with: trainkit train ${a.data} --out ${a.out} --resume)`);
    return interrupted === 'SIGTERM' ? EXIT_TERMINATED : EXIT_INTERRUPTED;
  }
  io.out(`trainkit train: done. ${monitor} ${score === undefined ? '–' : score.toFixed(4)}; best ${ckpt.best === null ? '–' : `${monitor} ${ckpt.best.score?.toFixed(4)} (epoch ${ckpt.best.epoch + 1})`}`);
  io.out(`  ${a.out}/: run.json, latest.safetensors, best.safetensors, history.json, history.csv, curves.svg`);
  return 0;
}

/** A resume must see the data the run trained on: the same kind, classes (in order) and input shape. */
function checkSameData(run: RunFile, spec: RunFile['data'], out: string): void {
  const of = (d: RunFile['data']) => JSON.stringify({ kind: d.kind, classes: d.classes, inputShape: d.inputShape });
  if (of(run.data) !== of(spec)) {
    throw new UsageError(
      `trainkit train --resume: the data differs from the run's (${out}/run.json): it has ${run.data.kind} data, ${run.data.classes.length} classes (${run.data.classes.slice(0, 5).join(', ')}${run.data.classes.length > 5 ? ', …' : ''}) and inputs [${run.data.inputShape.join(', ')}]; ` +
        `this data ${spec.kind}, ${spec.classes.length} classes (${spec.classes.slice(0, 5).join(', ')}${spec.classes.length > 5 ? ', …' : ''}) and [${spec.inputShape.join(', ')}]. Resume with the run's data, or train into a new --out`,
    );
  }
}

/** A resumed run: its stored settings, with this command line's --epochs (and data path when given). */
function resumed(a: TrainArgs, run: RunFile): TrainArgs {
  checkResumeMatches(a, run, a.out);
  const epochs = a.given.values.epochs === undefined ? run.training.epochs : a.training.epochs;
  const { monitor: _monitor, ...training } = run.training;
  void _monitor;
  const image = run.data.image ?? a.dataOptions.image;
  const target = run.data.tabular?.target.name;
  const categorical = run.data.tabular?.features.filter((f) => f.kind === 'categorical').map((f) => f.name) ?? [];
  const dataOptions = { ...a.dataOptions, image, valFraction: training.valFraction, seed: training.seed, limit: training.limit ?? undefined, target, categorical, missing: run.data.tabular?.missing ?? a.dataOptions.missing };
  return { ...a, data: a.data === '' ? run.data.source : a.data, model: run.model.name, training: { ...training, epochs }, dataOptions };
}

/**
 * Lets the event loop run between batches, so ctrl-C (a signal, delivered as an event) is seen
 * while an epoch is in progress rather than only at its end.
 */
function breathe(): Plugin {
  return { name: 'cli-signals', onTrainBatchEnd: () => new Promise<void>((resolve) => setImmediate(resolve)) };
}
