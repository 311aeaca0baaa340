import { Tensor, ValueError } from '@trainkit/tensor';

/** What to do with a missing value (an empty cell, or one of `missingValues`). */
export type MissingPolicy = 'error' | 'drop' | 'mean' | 'mode';

/** How one feature column is turned into numbers, with what was learnt from the training rows. */
export type FeatureColumn =
  | { name: string; kind: 'numeric'; mean: number; std: number; fill: number | null }
  | { name: string; kind: 'categorical'; encoding: 'onehot' | 'index'; categories: string[]; fill: string | null };

/** The serialized form of {@link TabularPreprocessing} (plain JSON). */
export interface TabularJSON {
  format: 'trainkit-tabular';
  version: 1;
  target: { name: string; classes: string[] };
  features: FeatureColumn[];
  missing: MissingPolicy;
  missingValues: string[];
}

/** A value to encode and where it came from, for error messages (`data.csv line 7`). */
export type Where = (column: string) => string;

/**
 * The fitted preprocessing of a table: numeric columns standardised with the training rows'
 * mean and standard deviation, categorical columns one-hot or index encoded with the training
 * rows' categories, missing values filled by the training rows' mean or mode, and the class
 * names of the target. It round-trips through {@link toJSON} / {@link fromJSON}, so it can be
 * saved with a checkpoint (`metadata: { preprocessing: JSON.stringify(p) }`) and applied to the
 * rows given to `predict`.
 */
export class TabularPreprocessing {
  readonly target: { readonly name: string; readonly classes: readonly string[] };
  readonly features: readonly FeatureColumn[];
  readonly missing: MissingPolicy;
  readonly missingValues: readonly string[];
  /** Names of the encoded inputs, in order (`age`, `color=blue`, `color=red`, …). */
  readonly featureNames: readonly string[];
  /** The classes' numeric values when every class is a decimal number, else null. */
  private readonly classValues: readonly number[] | null;

  constructor(json: TabularJSON) {
    this.target = { name: json.target.name, classes: [...json.target.classes] };
    this.features = json.features.map((f) => (f.kind === 'numeric' ? { ...f } : { ...f, categories: [...f.categories] }));
    this.missing = json.missing;
    this.missingValues = [...json.missingValues];
    const values = this.target.classes.map((c) => decimalNumber(c));
    this.classValues = values.every((v) => v !== undefined && Number.isFinite(v)) ? (values as number[]) : null;
    this.featureNames = this.features.flatMap((f) => (f.kind === 'categorical' && f.encoding === 'onehot' ? f.categories.map((c) => `${f.name}=${c}`) : [f.name]));
  }

  /** Number of encoded inputs per row. */
  get numFeatures(): number {
    return this.featureNames.length;
  }

  /** Whether `raw` counts as missing. */
  isMissing(raw: unknown): boolean {
    return raw === undefined || raw === null || (typeof raw === 'string' && (raw.trim() === '' || this.missingValues.includes(raw.trim())));
  }

  /**
   * Encodes rows given as objects (column name → value; numbers or strings, as read from a
   * CSV) into a `[rows.length, numFeatures]` tensor: what `predict` needs.
   * @throws naming the row and column on a missing value that cannot be filled, a value that
   *   is not a number in a numeric column, or a category never seen in training.
   */
  transform(rows: readonly Record<string, unknown>[]): Tensor {
    const out = new Float32Array(rows.length * this.numFeatures);
    rows.forEach((row, i) => this.encodeRow((name) => row[name], out, i * this.numFeatures, (c) => `row ${i}, column "${c}"`));
    return new Tensor(out, [rows.length, this.numFeatures]);
  }

  /** Writes one row's encoded features at `out[at…]`; `get` reads a column's raw value. */
  encodeRow(get: (column: string) => unknown, out: Float32Array, at: number, where: Where): void {
    let k = at;
    for (const f of this.features) {
      let raw = get(f.name);
      if (this.isMissing(raw)) {
        if (f.fill === null) throw new ValueError(`${where(f.name)}: missing value${this.missing === 'error' ? " (set missing: 'drop', 'mean' or 'mode' to handle missing values)" : ''}`);
        raw = f.fill;
      }
      if (f.kind === 'numeric') {
        const v = parseNumber(raw, where(f.name));
        const z = Math.fround(standardize(v, f.mean, f.std));
        if (!Number.isFinite(z)) throw new ValueError(`${where(f.name)}: ${v} lies ${standardize(v, f.mean, f.std)} standard deviations from the training mean ${f.mean}, beyond float32 inputs; drop or clip this value`);
        out[k++] = z;
        continue;
      }
      const c = f.categories.indexOf(String(raw).trim());
      if (c < 0) throw new ValueError(`${where(f.name)}: category ${JSON.stringify(String(raw))} was never seen in training (seen: ${f.categories.join(', ')})`);
      if (f.encoding === 'index') out[k++] = c;
      else {
        out.fill(0, k, k + f.categories.length);
        out[k + c] = 1;
        k += f.categories.length;
      }
    }
  }

