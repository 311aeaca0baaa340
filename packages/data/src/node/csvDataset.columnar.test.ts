/**
 * The column-by-column CSV reader against the reader it replaced, which kept every cell as a
 * string in a row: for random small tables (numbers in every spelling, categories, labels,
 * missing cells, bad cells, quoted line breaks, blank lines, ragged rows, both delimiters and
 * every option), both give the same bytes, the same preprocessing and the same errors.
 */
import { fc, test as fcTest } from '@fast-check/vitest';
import { Rng, Tensor, ValueError } from '@trainkit/tensor';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { TensorDataset } from '../dataset';
import { type CsvDatasetOptions, type CsvDatasetResult, csvDataset, csvFeatures } from './csvDataset';
import { detectDelimiter } from './csvRead';
import { loadCsvParse } from './peers';
import { type FeatureColumn, TabularPreprocessing, decimalNumber, parseNumber } from './tabular';

// ---------------------------------------------------------------------------------------------
// The reference: the row-of-strings reader as it was, kept whole so that it can be compared with.
// ---------------------------------------------------------------------------------------------

type Row = { line: number; cells: string[] };
const DECIMAL_COMMA = /^[+-]?(?:\d+,\d*|,\d+)(?:[eE][+-]?\d+)?$/;

async function referenceRead(caller: string, path: string, delimiter?: string): Promise<{ header: string[]; rows: Row[] }> {
  const { parse } = await loadCsvParse(caller);
  const d = delimiter ?? (await detectDelimiter(path));
  const parser = parse({ bom: true, delimiter: d, skip_empty_lines: true, relax_column_count: true, trim: true, info: true });
  const input = createReadStream(path);
  input.pipe(parser);
  let header: string[] | undefined;
  const rows: Row[] = [];
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      if (header === undefined) {
        const seen = new Set<string>();
        record.forEach((name, i) => {
          if (name === '') throw new ValueError(`${caller}: ${path} header: column ${i + 1} has no name`);
          if (seen.has(name)) throw new ValueError(`${caller}: ${path} header: column name ${JSON.stringify(name)} appears twice`);
          seen.add(name);
        });
        header = record;
        continue;
      }
      if (record.length !== header.length) throw new ValueError(`${caller}: ${path} line ${info.lines} has ${record.length} fields but the header has ${header.length} (a ragged row)`);
      rows.push({ line: info.lines, cells: d === ';' ? record.map((c) => (DECIMAL_COMMA.test(c) ? c.replace(',', '.') : c)) : record });
    }
  } catch (e) {
    input.destroy();
    if (e instanceof ValueError) throw e;
    throw new ValueError(`${caller}: ${path}: ${(e as Error).message}`, { cause: e });
  }
  if (header === undefined) throw new ValueError(`${caller}: ${path} is empty; expected a header line and rows`);
  return { header, rows };
}

function referenceMeanStd(values: readonly number[]): { mean: number; std: number } {
  const max = values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const scale = max > 2 ** 256 ? 2 ** Math.floor(Math.log2(max)) : 1;
  let sum = 0;
  for (const v of values) sum += v / scale;
  const mean = sum / values.length;
  let squares = 0;
  for (const v of values) squares += (v / scale - mean) ** 2;
  return { mean: mean * scale, std: Math.sqrt(squares / values.length) * scale };
}

function referenceMode(values: string[]): string | null {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: string | null = null;
  for (const [v, c] of [...counts].sort((a, b) => (a[0] < b[0] ? -1 : 1))) if (best === null || c > counts.get(best)!) best = v;
  return best;
}

function referenceClassNames(labels: readonly string[]): string[] {
  const distinct = [...new Set(labels)].sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
  if (!distinct.every((l) => Number.isFinite(decimalNumber(l)))) return distinct.sort();
  const byValue = new Map<number, string>();
  for (const l of distinct) if (!byValue.has(Number(l))) byValue.set(Number(l), l);
  return [...byValue].sort((a, b) => a[0] - b[0]).map(([, l]) => l);
}

