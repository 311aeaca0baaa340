import { Rng, Tensor, ValueError } from '@trainkit/tensor';
import { TensorDataset } from '../dataset';
import { type CsvTable, readCsv } from './csvRead';
import { type FeatureColumn, type MissingPolicy, TabularPreprocessing, decimalNumber, meanStd, parseNumber } from './tabular';

/** Options of {@link csvDataset}. */
export interface CsvDatasetOptions {
  /** The column holding the class label (any text; classes are sorted, numerically when all are numbers). */
  target: string;
  /** Feature columns, in order. Default: every column but the target. */
  features?: readonly string[];
  /** Feature columns holding categories (the others must hold numbers). */
  categorical?: readonly string[];
  /** Categorical columns as one 0/1 input per category (`'onehot'`, default) or one input holding the category's index. */
  encoding?: 'onehot' | 'index';
  /**
   * Missing values: `'error'` (default) stops naming the line and column; `'drop'` leaves the row
   * out; `'mean'` fills numeric columns with the training mean (categorical ones with the mode);
   * `'mode'` fills with the most frequent training value. A row missing its target is an error
   * under `'error'` and dropped otherwise; dropped rows are counted in `report.dropped`.
   */
  missing?: MissingPolicy;
  /** Cell texts that mean "missing", besides an empty cell. Default `['NA', 'N/A', 'NaN', 'null', '?']`. */
  missingValues?: readonly string[];
  /** Fraction of rows held out for validation by a seeded shuffle (default 0: none). */
  valFraction?: number;
  /** Seed of the validation split (default 0). */
  seed?: number;
  /** Field delimiter. Default: read from the header line (`,` when it has one, else `;`, tab or `|`). */
  delimiter?: string;
}

/** What {@link csvDataset} returns. */
export interface CsvDatasetResult {
  train: TensorDataset;
  val?: TensorDataset;
  /** Fitted on the training rows only; save it with the model and apply it with `transform` before `predict`. */
  preprocessing: TabularPreprocessing;
  report: { rows: number; dropped: { line: number; column: string }[] };
}

const caller = 'csvDataset';
type Row = CsvTable['rows'][number];

/**
 * A classification dataset from a CSV file with a header line, read by csv-parse (an optional
 * peer dependency: `npm install csv-parse`). Numeric columns are standardised with the mean
 * and standard deviation of the **training** rows (a constant column is only centred),
 * categorical columns are one-hot or index encoded with the training rows' categories, and
 * missing values follow `missing`. The fitted {@link TabularPreprocessing} is returned to be
 * saved with the checkpoint and applied at prediction time.
 *
 * @param path - the CSV file.
 * @param options - `target` (required), `features`, `categorical`, `encoding`, `missing`, `missingValues`, `valFraction`, `seed`, `delimiter`.
 * @throws naming the file, line and column on a ragged row, a non-number in a numeric column,
 *   a missing value under `missing: 'error'`, or a validation label or category never seen in training.
 * @example
 * const { train, val, preprocessing } = await csvDataset('iris.csv', { target: 'species', valFraction: 0.2, seed: 1 });
 */