  /**
   * The class index of a target value; with classes that are all decimal numbers, a value written
   * another way (`1.0` for the class `1`) is that class.
   * @throws when the label was never seen in training.
   */
  encodeLabel(raw: unknown, where: string): number {
    const label = raw === undefined || raw === null ? '' : String(raw).trim();
    if (label === '') throw new ValueError(`${where}: the label is missing (an empty target cell); every row to evaluate needs its label (classes: ${this.target.classes.join(', ')})`);
    let y = this.target.classes.indexOf(label);
    const value = decimalNumber(label);
    if (y < 0 && value !== undefined && this.classValues !== null) y = this.classValues.indexOf(value);
    if (y < 0) throw new ValueError(`${where}: label ${JSON.stringify(label)} was never seen in training (classes: ${this.target.classes.join(', ')})`);
    return y;
  }

  /** Plain JSON (see {@link TabularJSON}). */
  toJSON(): TabularJSON {
    return { format: 'trainkit-tabular', version: 1, target: { name: this.target.name, classes: [...this.target.classes] }, features: this.features.map((f) => ({ ...f })), missing: this.missing, missingValues: [...this.missingValues] };
  }

  /** Rebuilds a preprocessing from {@link toJSON}'s output (an object or its JSON text), checking it. */
  static fromJSON(json: TabularJSON | string): TabularPreprocessing {
    const value = (typeof json === 'string' ? JSON.parse(json) : json) as TabularJSON;
    checkJSON(value);
    return new TabularPreprocessing(value);
  }
}

/** Decimal number syntax: an optional sign, digits with an optional fraction (or a fraction alone), an optional exponent. */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The number a cell holds when it is written in decimal (`12`, `-0.5`, `1e-3`); undefined for any other text (`0x10`, `Infinity`, `1_000`). */
export function decimalNumber(text: string): number | undefined {
  const trimmed = text.trim();
  return DECIMAL.test(trimmed) ? Number(trimmed) : undefined;
}

/** A finite number from a cell: a finite JavaScript number, or text in decimal syntax. */
export function parseNumber(raw: unknown, where: string): number {
  const v = typeof raw === 'number' ? raw : typeof raw === 'string' ? decimalNumber(raw) : undefined;
  if (v === undefined || (typeof raw === 'number' && !Number.isFinite(v))) {
    throw new ValueError(`${where}: ${JSON.stringify(raw)} is not a number (write numbers in decimal, like 12, -0.5 or 1e-3; list the column in categorical if it holds categories)`);
  }
  if (!Number.isFinite(v)) throw new ValueError(`${where}: ${JSON.stringify(raw)} is beyond the range of 64-bit floats (±1.8e308); rescale the column`);
  return v;
}

/**
 * The mean and (population) standard deviation of finite values, without overflow: values
 * beyond 2^256 in magnitude are first divided by a power of two (exactly), so sums and squares
 * stay finite for values up to the largest float; smaller values are summed as they are, in order
 * (a plain array or a typed one, such as the Float64Array a CSV column is read into).
 */
export function meanStd(values: ArrayLike<number>): { mean: number; std: number } {
  let max = 0;
  for (let i = 0; i < values.length; i++) max = Math.max(max, Math.abs(values[i]));
  const scale = max > 2 ** 256 ? 2 ** Math.floor(Math.log2(max)) : 1;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] / scale;
  const mean = sum / values.length;
  let squares = 0;
  for (let i = 0; i < values.length; i++) squares += (values[i] / scale - mean) ** 2;
  return { mean: mean * scale, std: Math.sqrt(squares / values.length) * scale };
}

/** `(v − mean) / std`, also where `v − mean` alone overflows (both halved first, exactly). */
function standardize(v: number, mean: number, std: number): number {
  const d = v - mean;
  return Number.isFinite(d) ? d / std : ((v / 2 - mean / 2) / std) * 2;
}

function checkJSON(j: TabularJSON): void {
  const bad = (what: string): never => {
    throw new ValueError(`TabularPreprocessing.fromJSON: ${what}`);
  };
  if (j === null || typeof j !== 'object' || j.format !== 'trainkit-tabular' || j.version !== 1) bad('not a trainkit-tabular version 1 object');
  if (typeof j.target?.name !== 'string' || !Array.isArray(j.target.classes) || !j.target.classes.every((c) => typeof c === 'string')) bad('target must be { name, classes: string[] }');
  if (!['error', 'drop', 'mean', 'mode'].includes(j.missing) || !Array.isArray(j.missingValues)) bad('missing must be a policy and missingValues a list');
  if (!Array.isArray(j.features)) bad('features must be a list');
  for (const f of j.features) {
    const numeric = f.kind === 'numeric' && Number.isFinite(f.mean) && Number.isFinite(f.std) && f.std > 0 && (f.fill === null || Number.isFinite(f.fill));
    const categorical = f.kind === 'categorical' && ['onehot', 'index'].includes(f.encoding) && Array.isArray(f.categories) && (f.fill === null || typeof f.fill === 'string');
    if (typeof f.name !== 'string' || !(numeric || categorical)) bad(`feature ${JSON.stringify(f)} is neither a numeric { mean, std > 0, fill } nor a categorical { encoding, categories, fill } column`);
  }
}
