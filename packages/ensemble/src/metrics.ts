import { ShapeError, type Tensor, ValueError, formatShape } from '@trainkit/tensor';

/** Equal-width confidence bins of {@link expectedCalibrationError} (Guo et al. 2017 use 15). */
export const ECE_BINS = 15;

/** The four numbers that say whether a classifier is right and whether it knows when it is. */
export interface ClassifierMetrics {
  /** Fraction of samples whose most probable class is the label. */
  accuracy: number;
  /** Negative log-likelihood of the labels, averaged over samples (cross-entropy; lower is better). */
  nll: number;
  /** Brier score: squared distance between the probabilities and the one-hot label, summed over classes, averaged over samples (0 … 2). */
  brier: number;
  /** Expected calibration error over {@link ECE_BINS} equal-width confidence bins (0 = calibrated). */
  ece: number;
}

/** Rows of log-probabilities: log softmax of each row of `scores`, in float64. */
function logProbRows(scores: Tensor, labels: ArrayLike<number>, where: string): { lp: Float64Array; n: number; c: number } {
  if (scores.rank !== 2) throw new ShapeError(`${where}: scores must be [samples, classes], got ${formatShape(scores.shape)}`);
  const [n, c] = scores.shape;
  if (labels.length !== n) throw new ShapeError(`${where}: ${labels.length} labels for ${n} samples`);
  const x = scores.data;
  const lp = new Float64Array(n * c);
  for (let r = 0; r < n; r++) {
    const y = labels[r];
    if (!Number.isInteger(y) || y < 0 || y >= c) throw new ValueError(`${where}: label ${y} at index ${r} is not a class in [0, ${c - 1}]`);
    let m = -Infinity;
    for (let k = 0; k < c; k++) m = Math.max(m, x[r * c + k]);
    let s = 0;
    for (let k = 0; k < c; k++) s += Math.exp(x[r * c + k] - m);
    const lse = m + Math.log(s);
    for (let k = 0; k < c; k++) lp[r * c + k] = x[r * c + k] - lse;
    // NaN or +∞ scores would score as accuracy 0, ECE 0 ("perfectly calibrated"): refuse them; −∞ (a class ruled out) is fine
    if (!Number.isFinite(lse)) throw new ValueError(`${where}: the scores of sample ${r} are not finite (${Array.from(x.subarray(r * c, r * c + c)).join(', ')}); the model diverged or was fed bad input`);
  }
  return { lp, n, c };
}

/**
 * The most probable class of each row (the lowest index among equal maxima).
 *
 * @example
 * predictedClasses(ensemble.call(x)); // Int32Array of class indices
 */
export function predictedClasses(scores: Tensor): Int32Array {
  if (scores.rank !== 2) throw new ShapeError(`predictedClasses: scores must be [samples, classes], got ${formatShape(scores.shape)}`);
  const [n, c] = scores.shape;
  const out = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    let best = 0;
    for (let k = 1; k < c; k++) if (scores.data[r * c + k] > scores.data[r * c + best]) best = k;
    out[r] = best;
  }
  return out;
}

/**
 * Expected calibration error: samples are put in `bins` equal-width bins by their confidence
 * (the top probability, bin b holding (b/B, (b+1)/B]); ECE is the sample-weighted mean over
 * bins of |accuracy − mean confidence|. A perfectly calibrated predictor scores ~0.
 *
 * @param scores - logits or log-probabilities [samples, classes]: softmax of a row is the prediction
 * @param labels - the true class of each sample
 * @param bins - number of bins (default 15)
 * @see https://arxiv.org/abs/1706.04599 (Guo et al. 2017, On Calibration of Modern Neural Networks)
 * @example
 * expectedCalibrationError(model.call(x), y); // 0.012
 */
export function expectedCalibrationError(scores: Tensor, labels: ArrayLike<number>, bins = ECE_BINS): number {
  return classifierMetrics(scores, labels, { bins }).ece;
}

/**
 * Accuracy, NLL, Brier score and ECE of one classifier's outputs, computed in float64.
 *
 * @param scores - logits or log-probabilities [samples, classes] (an ensemble's output is log-probabilities)
 * @param labels - the true class of each sample
 * @param options - `bins`: ECE bins (default 15)
 * @example
 * const m = classifierMetrics(await trainer.predict(model, testX), testY);
 * // { accuracy: 0.975, nll: 0.081, brier: 0.038, ece: 0.006 }
 */
export function classifierMetrics(scores: Tensor, labels: ArrayLike<number>, options: { bins?: number } = {}): ClassifierMetrics {
  const bins = options.bins ?? ECE_BINS;
  if (!Number.isInteger(bins) || bins < 1) throw new ValueError(`classifierMetrics: bins must be a positive integer, got ${bins}`);
  const { lp, n, c } = logProbRows(scores, labels, 'classifierMetrics');
  if (n === 0) throw new ShapeError('classifierMetrics: no samples');
  const binCount = new Float64Array(bins);
  const binCorrect = new Float64Array(bins);
  const binConf = new Float64Array(bins);
  let correct = 0;
  let nll = 0;
  let brier = 0;
  for (let r = 0; r < n; r++) {
    const y = labels[r];
    let best = 0;
    for (let k = 0; k < c; k++) {
      const p = Math.exp(lp[r * c + k]);
      brier += (p - (k === y ? 1 : 0)) ** 2;
      if (lp[r * c + k] > lp[r * c + best]) best = k;
    }
    nll -= lp[r * c + y];
    const hit = best === y ? 1 : 0;
    correct += hit;
    const conf = Math.exp(lp[r * c + best]);
    const b = Math.min(bins - 1, Math.max(0, Math.ceil(conf * bins) - 1));
    binCount[b]++;
    binCorrect[b] += hit;
    binConf[b] += conf;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) if (binCount[b] > 0) ece += Math.abs(binCorrect[b] - binConf[b]) / n;
  return { accuracy: correct / n, nll: nll / n, brier: brier / n, ece };
}

/**
 * Fraction of samples on which two prediction vectors differ.
 *
 * @example
 * disagreement([0, 1, 2, 3], [0, 1, 0, 0]); // 0.5
 */
export function disagreement(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new ShapeError(`disagreement: ${a.length} predictions vs ${b.length}`);
  if (a.length === 0) return 0;
  let d = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) d++;
  return d / a.length;
}

/**
 * Mean pairwise disagreement of several members' predictions: for each pair of members, the
 * fraction of samples on which their predicted classes differ, averaged over all pairs
 * (0 for a single member). Members that always agree add nothing to an ensemble.
 *
 * @see https://arxiv.org/abs/1912.02757 (Fort et al. 2019, Deep Ensembles: A Loss Landscape Perspective)
 * @example
 * meanPairwiseDisagreement(members.map((m) => predictedClasses(m.call(x)))); // 0.021
 */
export function meanPairwiseDisagreement(predictions: ReadonlyArray<ArrayLike<number>>): number {
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < predictions.length; i++) {
    for (let j = i + 1; j < predictions.length; j++) {
      sum += disagreement(predictions[i], predictions[j]);
      pairs++;
    }
  }
  return pairs === 0 ? 0 : sum / pairs;
}
