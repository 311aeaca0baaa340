import { Rng, Tensor, ValueError } from '@trainkit/tensor';
import { TensorDataset } from '../dataset';
import type { CsvColumn } from './csvColumns';
import { type NamedColumn, fitPreprocessing } from './csvFit';
import { type CsvColumnKind, type CsvTable, readCsv } from './csvRead';
import { type MissingPolicy, TabularPreprocessing, type Where } from './tabular';

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

/**
 * A classification dataset from a CSV file with a header line, read by csv-parse (an optional
 * peer dependency: `npm install csv-parse`). Numeric columns are standardised with the mean
 * and standard deviation of the **training** rows (a constant column is only centred),
 * categorical columns are one-hot or index encoded with the training rows' categories, and
 * missing values follow `missing`. The fitted {@link TabularPreprocessing} is returned to be
 * saved with the checkpoint and applied at prediction time.
 *
 * The file is read column by column as it streams in: 8 bytes per cell of a numeric feature, 4
 * per category or label, nothing for the columns not used, so memory follows the size of the
 * tensors rather than of the text (a million rows of ten numbers: a peak of about 175 MB).
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
  const table = await readCsv(caller, path, { delimiter: o.delimiter, missingValues: o.missingValues, keep: (header) => keepColumns(header, o) });
  const features = resolveColumns(table, o);
  const where = (row: number): Where => (column: string) => `${caller}: ${path} line ${table.line(row)}, column "${column}"`;
  const named = (name: string): NamedColumn => namedColumn(table, name, o.missingValues);
  const { rows, dropped } = keepRows(table, named, features, o, where);
  if (rows.length === 0) throw new ValueError(`${caller}: ${path} has no rows${dropped.length > 0 ? ` left after dropping ${dropped.length} with missing values` : ''}`);
  const order = new Rng(o.seed).stream('csv-split').permutation(rows.length);
  const nVal = Math.min(Math.round(o.valFraction * rows.length), rows.length - 1); // at least one training row
  if (nVal === 0 && o.valFraction > 0 && rows.length === 1) throw new ValueError(`${caller}: ${path} has 1 row, which cannot be split into training and validation rows (valFraction ${o.valFraction}); give more rows or valFraction: 0`);
  // row indices of the file, ascending: each part keeps the file's order
  const valRows = order.subarray(0, nVal).sort().map((i) => rows[i]);
  const trainRows = order.subarray(nVal).sort().map((i) => rows[i]);
  const target = named(o.target).column;
  const preprocessing = fitPreprocessing(trainRows, features.map(named), target, where, o, path);
  const toDataset = (part: Int32Array): TensorDataset => {
    const { x, y } = encodeRows(table, preprocessing, part.length, (i) => part[i], where, target);
    return new TensorDataset({ x, y: y!, numClasses: preprocessing.target.classes.length });
  };
  const result: CsvDatasetResult = { train: toDataset(trainRows), preprocessing, report: { rows: table.rows, dropped } };
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

/** What to keep of each column while reading: the target's and categories' texts, numeric features' numbers. */
function keepColumns(header: readonly string[], o: Resolved): CsvColumnKind[] {
  const features = o.features ?? header.filter((h) => h !== o.target);
  return header.map((h) => (h === o.target || o.categorical.includes(h) ? 'text' : features.includes(h) ? 'number' : 'skip'));
}

function namedColumn(table: CsvTable, name: string, missingValues: readonly string[]): NamedColumn {
  const column = table.columns[table.header.indexOf(name)]!;
  return { name, column, missing: column.texts.map((t) => t.trim() === '' || missingValues.includes(t.trim())) };
}

/**
 * The rows (indices, ascending) that `missing` keeps, and those it drops with the first missing
 * column: the target, then the features in order. Under `'error'` the first row with a missing
 * cell is an error naming its first such column in file order.
 */
function keepRows(table: CsvTable, named: (name: string) => NamedColumn, features: string[], o: Resolved, where: (row: number) => Where): { rows: Int32Array; dropped: CsvDatasetResult['report']['dropped'] } {
  const firstMissing = (names: readonly string[]): ((row: number) => string | undefined) => {
    const columns = names.map(named);
    return (row) => columns.find((c) => {
      const code = c.column.code(row);
      return code >= 0 && c.missing[code];
    })?.name;
  };
  const inUsed = firstMissing(table.header.filter((h) => h === o.target || features.includes(h))); // in file order, so the first missing cell is named
  const inTarget = firstMissing([o.target]);
  const inFeatures = firstMissing(features);
  const rows = new Int32Array(table.rows);
  const dropped: CsvDatasetResult['report']['dropped'] = [];
  let kept = 0;
  for (let row = 0; row < table.rows; row++) {
    const gone = o.missing === 'error' ? inUsed(row) : (inTarget(row) ?? (o.missing === 'drop' ? inFeatures(row) : undefined));
    if (gone === undefined) rows[kept++] = row;
    else if (o.missing === 'error') throw new ValueError(`${where(row)(gone)}: missing value (set missing: 'drop', 'mean' or 'mode' to handle missing values)`);
    else dropped.push({ line: table.line(row), column: gone });
  }
  return { rows: rows.subarray(0, kept), dropped };
}

/**
 * `count` rows of a table (the `i`th is row `rowAt(i)`) encoded by `preprocessing`, row by row
 * and column by column as the row-of-strings reader did, so the first bad cell named is the same;
 * `y` holds the labels when `target` is given.
 */
function encodeRows(table: CsvTable, preprocessing: TabularPreprocessing, count: number, rowAt: (i: number) => number, where: (row: number) => Where, target?: CsvColumn): { x: Tensor; y?: Int32Array } {
  const width = preprocessing.numFeatures;
  const x = new Float32Array(count * width);
  const y = target ? new Int32Array(count) : undefined;
  const columns = new Map(preprocessing.features.map((f) => [f.name, table.columns[table.header.indexOf(f.name)]!]));
  for (let i = 0; i < count; i++) {
    const row = rowAt(i);
    const at = where(row);
    preprocessing.encodeRow((name) => columns.get(name)!.cell(row), x, i * width, at);
    if (y) y[i] = preprocessing.encodeLabel(target!.cell(row), at(preprocessing.target.name));
  }
  return y ? { x: new Tensor(x, [count, width]), y } : { x: new Tensor(x, [count, width]) };
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
  const kinds = new Map<string, CsvColumnKind>([[preprocessing.target.name, 'text']]);
  for (const f of preprocessing.features) if (f.kind === 'categorical' || !kinds.has(f.name)) kinds.set(f.name, f.kind === 'numeric' ? 'number' : 'text');
  const keep = (header: readonly string[]): CsvColumnKind[] => header.map((h) => kinds.get(h) ?? 'skip');
  const table = await readCsv('csvFeatures', path, { delimiter: options.delimiter, missingValues: preprocessing.missingValues, keep });
  const missing = preprocessing.features.find((f) => !table.header.includes(f.name));
  if (missing) throw new ValueError(`csvFeatures: ${path} lacks the feature column ${JSON.stringify(missing.name)} (columns: ${table.header.join(', ')})`);
  const where = (row: number): Where => (column: string) => `csvFeatures: ${path} line ${table.line(row)}, column "${column}"`;
  return encodeRows(table, preprocessing, table.rows, (i) => i, where, table.columns[table.header.indexOf(preprocessing.target.name)]);
}
