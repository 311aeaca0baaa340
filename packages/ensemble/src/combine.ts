import { Tensor, formatShape, sameShape } from '@trainkit/tensor';
import { EnsembleError } from './errors';

/**
 * How an {@link Ensemble} combines its members' outputs:
 * - `'probs'` (default): the (weighted) mean of the members' softmax probabilities;
 * - `'logits'`: the (weighted) mean of their raw outputs (logits);
 * - `'vote'`: each member votes for its most probable class (with its weight).
 */
export type CombineMethod = 'probs' | 'logits' | 'vote';

/** Options of {@link combine} and {@link Ensemble}. */
export interface CombineOptions {
  /** `'probs'` (default), `'logits'` or `'vote'`. */
  method?: CombineMethod;
  /** One non-negative weight per member (normalized to sum to 1); default: equal weights. */
  weights?: readonly number[];
}

/** Probability mass (before renormalizing) that keeps a vote's log-share finite and breaks a tie. */
export const VOTE_SMOOTHING = 1e-6;

const METHODS: readonly CombineMethod[] = ['probs', 'logits', 'vote'];

/** Checks `method` and returns it (default `'probs'`). */
export function checkMethod(method: unknown, where: string): CombineMethod {
  const m = method ?? 'probs';
  if (!METHODS.includes(m as CombineMethod)) throw new EnsembleError(`${where}: method must be 'probs', 'logits' or 'vote', got ${JSON.stringify(method)}`);
  return m as CombineMethod;
}

/** Member weights normalized to sum to 1 (equal weights when none are given). */
export function normalizeWeights(weights: readonly number[] | undefined, members: number, where: string): Float64Array {
  if (!Number.isInteger(members) || members < 1) throw new EnsembleError(`${where}: an ensemble needs at least 1 member, got ${members}`);
  if (weights === undefined) return new Float64Array(members).fill(1 / members);
  if (!Array.isArray(weights) || weights.length !== members) {
    throw new EnsembleError(`${where}: weights must have one entry per member (${members}), got ${Array.isArray(weights) ? weights.length : typeof weights}`);
  }
  const bad = weights.findIndex((w) => typeof w !== 'number' || !Number.isFinite(w) || w < 0);
  if (bad >= 0) throw new EnsembleError(`${where}: weight ${bad} must be a finite number ≥ 0, got ${weights[bad]}`);
  const total = weights.reduce((s, w) => s + w, 0);
  if (!(total > 0)) throw new EnsembleError(`${where}: the weights sum to 0; give at least one member a positive weight`);
  return Float64Array.from(weights, (w) => w / total);
}

/** Checks that every output is [samples, classes] with the same shape; returns [samples, classes]. */
function checkOutputs(outputs: readonly Tensor[], where: string): [number, number] {
  if (outputs.length === 0) throw new EnsembleError(`${where}: no member outputs to combine`);
  const first = outputs[0];
  if (first.rank !== 2) throw new EnsembleError(`${where}: member 0 output must be [samples, classes], got ${formatShape(first.shape)}`);
  for (let i = 1; i < outputs.length; i++) {
    if (!sameShape(outputs[i].shape, first.shape)) {
      throw new EnsembleError(
        `${where}: member ${i} output has shape ${formatShape(outputs[i].shape)} but member 0's has ${formatShape(first.shape)}; all members must predict the same classes for the same samples`,
      );
    }
  }
  outputs.forEach((t, i) => {
    const d = t.data;
    for (let j = 0; j < d.length; j++) {
      // NaN (a diverged member) would vote for class 0 or vanish from an average; +∞ makes softmax NaN. −∞ (a masked class) is fine
      if (d[j] !== d[j] || d[j] === Infinity) {
        throw new EnsembleError(`${where}: member ${i} output is ${d[j]} at sample ${Math.floor(j / first.shape[1])}, class ${j % first.shape[1]}; a member with non-finite outputs has diverged or been fed bad input — drop or retrain it`);
      }
    }
  });
  return [first.shape[0], first.shape[1]];
}

/** log softmax of one row into `out` (float64). */
function logSoftmaxRow(x: Float32Array, base: number, c: number, out: Float64Array): void {
  let m = -Infinity;
  for (let k = 0; k < c; k++) m = Math.max(m, x[base + k]);
  let s = 0;
  for (let k = 0; k < c; k++) s += Math.exp(x[base + k] - m);
  const lse = m + Math.log(s);
  for (let k = 0; k < c; k++) out[k] = x[base + k] - lse;
}

