import { ValueError } from '@trainkit/tensor';
import { createReadStream } from 'node:fs';
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
 * is dropped, cells are trimmed.
 * @throws naming the file and the line on a ragged row, a parse error or a bad header.
 */
export async function readCsv(caller: string, path: string, delimiter = ','): Promise<CsvTable> {
  const { parse } = await loadCsvParse(caller);
  const parser = parse({ bom: true, delimiter, skip_empty_lines: true, relax_column_count: true, trim: true, info: true });
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
      rows.push({ line: info.lines, cells: record });
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
