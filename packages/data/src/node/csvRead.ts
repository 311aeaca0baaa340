import { ValueError } from '@trainkit/tensor';
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { CsvColumn, CsvLines } from './csvColumns';
import { loadCsvParse } from './peers';

/**
 * A CSV file read into memory column by column: its header, the number of rows, and the
 * columns asked for, each kept compactly (see {@link CsvColumn}); the others are only counted.
 */
export interface CsvTable {
  path: string;
  header: string[];
  /** Number of rows after the header. */
  rows: number;
  /** The kept columns, by their index in the header; undefined where a column was not kept. */
  columns: (CsvColumn | undefined)[];
  /** The line row `row` (0 is the first after the header) ends on, for error messages. */
  line(row: number): number;
}

/** What {@link readCsv} keeps of each column: numbers, texts, or nothing. */
export type CsvColumnKind = 'number' | 'text' | 'skip';

/** Options of {@link readCsv}. */
export interface ReadCsvOptions {
  /** Field delimiter; detected from the header line when absent. */
  delimiter?: string;
  /** What to keep of each column, decided from the (checked) header. */
  keep: (header: readonly string[]) => CsvColumnKind[];
  /** Texts that mean "missing": a `'number'` column keeps them as text even when they look like numbers. */
  missingValues: readonly string[];
}

/**
 * Streams a CSV file through csv-parse: the first record is the header (unique names), and
 * every later record must have as many fields as the header. Empty lines are skipped, a BOM
 * is dropped, cells are trimmed. Without `delimiter`, the header line picks it (see {@link detectDelimiter}).
 * In a file delimited by `;`, where `,` is the decimal mark, a number written with a decimal
 * comma (`5,1`) is read as `5.1`. Each record is stored into its columns as it arrives, so no
 * string per cell outlives its record and memory grows with the columns kept, not the text.
 * @throws naming the file and the line on a ragged row, a parse error or a bad header.
 */
export async function readCsv(caller: string, path: string, options: ReadCsvOptions): Promise<CsvTable> {
  const { parse } = await loadCsvParse(caller);
  const d = options.delimiter ?? (await detectDelimiter(path));
  const decimalComma = d === ';';
  const missing = new Set(options.missingValues);
  let header: string[] | undefined;
  let columns: (CsvColumn | undefined)[] = [];
  const lines = new CsvLines();
  let rows = 0;
  const onRecord = (record: string[], line: number): void => {
    if (header === undefined) {
      header = checkHeader(caller, path, record);
      columns = options.keep(header).map((kind) => (kind === 'skip' ? undefined : new CsvColumn(kind, missing)));
      return;
    }
    if (record.length !== header.length) {
      throw new ValueError(`${caller}: ${path} line ${line} has ${record.length} fields but the header has ${header.length} (a ragged row)`);
    }
    for (let c = 0; c < record.length; c++) {
      const column = columns[c];
      if (column !== undefined) column.push(decimalComma && DECIMAL_COMMA.test(record[c]) ? record[c].replace(',', '.') : record[c]);
    }
    lines.push(rows++, line);
  };
  // on_record stores each record as csv-parse completes it (and returns null so that nothing is
  // queued); its context names the line the record ends on, as `info` did.
  const parser = parse({ bom: true, delimiter: d, skip_empty_lines: true, relax_column_count: true, trim: true, on_record: (record: string[], context) => (onRecord(record, context.lines), null) });
  const input = createReadStream(path);
  input.on('error', (e: NodeJS.ErrnoException) => {
    parser.destroy(new Error(e.code === 'ENOENT' ? `${caller}: file not found: ${path}` : `${caller}: cannot read ${path}: ${e.message}`, { cause: e }));
  });
  input.pipe(parser);
  parser.resume();
  try {
    await finished(parser);
    // The open file holds the parser, and through on_record the columns, until it is closed: wait
    // for that, so that the columns are freed with the table and not some time later.
    if (!input.closed) await once(input, 'close');
  } catch (e) {
    input.destroy();
    if (e instanceof ValueError || (e as Error).message.startsWith(`${caller}:`)) throw e;
    throw new ValueError(`${caller}: ${path}: ${(e as Error).message}`, { cause: e });
  }
  if (header === undefined) throw new ValueError(`${caller}: ${path} is empty; expected a header line and rows`);
  return { path, header, rows, columns, line: lines.line.bind(lines) };
}

function checkHeader(caller: string, path: string, names: string[]): string[] {
  const seen = new Set<string>();
  names.forEach((name, i) => {
    if (name === '') throw new ValueError(`${caller}: ${path} header: column ${i + 1} has no name`);
    if (seen.has(name)) throw new ValueError(`${caller}: ${path} header: column name ${JSON.stringify(name)} appears twice`);
    seen.add(name);
  });
  return names;
}

/** A number with a decimal comma: `5,1`, `-0,25`, `,5`, `1,5e3`. */
const DECIMAL_COMMA = /^[+-]?(?:\d+,\d*|,\d+)(?:[eE][+-]?\d+)?$/;

/** The delimiters {@link detectDelimiter} tells apart, `,` first; `;` is what spreadsheets write where `,` is the decimal mark. */
const DELIMITERS = [',', ';', '\t', '|'] as const;

/**
 * The field delimiter of a CSV file, from its header line (outside quotes): `,` when the line has
 * one, else the most frequent of `;`, tab and `|` (a spreadsheet saved in a locale where `,` is
 * the decimal mark writes `;`); `,` when it has none of them or cannot be read (the reader then
 * reports why).
 */
export async function detectDelimiter(path: string): Promise<string> {
  let text: string;
  try {
    const file = await open(path, 'r');
    try {
      const { buffer, bytesRead } = await file.read({ buffer: Buffer.alloc(64 * 1024) });
      text = buffer.subarray(0, bytesRead).toString('utf8');
    } finally {
      await file.close();
    }
  } catch {
    return ',';
  }
  const counts = new Map<string, number>();
  let quoted = false;
  for (const ch of text.replace(/^\s+/, '')) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) break;
    else if (!quoted && (DELIMITERS as readonly string[]).includes(ch)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  }
  if (counts.has(',')) return ',';
  let best = ',';
  for (const d of DELIMITERS) if ((counts.get(d) ?? 0) > (counts.get(best) ?? 0)) best = d;
  return best;
}