export async function csvDataset(path: string, options: CsvDatasetOptions): Promise<CsvDatasetResult> {
  const o = checkOptions(options);
  const table = await readCsv(caller, path, o.delimiter);
  const features = resolveColumns(table, o);
  const where = (row: Row) => (column: string) => `${caller}: ${path} line ${row.line}, column "${column}"`;
  const col = (name: string) => table.header.indexOf(name);
  const dropped: CsvDatasetResult['report']['dropped'] = [];
  const missingIn = (row: Row, names: readonly string[]): string | undefined => names.find((n) => isMissing(row.cells[col(n)], o.missingValues));
  const used = table.header.filter((h) => h === o.target || features.includes(h)); // in file order, so the first missing cell is named
  const rows = table.rows.filter((row) => {
    const gone = o.missing === 'error' ? missingIn(row, used) : (missingIn(row, [o.target]) ?? (o.missing === 'drop' ? missingIn(row, features) : undefined));
    if (gone === undefined) return true;
    if (o.missing === 'error') throw new ValueError(`${where(row)(gone)}: missing value (set missing: 'drop', 'mean' or 'mode' to handle missing values)`);
    dropped.push({ line: row.line, column: gone });
    return false;
  });
  if (rows.length === 0) throw new ValueError(`${caller}: ${path} has no rows${dropped.length > 0 ? ` left after dropping ${dropped.length} with missing values` : ''}`);
  const order = new Rng(o.seed).stream('csv-split').permutation(rows.length);
  const nVal = Math.min(Math.round(o.valFraction * rows.length), rows.length - 1); // at least one training row
  if (nVal === 0 && o.valFraction > 0 && rows.length === 1) throw new ValueError(`${caller}: ${path} has 1 row, which cannot be split into training and validation rows (valFraction ${o.valFraction}); give more rows or valFraction: 0`);
  const valRows = Array.from(order.subarray(0, nVal)).sort((a, b) => a - b).map((i) => rows[i]);
  const trainRows = Array.from(order.subarray(nVal)).sort((a, b) => a - b).map((i) => rows[i]);
  const preprocessing = fit(trainRows, features, col, where, o, path);
  const toDataset = (part: Row[]): TensorDataset => {
    const x = new Float32Array(part.length * preprocessing.numFeatures);
    const y = new Int32Array(part.length);
    part.forEach((row, i) => {
      preprocessing.encodeRow((name) => row.cells[col(name)], x, i * preprocessing.numFeatures, where(row));
      y[i] = preprocessing.encodeLabel(row.cells[col(o.target)], where(row)(o.target));
    });
    return new TensorDataset({ x: new Tensor(x, [part.length, preprocessing.numFeatures]), y, numClasses: preprocessing.target.classes.length });
  };
  const result: CsvDatasetResult = { train: toDataset(trainRows), preprocessing, report: { rows: table.rows.length, dropped } };
  if (valRows.length > 0) result.val = toDataset(valRows);
  return result;
}

type Resolved = Required<Omit<CsvDatasetOptions, 'features' | 'categorical' | 'delimiter'>> & { features?: readonly string[]; categorical: readonly string[]; delimiter?: string };

function checkOptions(options: CsvDatasetOptions): Resolved {
  const fail = (m: string): never => {
    throw new ValueError(`${caller}: ${m}`);
  };
  if (options === null || typeof options !== 'object' || typeof options.target !== 'string') fail("options.target must name the label column, e.g. csvDataset(path, { target: 'species' })");
  const { missing = 'error', encoding = 'onehot', valFraction = 0, seed = 0, delimiter, categorical = [], missingValues = ['NA', 'N/A', 'NaN', 'null', '?'] } = options;
  if (!['error', 'drop', 'mean', 'mode'].includes(missing)) fail(`missing must be 'error', 'drop', 'mean' or 'mode', got ${JSON.stringify(missing)}`);
  if (encoding !== 'onehot' && encoding !== 'index') fail(`encoding must be 'onehot' or 'index', got ${JSON.stringify(encoding)}`);
  if (!(typeof valFraction === 'number' && valFraction >= 0 && valFraction < 1)) fail(`valFraction must be a number in [0, 1), got ${String(valFraction)}`);
  if (!Number.isInteger(seed) || seed < 0) fail(`seed must be a non-negative integer, got ${String(seed)}`);
  return { ...options, missing, encoding, valFraction, seed, delimiter, categorical, missingValues };
}

function resolveColumns(table: CsvTable, o: Resolved): string[] {
  const known = (name: string, what: string): void => {
    if (!table.header.includes(name)) throw new ValueError(`${caller}: ${what} ${JSON.stringify(name)} is not a column of ${table.path} (columns: ${table.header.join(', ')})`);
  };
  known(o.target, 'target');
  const features = o.features ? [...o.features] : table.header.filter((h) => h !== o.target);
  features.forEach((f) => known(f, 'feature'));
  if (features.includes(o.target)) throw new ValueError(`${caller}: the target ${JSON.stringify(o.target)} cannot also be a feature`);
  for (const c of o.categorical) if (!features.includes(c)) throw new ValueError(`${caller}: categorical column ${JSON.stringify(c)} is not one of the features (${features.join(', ')})`);
  return features;
}

