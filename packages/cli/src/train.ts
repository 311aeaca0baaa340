import { existsSync } from 'node:fs';
import { mkdir, rm, rmdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { type Plugin, Trainer } from '@trainkit/core';
import type { Module } from '@trainkit/nn';
import { DataLoader } from '@trainkit/data';
import { checkpoint } from '@trainkit/checkpoint/node';
import { type Transform, augment } from '@trainkit/aug-image';
import { historyWriter, plural, terminalProgress } from '@trainkit/progress/node';
import { detectKind } from './dataKind';
import { EXIT_INTERRUPTED, EXIT_TERMINATED, UsageError, onUserPath } from './errors';
import { buildModel } from './models';
import { OPTIMIZERS, augmentation } from './recipe';
import { RUN_FILE, type RunFile, readRunFile, writeRunFile } from './runFile';
import { type TrainData, loadTrainData } from './trainData';
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
 * the current batch and saves `latest`; `--resume` continues from it exactly. Every refusal comes
 * before anything is written, and a new run that fails before its first checkpoint (an image that
 * does not decode) takes back what it wrote, so the same command can be run again. Resolves with
 * the exit code.
 */
export async function train(args: readonly string[], io: Io): Promise<number> {
  const parsed = parseTrainArgs(args);
  if (parsed.help) return (io.out(TRAIN_HELP), 0);
  const plan = await planRun(parsed);
  const { out } = plan.a;
  const made = await onUserPath(`trainkit train: cannot create --out ${out}`, out, 'write', 'pick another --out', () => mkdir(out, { recursive: true }));
  try {
    await onUserPath(`trainkit train: cannot write ${join(out, RUN_FILE)}`, join(out, RUN_FILE), 'write', 'pick another --out', () => writeRunFile(out, plan.run));
    return await fitRun(plan, io);
  } catch (e) {
    if (!plan.a.resume) await discardUnstarted(out, made);
    throw e;
  }
}

/** A checked command line with its data loaded: what {@link fitRun} trains. */
interface Plan {
  a: TrainArgs;
  loaded: TrainData;
  run: RunFile;
  transform: Transform | null;
  /** Built before anything is written: a model the data cannot take (vit on non-square images) is refused with run.json untouched. */
  model: Module;
}

/** Checks the command line against --out and the data, and loads the data; refuses (a UsageError) before writing anything. */
async function planRun(parsed: TrainArgs): Promise<Plan> {
  let a = parsed;
  const stored = await readRunFile('train', a.out, true, '--out');
  const hasCheckpoint = existsSync(join(a.out, 'latest.safetensors'));
  if (a.resume) {
    if (stored === undefined) throw new UsageError(`trainkit train --resume: --out ${a.out} holds no run to resume (no ${RUN_FILE}); drop --resume to start a run there, or give the --out of an earlier run`);
    if (!hasCheckpoint) throw new UsageError(`trainkit train --resume: --out ${a.out} has no checkpoint to resume (no latest.safetensors); start the run over with --overwrite instead of --resume`);
    a = resumed(a, stored);
  } else if (!a.overwrite && (stored !== undefined || hasCheckpoint)) {
    throw new UsageError(`trainkit train: ${a.out} already holds a run; continue it with --resume, start over with --overwrite, or pick another --out`);
  }
  if (a.data === '') throw new UsageError('trainkit train: missing <data>: an image folder, CIFAR .bin files, a .csv file (with --target), or mnist / fashion-mnist (see trainkit train --help)');
  const { augment } = a.training;
  if (augment.length > 0 && (await detectKind('train', a.data)) === 'csv') {
    throw new UsageError(`trainkit train: --augment ${augment.join(',')}: a CSV file has no images; --augment applies to image folders, so drop it for ${a.data}`);
  }
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
  const transform = augmentation(augment, spec.image?.size ?? [0, 0]);
  return { a, loaded, run, transform, model: buildModel(run.model, a.training.seed) };
}

/** Trains `plan` into its --out (which holds its run.json); resolves with the exit code. */
async function fitRun({ a, loaded, run, transform, model }: Plan, io: Io): Promise<number> {
  const { spec } = loaded;
  const { monitor } = run.training;
  const trainLoader = new DataLoader(loaded.train, { batchSize: a.training.batchSize, shuffle: true });
  const valLoader = loaded.val === undefined ? undefined : new DataLoader(loaded.val, { batchSize: 256 });
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
  const interrupted = await stoppable(trainer, io, () => trainer.fit(model, { train: trainLoader, val: valLoader, epochs: a.training.epochs, resume: a.resume ? 'latest' : undefined }));
  await writer.save();
  if (interrupted !== null) {
    io.out(`trainkit train: stopped; latest saved in ${a.out} (continue with: trainkit train ${a.data} --out ${a.out} --resume)`);
    return interrupted === 'SIGTERM' ? EXIT_TERMINATED : EXIT_INTERRUPTED;
  }
  const score = trainer.history.at(-1)?.metrics[monitor];
  io.out(`trainkit train: done. ${monitor} ${score === undefined ? '–' : score.toFixed(4)}; best ${ckpt.best === null ? '–' : `${monitor} ${ckpt.best.score?.toFixed(4)} (epoch ${ckpt.best.epoch + 1})`}`);
  io.out(`  ${a.out}/: run.json, latest.safetensors, best.safetensors, history.json, history.csv, curves.svg`);
  return 0;
}

/**
 * Runs `fit` with ctrl-C and SIGTERM (kill, docker stop, Kubernetes) stopping the trainer after
 * the current batch (latest is saved); a second signal quits at once. Resolves with the signal
 * that stopped it, or null.
 */
async function stoppable(trainer: Trainer, io: Io, fit: () => Promise<unknown>): Promise<NodeJS.Signals | null> {
  let interrupted: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted !== null) process.exit(signal === 'SIGTERM' ? EXIT_TERMINATED : EXIT_INTERRUPTED); // a second signal does not wait
    interrupted = signal;
    io.err(`\ntrainkit train: ${signal === 'SIGTERM' ? 'terminated' : 'interrupted'}; stopping after this batch and saving latest (${signal === 'SIGTERM' ? 'SIGTERM' : 'ctrl-C'} again to quit at once)`);
    trainer.stop(`interrupted (${signal})`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await fit();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return interrupted;
}

/**
 * Takes back what a new run that failed before its first checkpoint wrote, so the same command
 * can be run again: `out` and the empty folders above it when this command made them (`made` is
 * the first folder `mkdir` made), else run.json and the history files. A run that saved a
 * checkpoint is kept: it can be resumed.
 */
async function discardUnstarted(out: string, made: string | undefined): Promise<void> {
  if (existsSync(join(out, 'latest.safetensors'))) return;
  if (made === undefined) {
    await Promise.all([RUN_FILE, 'history.json', 'history.csv', 'curves.svg'].map((f) => rm(join(out, f), { force: true })));
    return;
  }
  await rm(out, { recursive: true, force: true });
  const top = resolve(made);
  // another run may have made its own folder in a parent meanwhile: rmdir removes only empty ones
  for (let d = dirname(resolve(out)); d.startsWith(top) && d.length >= top.length; d = dirname(d)) {
    if (!(await rmdir(d).then(() => true, () => false))) break;
  }
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
