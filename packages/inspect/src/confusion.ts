import { Tensor, argmax, formatShape } from '@trainkit/tensor';
import { InspectError } from './errors';
import { escapeXml } from './svg';

/** Per-class scores of a confusion matrix. */
export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
  /** Samples whose true class it is. */
  support: number;
}

/** `cm[t][p]`: how many samples of true class `t` were predicted as `p`. Labels and predictions must be integers in [0, numClasses). */
export function confusionCounts(predicted: ArrayLike<number>, actual: ArrayLike<number>, numClasses: number): number[][] {
  if (predicted.length !== actual.length) throw new InspectError(`confusionMatrix: ${predicted.length} predictions for ${actual.length} labels`);
  for (const [what, values] of [['prediction', predicted], ['label', actual]] as const) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!Number.isInteger(v) || v < 0 || v >= numClasses) throw new InspectError(`confusionMatrix: ${what} ${v} at index ${i} is not a class index in [0, ${numClasses - 1}]`);
    }
  }
  const cm = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < actual.length; i++) cm[actual[i]][predicted[i]]++;
  return cm;
}

/**
 * Precision (of the samples predicted as the class, the share that are), recall (of the class's
 * samples, the share found) and F1 (their harmonic mean) per class; 0 where a share is 0 / 0.
 */
export function classScores(cm: readonly (readonly number[])[]): ClassScores[] {
  return cm.map((row, k) => {
    const tp = row[k];
    const support = row.reduce((a, b) => a + b, 0);
    const predicted = cm.reduce((a, r) => a + r[k], 0);
    const precision = predicted === 0 ? 0 : tp / predicted;
    const recall = support === 0 ? 0 : tp / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { precision, recall, f1, support };
  });
}

/** A plain-text table: columns padded to their widest cell, numbers right-aligned. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const cell = (s: string, c: number): string => (c === 0 ? s.padEnd(widths[c]) : s.padStart(widths[c]));
  return rows.map((r) => r.map(cell).join('  ').trimEnd()).join('\n');
}

/** The confusion matrix as a table: one row per true class, one column per predicted class. */
export function confusionTable(cm: readonly (readonly number[])[], classes: readonly string[]): string {
  const header = ['true \\ predicted', ...classes];
  return table([header, ...cm.map((row, t) => [classes[t], ...row.map(String)])]);
}

/** The per-class report as a table, with the macro average and the accuracy. */
export function scoresTable(scores: readonly ClassScores[], classes: readonly string[]): string {
  const f = (v: number): string => v.toFixed(3);
  const mean = (key: 'precision' | 'recall' | 'f1'): number => scores.reduce((a, s) => a + s[key], 0) / scores.length;
  const rows = scores.map((s, k) => [classes[k], f(s.precision), f(s.recall), f(s.f1), String(s.support)]);
  const total = scores.reduce((a, s) => a + s.support, 0);
  return table([['class', 'precision', 'recall', 'f1', 'support'], ...rows, ['macro avg', f(mean('precision')), f(mean('recall')), f(mean('f1')), String(total)]]);
}

/**
 * The confusion matrix as an SVG heat map: each cell shaded by the share of its true class
 * (row-normalised), with its count written in it; true classes down, predictions across.
 */
