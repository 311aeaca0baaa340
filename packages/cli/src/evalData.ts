import { copyFile, link, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { type Batch, type Dataset, TensorDataset } from '@trainkit/data';
import { IMAGE_EXTENSIONS, TabularPreprocessing, csvFeatures, imageFolder } from '@trainkit/data/node';
import type { Tensor } from '@trainkit/tensor';
import { type DataSpec, detectKind, mustBeFile, orientationOf } from './dataKind';
import { UsageError } from './errors';
import { withCacheFallback } from './imageCache';
import { limitSamples } from './limit';
import { builtIn } from './trainData';

/**
 * Labelled data to evaluate a run on, with labels in the run's class order; `limit` keeps that
 * many samples, dealt round-robin over the classes in an order fixed by seed 0 (so every run
 * evaluated with the same --limit sees the same samples).
 */
export async function loadEvalData(data: string, spec: DataSpec, limit?: number): Promise<Dataset> {
  const kind = await detectKind('eval', data);
  const sameFamily = kind === spec.kind || (kind === 'images' && spec.image !== undefined);
  if (!sameFamily) throw new UsageError(`trainkit eval: the run was trained on ${spec.kind} data but ${data} is ${kind} data`);
  let ds: Dataset;
  if (kind === 'csv') {
    const p = TabularPreprocessing.fromJSON(spec.tabular!);
    const { x, y } = await csvFeatures(data, p);
    if (y === undefined) throw new UsageError(`trainkit eval: ${data} lacks the label column "${p.target.name}"; eval needs labels (use trainkit predict for unlabelled rows)`);
    ds = new TensorDataset({ x, y, numClasses: spec.classes.length });
  } else if (kind === 'images') ds = await imageEval(data, spec);
  else ds = await builtIn(kind, data, 'test');
  return limit === undefined ? ds : limitSamples(ds, limit, 0);
}

/** An image folder (its `test/` or `val/` split when it has one) decoded like the training images. */
async function imageEval(dir: string, spec: DataSpec): Promise<Dataset> {
  const { size, color, fit, normalize } = spec.image!;
  // its own cache folder: evaluating the training folder must not replace the cache a training run reads
  const open = (cacheDir: string | undefined) => imageFolder(dir, { size, color, fit, normalize: normalize ?? undefined, orientation: orientationOf(spec.image!), cacheDir });
  const { result: r } = await withCacheFallback(dir, join(dir, '.trainkit-cache', 'eval'), 'eval', open);
  const ds = r.test ?? r.val ?? r.train;
  const unknown = r.classes.filter((c) => !spec.classes.includes(c));
  if (unknown.length > 0) {
    throw new UsageError(`trainkit eval: ${dir} has class folders never seen in training: ${unknown.join(', ')} (the run knows ${spec.classes.join(', ')})`);
  }
  const toRun = Int32Array.from(r.classes, (c) => spec.classes.indexOf(c));
  return relabel(ds, toRun, spec.classes.length);
}

/** `ds` (an image folder's split) with label `l` replaced by `map[l]`; `labels` lists them without decoding. */
function relabel(ds: Dataset & { labels: Int32Array }, map: Int32Array, numClasses: number): Dataset & { labels: Int32Array } {
  return {
    labels: ds.labels.map((l) => map[l]),
    length: ds.length,
    sampleShape: ds.sampleShape,
    numClasses,
    gather(indices: ArrayLike<number>): Batch {
      const b = ds.gather(indices);
      return { x: b.x, y: b.y.map((l) => map[l]) };
    },
  };
}

/** Inputs to predict: the rows of a CSV file, or image files decoded like the training images. */
export interface PredictInputs {
  x: Tensor;
  /** What each input is called in the output (a file, or a CSV row). */
  names: string[];
  /** The true labels, when the CSV has the label column. */
  y?: Int32Array;
}

/** Reads `inputs` for `trainkit predict`: one CSV file for a CSV run, image files otherwise. */
export async function loadPredictInputs(inputs: readonly string[], spec: DataSpec): Promise<PredictInputs> {
  if (spec.kind === 'csv') {
    if (inputs.length !== 1 || extname(inputs[0]).toLowerCase() !== '.csv') throw new UsageError(`trainkit predict: the run was trained on a CSV file; give one .csv file of rows to predict, got ${inputs.join(' ')}`);
    await mustBeFile('predict', inputs[0]);
    const { x, y } = await csvFeatures(inputs[0], TabularPreprocessing.fromJSON(spec.tabular!));
    return { x, names: Array.from({ length: x.shape[0] }, (_, i) => `row ${i + 1}`), y };
  }
  for (const f of inputs) {
    await mustBeFile('predict', f);
    if (!IMAGE_EXTENSIONS.includes(extname(f).toLowerCase())) throw new UsageError(`trainkit predict: ${f} is not an image file (${IMAGE_EXTENSIONS.join(' ')})`);
  }
  return { x: await decodeImages(inputs, spec), names: [...inputs] };
}

/**
 * Decodes image files exactly as the training images were (the same sharp pipeline, through
 * `imageFolder`): they are linked (or copied) into a temporary one-class folder, in order.
 */
async function decodeImages(files: readonly string[], spec: DataSpec): Promise<Tensor> {
  const root = await mkdtemp(join(tmpdir(), 'trainkit-predict-'));
  try {
    const folder = join(root, 'images', 'input');
    await mkdir(folder, { recursive: true });
    const names = files.map((f, i) => `${String(i).padStart(8, '0')}${extname(f).toLowerCase()}`);
    await Promise.all(files.map((f, i) => link(f, join(folder, names[i])).catch(() => copyFile(f, join(folder, names[i])))));
    const { size, color, fit, normalize } = spec.image!;
    const r = await imageFolder(join(root, 'images'), { size, color, fit, normalize: normalize ?? undefined, orientation: orientationOf(spec.image!), cacheDir: join(root, 'cache'), onBadImage: 'skip', workers: Math.min(2, files.length) });
    const bad = r.report.skipped[0];
    if (bad !== undefined) throw new UsageError(`trainkit predict: cannot decode ${files[names.indexOf(basename(bad.file))]}: ${bad.reason}`);
    return r.train.gather(Array.from({ length: files.length }, (_, i) => i)).x;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