/** log Σᵢ wᵢ·softmax(zᵢ), per class, as a log-sum-exp so rare classes stay finite. */
function averageProbs(outputs: readonly Tensor[], w: Float64Array, n: number, c: number): Float32Array {
  const out = new Float32Array(n * c);
  const lp = outputs.map(() => new Float64Array(c));
  for (let r = 0; r < n; r++) {
    outputs.forEach((t, i) => logSoftmaxRow(t.data, r * c, c, lp[i]));
    for (let k = 0; k < c; k++) {
      let m = -Infinity;
      for (let i = 0; i < lp.length; i++) if (w[i] > 0) m = Math.max(m, lp[i][k]);
      let s = 0;
      for (let i = 0; i < lp.length; i++) if (w[i] > 0) s += w[i] * Math.exp(lp[i][k] - m);
      out[r * c + k] = m + Math.log(s);
    }
  }
  return out;
}

function averageLogits(outputs: readonly Tensor[], w: Float64Array, n: number, c: number): Float32Array {
  const out = new Float32Array(n * c);
  for (let j = 0; j < n * c; j++) {
    let s = 0;
    for (let i = 0; i < outputs.length; i++) s += w[i] * outputs[i].data[j];
    out[j] = s;
  }
  return out;
}

/** Sums of the same weights in another order differ in the last bits: closer than this is a tie. */
const TIE_TOLERANCE = 1e-12;

/** 1 if a > b, −1 if a < b, 0 if they are equal within {@link TIE_TOLERANCE}. */
function compareWithin(a: number, b: number): number {
  return Math.abs(a - b) <= TIE_TOLERANCE ? 0 : a > b ? 1 : -1;
}

/**
 * Weighted votes per class; the winner is the class with the most votes, a tie going to the
 * class with the higher mean probability, then to the lower class index. The output is the log
 * of the vote shares, smoothed by {@link VOTE_SMOOTHING} per class (plus once more for the winner,
 * which is what breaks a tie), so it stays finite and its argmax is the winner.
 */
function vote(outputs: readonly Tensor[], w: Float64Array, n: number, c: number): Float32Array {
  const out = new Float32Array(n * c);
  const lp = new Float64Array(c);
  const votes = new Float64Array(c);
  const meanProb = new Float64Array(c);
  for (let r = 0; r < n; r++) {
    votes.fill(0);
    meanProb.fill(0);
    outputs.forEach((t, i) => {
      logSoftmaxRow(t.data, r * c, c, lp);
      // the member's vote is the argmax of its raw output, exactly as predictedClasses sees it
      let best = 0;
      for (let k = 0; k < c; k++) {
        meanProb[k] += w[i] * Math.exp(lp[k]);
        if (t.data[r * c + k] > t.data[r * c + best]) best = k;
      }
      votes[best] += w[i];
    });
    let winner = 0;
    for (let k = 1; k < c; k++) {
      const cmp = compareWithin(votes[k], votes[winner]) || compareWithin(meanProb[k], meanProb[winner]);
      if (cmp > 0) winner = k;
    }
    const total = 1 + (c + 1) * VOTE_SMOOTHING;
    for (let k = 0; k < c; k++) out[r * c + k] = Math.log((votes[k] + VOTE_SMOOTHING * (k === winner ? 2 : 1)) / total);
  }
  return out;
}

/**
 * Combines the members' outputs (logits [samples, classes], one tensor per member) into the
 * ensemble's output, without gradients:
 * - `'probs'`: log of the weighted mean of the members' softmax probabilities. It is a
 *   log-probability, so `softmax(out)` is the averaged distribution and cross-entropy on it is
 *   the ensemble's NLL;
 * - `'logits'`: the weighted mean of the logits;
 * - `'vote'`: log of the (smoothed) weighted vote shares; see {@link VOTE_SMOOTHING} for ties.
 *
 * @param outputs - one [samples, classes] tensor per member, all the same shape
 * @param options - `method` (default `'probs'`) and optional `weights` (normalized)
 * @throws EnsembleError when shapes differ, there are no outputs, or a weight is invalid
 * @see https://cs231n.github.io/neural-networks-3/#ensemble
 * @example
 * const out = combine([m1.call(x), m2.call(x)], { method: 'probs' });
 * softmax(out); // the averaged probabilities
 */
export function combine(outputs: readonly Tensor[], options: CombineOptions = {}): Tensor {
  const method = checkMethod(options.method, 'combine');
  const [n, c] = checkOutputs(outputs, 'combine');
  const w = normalizeWeights(options.weights, outputs.length, 'combine');
  const data = method === 'probs' ? averageProbs(outputs, w, n, c) : method === 'logits' ? averageLogits(outputs, w, n, c) : vote(outputs, w, n, c);
  return new Tensor(data, [n, c]);
}
