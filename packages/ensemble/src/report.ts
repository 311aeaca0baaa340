import type { Batch, Data, DataSource } from '@trainkit/core';
import { Tensor, concat, noGrad } from '@trainkit/tensor';
import { combine } from './combine';
import type { Ensemble } from './ensemble';
import { EnsembleError } from './errors';
import { type ClassifierMetrics, classifierMetrics, disagreement, meanPairwiseDisagreement, predictedClasses } from './metrics';

/** One row of a metrics table: a model's name, its metrics and, optionally, a disagreement. */
export interface MetricsRow extends ClassifierMetrics {
  name: string;
  /** For a member: how often it disagrees with the ensemble; for an ensemble: mean pairwise disagreement of its members. */
  disagreement?: number;
}

/** What {@link evaluateEnsemble} measured. */
export interface EnsembleReport {
  /** One row per member, in order. */
  members: MetricsRow[];
  /** The ensemble's row. */
  ensemble: MetricsRow;
  /** Mean pairwise disagreement of the members. */
  disagreement: number;
  /** Number of samples evaluated. */
  samples: number;
  /** Every row: the members, then the ensemble. */
  rows: MetricsRow[];
}

function batchesOf(data: Data): Iterable<Batch> {
  const d = data as DataSource;
  return typeof d.epoch === 'function' ? d.epoch(0, { seed: 0 }) : (data as Iterable<Batch>);
}

function labelsOf(y: Batch['y'], where: string): ArrayLike<number> {
  if (y instanceof Tensor) {
    if (y.rank !== 1) throw new EnsembleError(`${where}: needs class labels, got a target tensor of shape [${y.shape.join(', ')}]`);
    return y.data;
  }
  return y;
}

/**
 * A {@link MetricsRow} for one model's outputs.
 *
 * @param name - the row's label
 * @param scores - logits or log-probabilities [samples, classes]
 * @param labels - the true classes
 * @param extra - `disagreement` and `bins` (default 15)
 */
export function metricsRow(name: string, scores: Tensor, labels: ArrayLike<number>, extra: { disagreement?: number; bins?: number } = {}): MetricsRow {
  const row: MetricsRow = { name, ...classifierMetrics(scores, labels, { bins: extra.bins }) };
  if (extra.disagreement !== undefined) row.disagreement = extra.disagreement;
  return row;
}

/**
 * Runs every member of `ensemble` once over `data` (eval mode, no gradients) and measures
 * accuracy, NLL, Brier score and ECE (15 bins) of each member and of the combination, plus
 * how much the members disagree — the numbers that say whether the ensemble helped, and
 * whether its probabilities can be trusted. Print them with {@link formatMetricsTable}.
 *
 * @param ensemble - the ensemble (its method and weights are used for the combined row)
 * @param data - labelled batches: a DataLoader or any iterable of `{ x, y }`
 * @param options - `names` of the member rows (default `member 0`, …), `name` of the ensemble row, `bins`
 * @example
 * const report = await evaluateEnsemble(trained.ensemble(), testLoader);
 * console.log(formatMetricsTable(report.rows));
 */
export async function evaluateEnsemble(ensemble: Ensemble, data: Data, options: { names?: string[]; name?: string; bins?: number } = {}): Promise<EnsembleReport> {
  const k = ensemble.members.length;
  const outs: Tensor[][] = Array.from({ length: k }, () => []);
  const labels: number[] = [];
  ensemble.eval();
  noGrad(() => {
    for (const batch of batchesOf(data)) {
      const ys = labelsOf(batch.y, 'evaluateEnsemble');
      ensemble.memberOutputs(batch.x).forEach((o, i) => outs[i].push(o));
      for (let i = 0; i < ys.length; i++) labels.push(ys[i]);
    }
  });
  if (labels.length === 0) throw new EnsembleError('evaluateEnsemble: the data yielded no batches');
  const memberScores = outs.map((o) => (o.length === 1 ? o[0] : noGrad(() => concat(o, 0))));
  const combined = combine(memberScores, { method: ensemble.method, weights: [...ensemble.weights] });
  const ensemblePred = predictedClasses(combined);
  const memberPreds = memberScores.map(predictedClasses);
  const spread = meanPairwiseDisagreement(memberPreds);
  const members = memberScores.map((s, i) => metricsRow(options.names?.[i] ?? `member ${i}`, s, labels, { disagreement: disagreement(memberPreds[i], ensemblePred), bins: options.bins }));
  const row = metricsRow(options.name ?? `ensemble (${ensemble.method})`, combined, labels, { disagreement: spread, bins: options.bins });
  return { members, ensemble: row, disagreement: spread, samples: labels.length, rows: [...members, row] };
}

/**
 * A plain-text table of metric rows: accuracy, NLL, Brier, ECE and disagreement.
 *
 * @example
 * console.log(formatMetricsTable(report.rows));
 * // model                accuracy     NLL   Brier     ECE  disagree
 * // member 0               97.52%  0.0812  0.0381  0.0061     1.21%
 * // ensemble (probs)       98.01%  0.0660  0.0305  0.0042     2.35%
 */
export function formatMetricsTable(rows: readonly MetricsRow[]): string {
  const width = Math.max(5, ...rows.map((r) => r.name.length));
  const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
  const head = `${'model'.padEnd(width)}  ${'accuracy'.padStart(8)}  ${'NLL'.padStart(6)}  ${'Brier'.padStart(6)}  ${'ECE'.padStart(6)}  ${'disagree'.padStart(8)}`;
  const lines = rows.map(
    (r) =>
      `${r.name.padEnd(width)}  ${pct(r.accuracy).padStart(8)}  ${r.nll.toFixed(4).padStart(6)}  ${r.brier.toFixed(4).padStart(6)}  ${r.ece.toFixed(4).padStart(6)}  ${(r.disagreement === undefined ? '' : pct(r.disagreement)).padStart(8)}`,
  );
  return [head, ...lines].join('\n');
}
