import { decimalNumber } from './tabular';

/**
 * Rows per storage chunk. Columns grow chunk by chunk instead of by doubling one array, so a
 * big file never holds an old and a new copy of a column at once, and at most one chunk per
 * column is partly empty.
 */
const CHUNK_BITS = 16;
const CHUNK = 1 << CHUNK_BITS;
const MASK = CHUNK - 1;
/** The first chunk starts this small and doubles up to {@link CHUNK}, so small files stay small. */
const FIRST = 256;

/** Where the high (sign and exponent) half of a float64 lies among its two 32-bit words. */
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const LO = 1 - HI;
/** The high word of the quiet NaN that marks a cell kept as text; its low word is the text's code. */
const TEXT_NAN = 0x7ff80000;

/**
 * One column of a CSV file, kept compactly while the file streams in: instead of a string per
 * cell (40 bytes or more each), a `'number'` column holds 8 bytes per cell and a `'text'` column
 * 4 bytes per cell plus each distinct text once.
 *
 * - `'text'` (categories, labels): a code per cell into {@link texts}, the column's dictionary.
 * - `'number'` (numeric features): a float64 per cell holding the finite number the cell
 *   writes in decimal. A cell that is not one (a missing marker, a word, `1e999`) is kept as
 *   text, its code in the payload of a NaN, so the exceptions cost nothing extra. A cell listed
 *   in `missingValues` stays text even when it looks like a number (`-999`).
 *
 * {@link cell} gives back what the old row-of-strings reader gave, or the number that text
 * parses to, which every consumer reads identically.
 */
export class CsvColumn {
  /** The distinct texts of the column, by code: the cell texts of a `'text'` column, the non-number cells of a `'number'` one. */
  readonly texts: string[] = [];
  /** Number of cells stored. */
  length = 0;
  private readonly codes = new Map<string, number>();
  private readonly floats: Float64Array[] = [];
  private readonly words: Uint32Array[] = [];
  private readonly ints: Int32Array[] = [];

  /**
   * @param kind - `'number'` or `'text'`, as above.
   * @param missingValues - texts that mean "missing" (trimmed), kept as text in a `'number'` column.
   */
  constructor(
    readonly kind: 'number' | 'text',
    private readonly missingValues: ReadonlySet<string> = new Set(),
  ) {}

  /** Appends the next row's cell. */
  push(cell: string): void {
    const i = this.length & MASK;
    if (this.kind === 'text') {
      if (i === 0 || i === this.ints[this.ints.length - 1].length) this.grow();
      this.ints[this.ints.length - 1][i] = this.codeOf(cell);
    } else {
      if (i === 0 || i === this.floats[this.floats.length - 1].length) this.grow();
      const v = this.missingValues.has(cell.trim()) ? undefined : decimalNumber(cell);
      if (v !== undefined && Number.isFinite(v)) this.floats[this.floats.length - 1][i] = v;
      else {
        const w = this.words[this.words.length - 1];
        w[2 * i + HI] = TEXT_NAN;
        w[2 * i + LO] = this.codeOf(cell);
      }
    }
    this.length++;
  }

  /** The code in {@link texts} of the cell at `row`, or -1 when the cell is a number. */
  code(row: number): number {
    if (this.kind === 'text') return this.ints[row >>> CHUNK_BITS][row & MASK];
    const chunk = row >>> CHUNK_BITS;
    const i = row & MASK;
    const v = this.floats[chunk][i];
    return v === v ? -1 : this.words[chunk][2 * i + LO];
  }

  /** The number at `row` of a `'number'` column (NaN when the cell is text: see {@link code}). */
  number(row: number): number {
    return this.floats[row >>> CHUNK_BITS][row & MASK];
  }

  /** The cell at `row`: its text, or the number it writes when it was stored as one. */
  cell(row: number): string | number {
    const c = this.code(row);
    return c < 0 ? this.number(row) : this.texts[c];
  }

  private codeOf(cell: string): number {
    let c = this.codes.get(cell);
    if (c === undefined) {
      c = this.texts.length;
      this.texts.push(cell);
      this.codes.set(cell, c);
    }
    return c;
  }

  /** Room for the next cell: the first chunk doubles up to a full chunk, later ones are full from the start. */
  private grow(): void {
    const first = this.length < CHUNK;
    const size = first ? Math.min(CHUNK, Math.max(FIRST, 2 * this.length)) : CHUNK;
    if (this.kind === 'text') {
      const next = new Int32Array(size);
      if (first && this.length > 0) next.set(this.ints.pop()!);
      this.ints.push(next);
      return;
    }
    const words = new Uint32Array(2 * size);
    // copied as words, so that the NaNs holding codes keep their payloads
    if (first && this.length > 0) {
      words.set(this.words.pop()!);
      this.floats.pop();
    }
    this.words.push(words);
    this.floats.push(new Float64Array(words.buffer));
  }
}

/**
 * The line each row of a CSV file ends on, kept as runs: a row's line is its index plus an
 * offset that changes only where a blank line or a quoted line break comes between rows, so a
 * plain file needs one run instead of a number per row.
 */
export class CsvLines {
  private readonly starts: number[] = [];
  private readonly offsets: number[] = [];

  /** Records that row `row` (the next one) ends on line `line`. */
  push(row: number, line: number): void {
    if (this.offsets.length === 0 || this.offsets[this.offsets.length - 1] !== line - row) {
      this.starts.push(row);
      this.offsets.push(line - row);
    }
  }

  /** The line row `row` ends on. */
  line(row: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.starts[mid] <= row) lo = mid;
      else hi = mid - 1;
    }
    return row + this.offsets[lo];
  }
}