function isMissing(raw: string, missingValues: readonly string[]): boolean {
  return raw.trim() === '' || missingValues.includes(raw.trim());
}

/** Statistics of the training rows: per feature mean/std or categories, fills, and the target's classes. */
function fit(rows: Row[], features: string[], col: (n: string) => number, where: (r: Row) => (c: string) => string, o: Resolved, path: string): TabularPreprocessing {
  const columns = features.map((name): FeatureColumn => {
    const present = rows.filter((r) => !isMissing(r.cells[col(name)], o.missingValues));
    if (o.categorical.includes(name)) {
      const values = present.map((r) => r.cells[col(name)]);
      const fill = o.missing === 'mean' || o.missing === 'mode' ? mode(values) : null;
      return { name, kind: 'categorical', encoding: o.encoding, categories: [...new Set(values)].sort(), fill };
    }
    const values = present.map((r) => parseNumber(r.cells[col(name)], where(r)(name)));
    if (values.length === 0) throw new ValueError(`${caller}: column ${JSON.stringify(name)} of ${path} has no values in the training rows`);
    const { mean, std: spread } = meanStd(values);
    if (!Number.isFinite(mean) || !Number.isFinite(spread)) {
      throw new ValueError(`${caller}: column ${JSON.stringify(name)} of ${path} has a training mean of ${mean} and a standard deviation of ${spread}, which cannot be stored; rescale the column (divide it by a power of ten) before training`);
    }
    const std = spread || 1;
    const fill = o.missing === 'mean' ? mean : o.missing === 'mode' ? Number(mode(values.map(String))) : null;
    return { name, kind: 'numeric', mean, std, fill };
  });
  const labels = classNames(rows.map((r) => r.cells[col(o.target)].trim()));
  return new TabularPreprocessing({ format: 'trainkit-tabular', version: 1, target: { name: o.target, classes: labels }, features: columns, missing: o.missing, missingValues: [...o.missingValues] });
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
function mode(values: string[]): string | null {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: string | null = null;
  for (const [v, c] of [...counts].sort((a, b) => (a[0] < b[0] ? -1 : 1))) if (best === null || c > counts.get(best)!) best = v;
  return best;
}

/**
 * The rows of a CSV file encoded with a fitted preprocessing, for `predict` or `evaluate` on
 * new data: `x` is `[rows, numFeatures]`; `y` holds the class indices when the file has the
 * target column. Missing values are filled as in training (with `missing: 'drop'` or
 * `'error'` they are errors, since a prediction cannot be dropped silently).
 *
 * @throws naming the line and column on a non-number, a missing value, or a label or
 *   category never seen in training.
 * @example
 * const preprocessing = TabularPreprocessing.fromJSON(saved);
 * const { x } = await csvFeatures('new-rows.csv', preprocessing);
 * const probs = await trainer.predict(model, x);
 */
export async function csvFeatures(path: string, preprocessing: TabularPreprocessing, options: { delimiter?: string } = {}): Promise<{ x: Tensor; y?: Int32Array }> {
  const table = await readCsv('csvFeatures', path, options.delimiter);
  const missing = preprocessing.features.find((f) => !table.header.includes(f.name));
  if (missing) throw new ValueError(`csvFeatures: ${path} lacks the feature column ${JSON.stringify(missing.name)} (columns: ${table.header.join(', ')})`);
  const width = preprocessing.numFeatures;
  const x = new Float32Array(table.rows.length * width);
  const target = table.header.indexOf(preprocessing.target.name);
  const y = target < 0 ? undefined : new Int32Array(table.rows.length);
  table.rows.forEach((row, i) => {
    const where = (column: string): string => `csvFeatures: ${path} line ${row.line}, column "${column}"`;
    preprocessing.encodeRow((name) => row.cells[table.header.indexOf(name)], x, i * width, where);
    if (y) y[i] = preprocessing.encodeLabel(row.cells[target], where(preprocessing.target.name));
  });
  return y ? { x: new Tensor(x, [table.rows.length, width]), y } : { x: new Tensor(x, [table.rows.length, width]) };
}