export function confusionSvg(cm: readonly (readonly number[])[], classes: readonly string[], title: string): string {
  const k = classes.length;
  const cellSize = Math.max(18, Math.min(48, Math.floor(480 / k)));
  const label = Math.min(160, 8 + 7 * Math.max(...classes.map((c) => c.length)));
  const [left, top] = [label + 24, label + 44];
  const width = left + k * cellSize + 16;
  const height = top + k * cellSize + 16;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`];
  parts.push(`<rect width="${width}" height="${height}" fill="#fff"/>`, `<text x="${left}" y="18" font-size="14">${escapeXml(title)}</text>`);
  parts.push(`<text x="${left + (k * cellSize) / 2}" y="36" text-anchor="middle">predicted</text>`, `<text x="12" y="${top + (k * cellSize) / 2}" transform="rotate(-90 12 ${top + (k * cellSize) / 2})" text-anchor="middle">true</text>`);
  cm.forEach((row, t) => {
    const sum = row.reduce((a, b) => a + b, 0) || 1;
    const y = top + t * cellSize;
    parts.push(`<text x="${left - 4}" y="${y + cellSize / 2 + 4}" text-anchor="end">${escapeXml(classes[t])}</text>`);
    row.forEach((n, p) => {
      const share = n / sum;
      const x = left + p * cellSize;
      const shade = Math.round(255 - 200 * share);
      parts.push(`<rect x="${x}" y="${y}" width="${cellSize}" height="${cellSize}" fill="rgb(${shade},${shade},255)" stroke="#ccc"><title>true ${escapeXml(classes[t])}, predicted ${escapeXml(classes[p])}: ${n}</title></rect>`);
      if (cellSize >= 24) parts.push(`<text x="${x + cellSize / 2}" y="${y + cellSize / 2 + 4}" text-anchor="middle" fill="${share > 0.6 ? '#fff' : '#000'}">${n}</text>`);
    });
  });
  classes.forEach((c, p) => {
    const x = left + p * cellSize + cellSize / 2;
    parts.push(`<text x="${x}" y="${top - 6}" transform="rotate(-45 ${x} ${top - 6})">${escapeXml(c)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** A confusion matrix with everything a person reads off it. */
export interface ConfusionMatrix {
  /** `counts[t][p]`: samples of true class `t` predicted as `p`. */
  counts: number[][];
  classes: string[];
  /** Per class: precision, recall, F1 and support. */
  scores: ClassScores[];
  accuracy: number;
  /** The counts as a text table, then the per-class scores. */
  text: string;
  /** A heat map, rows normalised by class. */
  svg: string;
}

/**
 * Scores must be `[N, K]` with one column per class name, and without NaN: a row holding NaN
 * has no maximum, and counting it as some class would change the matrix silently.
 */
function checkScores(scores: Tensor, classNames: readonly string[] | undefined): void {
  if (scores.rank !== 2) throw new InspectError(`confusionMatrix: scores must be [N, classes], got shape ${formatShape(scores.shape)}`);
  const k = scores.shape[1];
  if (classNames !== undefined && classNames.length !== k) throw new InspectError(`confusionMatrix: ${classNames.length} class names for scores with ${k} columns (shape ${formatShape(scores.shape)})`);
  const at = scores.data.findIndex(Number.isNaN);
  if (at >= 0) throw new InspectError(`confusionMatrix: scores row ${Math.floor(at / k)} contains NaN, so it has no predicted class; check the model's outputs`);
}

/**
 * The confusion matrix of `predictions` (class indices, or scores `[N, K]` whose row maxima are
 * taken) against `labels`, with per-class precision and recall, a text table and an SVG heat map.
 * The classes are `classNames`, or else 0 … K−1 for the largest class seen (or the scores' K).
 *
 * @example
 * const cm = confusionMatrix(logits, test.y, ['zero', 'one', …]); console.log(cm.text);
 */
export function confusionMatrix(predictions: ArrayLike<number> | Tensor, labels: ArrayLike<number>, classNames?: readonly string[]): ConfusionMatrix {
  if (predictions instanceof Tensor) checkScores(predictions, classNames);
  const predicted = predictions instanceof Tensor ? argmax(predictions) : predictions;
  if (predicted.length === 0) throw new InspectError('confusionMatrix: no predictions');
  let k = classNames?.length ?? (predictions instanceof Tensor ? predictions.shape[1] : 0);
  if (classNames === undefined) for (let i = 0; i < labels.length; i++) k = Math.max(k, labels[i] + 1, predicted[i] + 1);
  const classes = classNames === undefined ? Array.from({ length: k }, (_, c) => String(c)) : [...classNames];
  const counts = confusionCounts(predicted, labels, k);
  const scores = classScores(counts);
  const accuracy = counts.reduce((a, row, c) => a + row[c], 0) / predicted.length;
  const text = `${confusionTable(counts, classes)}\n\n${scoresTable(scores, classes)}\naccuracy ${(100 * accuracy).toFixed(2)}%`;
  return { counts, classes, scores, accuracy, text, svg: confusionSvg(counts, classes, `confusion matrix: accuracy ${(100 * accuracy).toFixed(2)}%`) };
}
