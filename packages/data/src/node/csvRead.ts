import { ValueError } from '@trainkit/tensor';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { loadCsvParse } from './peers';

/** A CSV file read into memory: its header and its rows, each with the line it ends on. */
export interface CsvTable {
  path: string;
  header: string[];
  rows: { line: number; cells: string[] }[];
}

/**
 * Streams a CSV file through csv-parse: the first record is the header (unique names), and
 * every later record must have as many fields as the header. Empty lines are skipped, a BOM
 * is dropped, cells are trimmed. Without `delimiter`, the header line picks it (see {@link detectDelimiter}).
 * In a file delimited by `;`, where `,` is the decimal mark, a number written with a decimal
 * comma (`5,1`) is read as `5.1`.
 * @throws naming the file and the line on a ragged row, a parse error or a bad header.
 */
export async function readCsv(caller: string, path: string, delimiter?: string): Promise<CsvTable> {
  const { parse } = await loadCsvParse(caller);
  const d = delimiter ?? (await detectDelimiter(path));
  const decimalComma = d === ';';
  const parser = parse({ bom: true, delimiter: d, skip_empty_lines: true, relax_column_count: true, trim: true, info: true });
  const input = createReadStream(path);
  input.on('error', (e: NodeJS.ErrnoException) => {
    parser.destroy(new Error(e.code === 'ENOENT' ? `${caller}: file not found: ${path}` : `${caller}: cannot read ${path}: ${e.message}`, { cause: e }));
  });
  input.pipe(parser);
  let header: string[] | undefined;
  const rows: CsvTable['rows'] = [];
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      if (header === undefined) {
        header = checkHeader(caller, path, record);
        continue;
      }
      if (record.length !== header.length) {
        throw new ValueError(`${caller}: ${path} line ${info.lines} has ${record.length} fields but the header has ${header.length} (a ragged row)`);
      }
      rows.push({ line: info.lines, cells: decimalComma ? record.map((c) => (DECIMAL_COMMA.test(c) ? c.replace(',', '.') : c)) : record });
    }
  } catch (e) {
    input.destroy();
    if (e instanceof ValueError || (e as Error).message.startsWith(`${caller}:`)) throw e;
    throw new ValueError(`${caller}: ${path}: ${(e as Error).message}`, { cause: e });
  }
  if (header === undefined) throw new ValueError(`${caller}: ${path} is empty; expected a header line and rows`);
  return { path, header, rows };
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
