import { ValueError } from '@trainkit/tensor';
import type { CsvColumn } from './csvColumns';
import { type FeatureColumn, type MissingPolicy, TabularPreprocessing, type Where, decimalNumber, meanStd, parseNumber } from './tabular';

/** What {@link fitPreprocessing} needs to know of csvDataset's options. */
export interface FitOptions {
  target: string;
  categorical: readonly string[];
  encoding: 'onehot' | 'index';
  missing: MissingPolicy;
  missingValues: readonly string[];
}

/** A stored column, its name, and which of its texts mean "missing". */
export interface NamedColumn {
  name: string;
  column: CsvColumn;
  /** By text code: whether that text is a missing value. */
  missing: boolean[];
}

/**
 * Statistics of the training rows (`train`: row indices, ascending): per feature the mean and
 * std or the categories, the fills, and the target's classes. Columns are visited feature by
 * feature and rows in file order, so the first bad cell named is the one the row-by-row reader named.
 * @throws naming the line and column of the first training cell that is not a number, and the
 *   column when it has no values or statistics too large to store.
 */
export function fitPreprocessing(train: Int32Array, features: readonly NamedColumn[], target: CsvColumn, where: (row: number) => Where, o: FitOptions, path: string): TabularPreprocessing {
  const columns = features.map((f): FeatureColumn => {
    if (!o.categorical.includes(f.name)) return fitNumeric(train, f, where, o, path);
    const counts = countTexts(train, f);
    const fill = o.missing === 'mean' || o.missing === 'mode' ? mode(counts) : null;
    return { name: f.name, kind: 'categorical', encoding: o.encoding, categories: [...counts.keys()].sort(), fill };
  });
  const labels = countTexts(train, { name: o.target, column: target, missing: [] });
  const classes = classNames([...labels.keys()].map((l) => l.trim()));
  return new TabularPreprocessing({ format: 'trainkit-tabular', version: 1, target: { name: o.target, classes }, features: columns, missing: o.missing, missingValues: [...o.missingValues] });
}

function fitNumeric(train: Int32Array, f: NamedColumn, where: (row: number) => Where, o: FitOptions, path: string): FeatureColumn {
  let count = 0;
  for (const row of train) {
    const code = f.column.code(row);
    if (code < 0) count++;
    else if (!f.missing[code]) parseNumber(f.column.texts[code], where(row)(f.name)); // a text that is not missing is not a number: this throws
  }
  if (count === 0) throw new ValueError(`csvDataset: column ${JSON.stringify(f.name)} of ${path} has no values in the training rows`);
  const values = new Float64Array(count);
  let k = 0;
  for (const row of train) if (f.column.code(row) < 0) values[k++] = f.column.number(row);
  const { mean, std: spread } = meanStd(values);
  if (!Number.isFinite(mean) || !Number.isFinite(spread)) {
    throw new ValueError(`csvDataset: column ${JSON.stringify(f.name)} of ${path} has a training mean of ${mean} and a standard deviation of ${spread}, which cannot be stored; rescale the column (divide it by a power of ten) before training`);
  }
  const std = spread || 1;
  let fill: number | null = null;
  if (o.missing === 'mean') fill = mean;
  else if (o.missing === 'mode') {
    const counts = new Map<string, number>(); // by the shortest spelling of each value, as the mode of the parsed values
    for (const v of values) counts.set(String(v), (counts.get(String(v)) ?? 0) + 1);
    fill = Number(mode(counts));
  }
  return { name: f.name, kind: 'numeric', mean, std, fill };
}

/** How often each text that is not missing occurs in the training rows. */
function countTexts(train: Int32Array, f: NamedColumn): Map<string, number> {
  const perCode = new Uint32Array(f.column.texts.length);
  for (const row of train) {
    const code = f.column.code(row);
    if (code >= 0 && !f.missing[code]) perCode[code]++;
  }
  const counts = new Map<string, number>();
  perCode.forEach((n, code) => n > 0 && counts.set(f.column.texts[code], n));
  return counts;
}

/**
 * The class names of the training labels, sorted. Labels that are all decimal numbers sort by
 * value, and spellings of one value (`1`, `1.0`, `01`) are one class named by the shortest, so
 * the classes do not depend on how a tool wrote its numbers, nor on the order of the rows.
 */
function classNames(labels: readonly string[]): string[] {
  const distinct = [...new Set(labels)].sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
  if (!distinct.every((l) => Number.isFinite(decimalNumber(l)))) return distinct.sort();
  const byValue = new Map<number, string>();
  for (const l of distinct) if (!byValue.has(Number(l))) byValue.set(Number(l), l);
  return [...byValue].sort((a, b) => a[0] - b[0]).map(([, l]) => l);
}

/** The most frequent value (the first in sorted order on a tie); null when there are none. */
function mode(counts: ReadonlyMap<string, number>): string | null {
  let best: string | null = null;
  for (const [v, c] of [...counts].sort((a, b) => (a[0] < b[0] ? -1 : 1))) if (best === null || c > counts.get(best)!) best = v;
  return best;
}