// long function: the old csvDataset, kept as it was
async function referenceCsvDataset(path: string, options: CsvDatasetOptions): Promise<CsvDatasetResult> {
  const caller = 'csvDataset';
  const { missing = 'error', encoding = 'onehot', valFraction = 0, seed = 0, categorical = [], missingValues = ['NA', 'N/A', 'NaN', 'null', '?'] } = options;
  const table = await referenceRead(caller, path, options.delimiter);
  const known = (name: string, what: string): void => {
    if (!table.header.includes(name)) throw new ValueError(`${caller}: ${what} ${JSON.stringify(name)} is not a column of ${path} (columns: ${table.header.join(', ')})`);
  };
  known(options.target, 'target');
  const features = options.features ? [...options.features] : table.header.filter((h) => h !== options.target);
  features.forEach((f) => known(f, 'feature'));
  if (features.includes(options.target)) throw new ValueError(`${caller}: the target ${JSON.stringify(options.target)} cannot also be a feature`);
  for (const c of categorical) if (!features.includes(c)) throw new ValueError(`${caller}: categorical column ${JSON.stringify(c)} is not one of the features (${features.join(', ')})`);
  const where = (row: Row) => (column: string) => `${caller}: ${path} line ${row.line}, column "${column}"`;
  const col = (name: string) => table.header.indexOf(name);
  const isMissing = (raw: string): boolean => raw.trim() === '' || missingValues.includes(raw.trim());
  const dropped: CsvDatasetResult['report']['dropped'] = [];
  const missingIn = (row: Row, names: readonly string[]): string | undefined => names.find((n) => isMissing(row.cells[col(n)]));
  const used = table.header.filter((h) => h === options.target || features.includes(h));
  const rows = table.rows.filter((row) => {
    const gone = missing === 'error' ? missingIn(row, used) : (missingIn(row, [options.target]) ?? (missing === 'drop' ? missingIn(row, features) : undefined));
    if (gone === undefined) return true;
    if (missing === 'error') throw new ValueError(`${where(row)(gone)}: missing value (set missing: 'drop', 'mean' or 'mode' to handle missing values)`);
    dropped.push({ line: row.line, column: gone });
    return false;
  });
  if (rows.length === 0) throw new ValueError(`${caller}: ${path} has no rows${dropped.length > 0 ? ` left after dropping ${dropped.length} with missing values` : ''}`);
  const order = new Rng(seed).stream('csv-split').permutation(rows.length);
  const nVal = Math.min(Math.round(valFraction * rows.length), rows.length - 1);
  if (nVal === 0 && valFraction > 0 && rows.length === 1) throw new ValueError(`${caller}: ${path} has 1 row, which cannot be split into training and validation rows (valFraction ${valFraction}); give more rows or valFraction: 0`);
  const valRows = Array.from(order.subarray(0, nVal)).sort((a, b) => a - b).map((i) => rows[i]);
  const trainRows = Array.from(order.subarray(nVal)).sort((a, b) => a - b).map((i) => rows[i]);
  const columns = features.map((name): FeatureColumn => {
    const present = trainRows.filter((r) => !isMissing(r.cells[col(name)]));
    if (categorical.includes(name)) {
      const values = present.map((r) => r.cells[col(name)]);
      return { name, kind: 'categorical', encoding, categories: [...new Set(values)].sort(), fill: missing === 'mean' || missing === 'mode' ? referenceMode(values) : null };
    }
    const values = present.map((r) => parseNumber(r.cells[col(name)], where(r)(name)));
    if (values.length === 0) throw new ValueError(`${caller}: column ${JSON.stringify(name)} of ${path} has no values in the training rows`);
    const { mean, std: spread } = referenceMeanStd(values);
    if (!Number.isFinite(mean) || !Number.isFinite(spread)) {
      throw new ValueError(`${caller}: column ${JSON.stringify(name)} of ${path} has a training mean of ${mean} and a standard deviation of ${spread}, which cannot be stored; rescale the column (divide it by a power of ten) before training`);
    }
    return { name, kind: 'numeric', mean, std: spread || 1, fill: missing === 'mean' ? mean : missing === 'mode' ? Number(referenceMode(values.map(String))) : null };
  });
  const classes = referenceClassNames(trainRows.map((r) => r.cells[col(options.target)].trim()));
  const preprocessing = new TabularPreprocessing({ format: 'trainkit-tabular', version: 1, target: { name: options.target, classes }, features: columns, missing, missingValues: [...missingValues] });
  const toDataset = (part: Row[]): TensorDataset => {
    const x = new Float32Array(part.length * preprocessing.numFeatures);
    const y = new Int32Array(part.length);
    part.forEach((row, i) => {
      preprocessing.encodeRow((name) => row.cells[col(name)], x, i * preprocessing.numFeatures, where(row));
      y[i] = preprocessing.encodeLabel(row.cells[col(options.target)], where(row)(options.target));
    });
    return new TensorDataset({ x: new Tensor(x, [part.length, preprocessing.numFeatures]), y, numClasses: classes.length });
  };
  const result: CsvDatasetResult = { train: toDataset(trainRows), preprocessing, report: { rows: table.rows.length, dropped } };
  if (valRows.length > 0) result.val = toDataset(valRows);
  return result;
}

