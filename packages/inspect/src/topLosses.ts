import type { Module } from '@trainkit/nn';
import { Tensor, formatShape, noGrad, slice } from '@trainkit/tensor';
import { inEval } from './capture';
import { InspectError } from './errors';
import { gridSvg } from './svg';
import { imageTile } from './tiles';

/** Examples with labels: a batch `{ x, y }`, or a dataset with `length` and `gather` (as in `@trainkit/data`). */
export type LabelledData = { x: Tensor; y: ArrayLike<number> } | { length: number; gather(indices: ArrayLike<number>): { x: Tensor; y: ArrayLike<number> } };

/** Options of {@link topLosses}. */
export interface TopLossOptions {
  /** Examples per forward pass (default 256). */
  batchSize?: number;
  /** Names of the classes, for the captions (default the class indices). */
  classNames?: readonly string[];
}

/** One example the model gets badly wrong (or least right). */
export interface LossExample {
  /** Its position in the data. */
  index: number;
  /** Its cross-entropy, −log p(label). */
  loss: number;
  label: number;
  prediction: number;
  /** The probability the model gives its prediction. */
  probability: number;
  /** The probability the model gives the true label. */
  labelProbability: number;
  /** The input, without the batch axis. */
  image: Tensor;
}

/** The `k` highest-loss examples, highest first, and a grid of them captioned "label → prediction (p)". */
export interface TopLosses {
  examples: LossExample[];
  svg: string;
}

/** Reads the examples at `indices` from either kind of data. */
function gather(data: LabelledData, indices: number[]): { x: Tensor; y: ArrayLike<number> } {
  if ('gather' in data) return data.gather(indices);
  const start = indices[0];
  return { x: slice(data.x, 0, start, start + indices.length), y: Array.from(indices, (i) => data.y[i]) };
}

/** Per-example loss, prediction and probabilities of one batch of logits [n, K] against labels. */
function scoreBatch(logits: Tensor, y: ArrayLike<number>, first: number): Omit<LossExample, 'image'>[] {
  if (logits.rank !== 2 || logits.shape[0] !== y.length) throw new InspectError(`topLosses: the model's output must be class scores [${y.length}, classes], got shape ${formatShape(logits.shape)}`);
  const K = logits.shape[1];
  return Array.from({ length: y.length }, (_, r) => {
    const row = logits.data.subarray(r * K, (r + 1) * K);
    const label = y[r];
    if (!Number.isInteger(label) || label < 0 || label >= K) throw new InspectError(`topLosses: label ${label} of example ${first + r} is out of range for a model with ${K} outputs`);
    const top = Math.max(...row);
    const z = row.reduce((a, v) => a + Math.exp(v - top), 0);
    const prediction = row.indexOf(top);
    const logp = (c: number): number => row[c] - top - Math.log(z);
    return { index: first + r, loss: -logp(label), label, prediction, probability: Math.exp(logp(prediction)), labelProbability: Math.exp(logp(label)) };
  });
}

/**
 * Highest loss first; a NaN loss (an example the model outputs NaN for) counts as the worst of
 * all, and equal losses (±Infinity included) keep the data's order. `b.loss − a.loss` alone
 * would be NaN for these and leave them wherever the sort happened to put them.
 */
function worstFirst(a: { loss: number; index: number }, b: { loss: number; index: number }): number {
  const [nanA, nanB] = [Number.isNaN(a.loss), Number.isNaN(b.loss)];
  if (nanA !== nanB) return nanA ? -1 : 1;
  if (!nanA && a.loss !== b.loss) return a.loss > b.loss ? -1 : 1;
  return a.index - b.index;
}

/**
 * The `k` examples with the highest cross-entropy loss under `model` (evaluation mode), with
 * their images, labels, predictions and probabilities: the first place to look for label
 * noise, confusable classes and what the model has not learned.
 *
 * @example
 * const { examples, svg } = topLosses(model, testSet, 9, { classNames });
 */
export function topLosses(model: Module, data: LabelledData, k: number, options: TopLossOptions = {}): TopLosses {
  const n = 'gather' in data ? data.length : data.x.shape[0];
  if ('x' in data && !('gather' in data) && data.y.length !== n) throw new InspectError(`topLosses: ${data.y.length} labels for ${n} examples`);
  if (!Number.isInteger(k) || k <= 0) throw new InspectError(`topLosses: k must be a positive integer, got ${k}`);
  if (n === 0) throw new InspectError('topLosses: the data has no examples');
  const batchSize = options.batchSize ?? 256;
  const scored: Omit<LossExample, 'image'>[] = [];
  inEval(model, () => {
    for (let start = 0; start < n; start += batchSize) {
      const batch = gather(data, Array.from({ length: Math.min(batchSize, n - start) }, (_, i) => start + i));
      for (const s of scoreBatch(noGrad(() => model.call(batch.x)), batch.y, start)) scored.push(s); // a spread overflows the stack on huge batches
    }
  });
  scored.sort(worstFirst);
  const examples = scored.slice(0, k).map((s) => {
    const x = gather(data, [s.index]).x;
    return { ...s, image: new Tensor(x.data.slice(), x.shape.slice(1)) };
  });
  const name = (c: number): string => options.classNames?.[c] ?? String(c);
  const tiles = examples.map((e) => {
    const [C, H, W] = e.image.rank === 3 ? e.image.shape : [1, e.image.shape[0], e.image.size / e.image.shape[0]];
    return imageTile(e.image.data, 0, C, H, W, `${name(e.label)} → ${name(e.prediction)} (${e.probability.toFixed(2)})`);
  });
  return { examples, svg: gridSvg(tiles, { title: `${examples.length} highest losses: label → prediction (probability)` }) };
}