async function referenceCsvFeatures(path: string, preprocessing: TabularPreprocessing): Promise<{ x: Tensor; y?: Int32Array }> {
  const table = await referenceRead('csvFeatures', path);
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

// ---------------------------------------------------------------------------------------------
// Random tables
// ---------------------------------------------------------------------------------------------

const HEADER = ['n0', 'c0', 'n1', 'y', 'c1', 'n2'] as const; // the target in the middle, categories between numbers
type Column = (typeof HEADER)[number];

/** How often cells are missing or bad in a table (weights against 20 for a good cell), and which categories and labels it holds. */
interface Mix {
  decimalComma: boolean;
  missing: number;
  bad: number;
  categories: string[];
  labels: string[];
}

/** One of a list of arbitraries, each with a weight, leaving out those of weight 0. */
const weighted = <T,>(...choices: [number, fc.Arbitrary<T>][]): fc.Arbitrary<T> => fc.oneof(...choices.filter(([w]) => w > 0).map(([weight, arbitrary]) => ({ weight, arbitrary })));

/** A numeric cell: a number in one of its spellings, or missing, or not a number. */
const numberCell = (mix: Mix): fc.Arbitrary<string> =>
  weighted(
    [20, fc.tuple(fc.integer({ min: -40, max: 40 }), fc.constantFrom('int', 'dec', 'dec', 'exp', 'lead', 'pad', 'zero')).map(([v, form]) => spell(v, form, mix.decimalComma))],
    [mix.missing, fc.constantFrom('', 'NA', '?', 'null', '-999', ' NA ')],
    [mix.bad, fc.constantFrom('abc', '0x10', '1e999', 'Infinity', '1_000', '1,5')],
  );

function spell(v: number, form: string, decimalComma: boolean): string {
  const dot = (s: string): string => (decimalComma ? s.replace('.', ',') : s);
  if (form === 'dec') return dot(String(v / 8));
  if (form === 'exp') return `${v}e-1`;
  if (form === 'lead') return dot(`${v < 0 ? '-' : ''}.${Math.abs(v)}`);
  if (form === 'pad') return ` ${v} `; // quoted, so the spaces reach the reader
  if (form === 'zero') return `${v}.0`;
  return String(v);
}

const textCell = (values: string[], mix: Mix): fc.Arbitrary<string> => weighted([20, fc.constantFrom(...values)], [mix.missing, fc.constantFrom('', 'NA')]);

interface Table {
  delimiter: ',' | ';';
  rows: { cells: Record<Column, string>; blankBefore: boolean }[];
  /** A row with a field too many (1) or too few (-1), at index `at` modulo the rows; 0 for none. */
  ragged: { fields: -1 | 0 | 1; at: number };
}

const mixArb: fc.Arbitrary<Mix> = fc.record({
  decimalComma: fc.boolean(),
  missing: fc.constantFrom(0, 0, 1, 3),
  bad: fc.constantFrom(0, 0, 0, 1),
  categories: fc.constantFrom(['a', 'b'], ['a', 'b', 'c'], ['a', ' b ', 'x y', 'p\nq', 'say "hi"'], ['1', '1.0', '-999', 'a']),
  labels: fc.constantFrom(['p', 'q'], ['p', 'q', 'r'], ['1', '1.0', '2', '01'], ['NA', 'p', 'q'], ['10', '9', '0x2']),
});

/** A table: the delimiter `;` goes with decimal commas, `,` with decimal points. */
const tableArb: fc.Arbitrary<Table> = mixArb.chain((mix) =>
  fc.record({
    delimiter: fc.constant(mix.decimalComma ? (';' as const) : (',' as const)),
    rows: fc.array(
      fc.record({
        cells: fc.record({ n0: numberCell(mix), c0: textCell(mix.categories, mix), n1: numberCell(mix), y: textCell(mix.labels, mix), c1: textCell(mix.categories, mix), n2: numberCell(mix) }),
        blankBefore: fc.constantFrom(false, false, false, true),
      }),
      { minLength: 1, maxLength: 14 },
    ),
    ragged: fc.record({ fields: fc.constantFrom<-1 | 0 | 1>(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, 1), at: fc.nat() }),
  }),
);

const optionsArb: fc.Arbitrary<CsvDatasetOptions> = fc
  .record({
    features: fc.option(fc.shuffledSubarray(['n0', 'n1', 'n2', 'c0', 'c1'], { minLength: 1 }), { nil: undefined }),
    categoricalAsNumbers: fc.constantFrom(false, false, false, false, true), // a categorical column left out of `categorical` must hold numbers
    encoding: fc.constantFrom<'onehot' | 'index'>('onehot', 'index'),
    missing: fc.constantFrom<'error' | 'drop' | 'mean' | 'mode'>('error', 'drop', 'mean', 'mode'),
    missingValues: fc.option(fc.constantFrom(['NA', '?'], ['NA', 'N/A', 'NaN', 'null', '?', '-999'], []), { nil: undefined }),
    valFraction: fc.constantFrom(0, 0.2, 0.5),
    seed: fc.nat(20),
  })
  .map(({ features, categoricalAsNumbers, ...rest }) => {
    const categorical = (features ?? ['c0', 'c1']).filter((c) => c.startsWith('c') && !(categoricalAsNumbers && c === 'c1'));
    return { target: 'y', ...rest, ...(features ? { features } : {}), categorical };
  });

function render(table: Table): string {
  const d = table.delimiter;
  const field = (s: string): string => (s.includes(d) || /["\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = [HEADER.join(d)];
  table.rows.forEach((row, i) => {
    if (row.blankBefore) lines.push('');
    const cells = HEADER.map((h) => field(row.cells[h]));
    if (i === table.ragged.at % table.rows.length && table.ragged.fields === 1) cells.push('7');
    if (i === table.ragged.at % table.rows.length && table.ragged.fields === -1) cells.pop();
    lines.push(cells.join(d));
  });
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------

let dir = '';
let n = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trainkit-csv-columnar-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A result as comparable data: the tensors' bytes, so that equal means bit-identical; or the error. */
async function outcome(load: () => Promise<CsvDatasetResult | { x: Tensor; y?: Int32Array }>): Promise<unknown> {
  const bytes = (a: Float32Array | Int32Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
  try {
    const r = await load();
    if (!('train' in r)) return { x: bytes(r.x.data), shape: r.x.shape, y: r.y && bytes(r.y) };
    const part = (p?: TensorDataset) => p && { x: bytes(p.x), y: bytes(p.y), shape: p.sampleShape, numClasses: p.numClasses };
    return { train: part(r.train), val: part(r.val), preprocessing: JSON.stringify(r.preprocessing), report: r.report };
  } catch (e) {
    return { error: `${(e as Error).constructor.name}: ${(e as Error).message}` };
  }
}

describe('the column-by-column CSV reader', () => {
  fcTest.prop([tableArb, optionsArb, fc.boolean()], { numRuns: 300 })(
    'gives what the row-of-strings reader gave: the same tensors bit for bit, the same preprocessing and report, or the same error; and csvFeatures encodes the file as it did',
    async (table, options, explicitDelimiter) => {
      const path = join(dir, `t${n++}.csv`);
      await writeFile(path, render(table));
      const o = explicitDelimiter ? { ...options, delimiter: table.delimiter } : options;
      const expected = await outcome(() => referenceCsvDataset(path, o));
      expect(await outcome(() => csvDataset(path, o))).toEqual(expected);
      if ('error' in (expected as object)) return;
      const { preprocessing } = await referenceCsvDataset(path, o);
      expect(await outcome(() => csvFeatures(path, preprocessing))).toEqual(await outcome(() => referenceCsvFeatures(path, preprocessing)));
    },
  );
});
