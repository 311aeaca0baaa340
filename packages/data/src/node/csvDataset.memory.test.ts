import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { finished } from 'node:stream/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';

// A million rows of ten numbers and a label: 78 MB of text, 42 MB of float32 inputs and int32
// labels once loaded. Measured here on this file (the test prints it with
// TRAINKIT_CSV_MEMORY_REPORT=1): the reader that kept a string per cell grew the heap by 1.19 GB
// at its peak and took 16 s; column by column the peak is 160 to 175 MB (the float64 columns,
// 88 MB, with the result beside them) and the load 8 s. What stays afterwards is the result.
const ROWS = 1_000_000;
const COLUMNS = 10;
const LABELS = ['setosa', 'versicolor', 'virginica'];
/**
 * Peak growth allowed: three times the loaded tensors (the float64 columns are twice the float32
 * inputs, and the result is built beside them) plus a margin for the parser's garbage and the
 * row indices of the split: 222 MB here, against the 1.19 GB of a string per cell.
 */
const PEAK_FACTOR = 3;
const MARGIN_MB = 96;

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..', '..');
let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trainkit-csv-memory-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Cell (row, column) of the file: a number with up to three decimals in [-100, 100]. */
const value = (row: number, column: number): number => (((row * 7919 + column * 104_729) % 200_001) - 100_000) / 1000;

async function writeBigCsv(path: string): Promise<void> {
  const out = createWriteStream(path);
  out.write(`${Array.from({ length: COLUMNS }, (_, j) => `f${j}`).join(',')},species\n`);
  for (let start = 0; start < ROWS; start += 10_000) {
    let chunk = '';
    for (let i = start; i < Math.min(ROWS, start + 10_000); i++) {
      for (let j = 0; j < COLUMNS; j++) chunk += `${value(i, j)},`;
      chunk += `${LABELS[i % 3]}\n`;
    }
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await finished(out);
}

/**
 * The child process: loads a small file first (so that csv-parse and the code are loaded and
 * compiled), then the big one, sampling heapUsed + arrayBuffers every 5 ms while the file
 * streams and once more with the result in hand (the columns are still there then); after a
 * collection, what stays is the result. The growth of peak RSS is printed, not bounded: it
 * depends on how V8 sizes its heap.
 */
const CHILD = `
const [module, small, big] = process.argv.slice(1);
const { csvDataset } = await import(module);
await csvDataset(small, { target: 'species' });
const used = () => { const m = process.memoryUsage(); return m.heapUsed + m.arrayBuffers; };
globalThis.gc();
const base = used();
const baseRss = process.memoryUsage().rss;
let peak = base;
const timer = setInterval(() => { peak = Math.max(peak, used()); }, 5);
const start = performance.now();
const { train, preprocessing } = await csvDataset(big, { target: 'species' });
peak = Math.max(peak, used());
const seconds = (performance.now() - start) / 1000;
clearInterval(timer);
// the streams let go of the parser in a turn after the last record (on a loaded machine, not
// always the next one): collect after each of a few turns and take the least that stays
let retained = Infinity;
for (let turn = 0; turn < 5; turn++) {
  await new Promise((resolve) => setImmediate(resolve));
  globalThis.gc();
  retained = Math.min(retained, used() - base);
}
const width = train.sampleSize;
let labelsInOrder = true;
for (let i = 0; i < train.length; i++) if (train.y[i] !== i % 3) labelsInOrder = false;
let worstMean = 0;
let worstVariance = 0;
for (let j = 0; j < width; j++) {
  let sum = 0, squares = 0;
  for (let i = 0; i < train.length; i++) { const z = train.x[i * width + j]; sum += z; squares += z * z; }
  worstMean = Math.max(worstMean, Math.abs(sum / train.length));
  worstVariance = Math.max(worstVariance, Math.abs(squares / train.length - 1));
}
const resultBytes = train.x.byteLength + train.y.byteLength;
console.log(JSON.stringify({ rows: train.length, width, classes: preprocessing.target.classes, labelsInOrder, worstMean, worstVariance, resultBytes, peakGrowth: peak - base, retained, seconds, peakRssGrowth: process.resourceUsage().maxRSS * 1024 - baseRss }));
`;

test(`loading a CSV of ${ROWS.toLocaleString('en')} rows × ${COLUMNS} numbers + a label (in a fresh process) grows the heap by at most ${PEAK_FACTOR}× the loaded tensors + ${MARGIN_MB} MB at its peak and keeps only the tensors; the rows arrive standardised with their labels`, async () => {
  const big = join(dir, 'big.csv');
  const small = join(dir, 'small.csv');
  await writeBigCsv(big);
  await writeFile(small, 'f0,species\n1,setosa\n2,virginica\n');
  const args = ['--expose-gc', '--conditions=@trainkit/source', '--import', 'tsx', '--input-type=module', '-e', CHILD, pathToFileURL(join(here, 'csvDataset.ts')).href, small, big];
  const { stdout } = await promisify(execFile)(process.execPath, args, { cwd: repo, maxBuffer: 2 ** 20 });
  const run = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { rows: number; width: number; classes: string[]; labelsInOrder: boolean; worstMean: number; worstVariance: number; resultBytes: number; peakGrowth: number; retained: number; seconds: number; peakRssGrowth: number };
  const MB = 2 ** 20;
  const summary = { fileMB: (await stat(big)).size / MB, resultMB: run.resultBytes / MB, peakGrowthMB: run.peakGrowth / MB, retainedMB: run.retained / MB, peakRssGrowthMB: run.peakRssGrowth / MB, seconds: run.seconds };
  if (process.env.TRAINKIT_CSV_MEMORY_REPORT !== undefined) console.log(`CSV MEMORY ${JSON.stringify(summary)}`);
  expect([run.rows, run.width, run.classes, run.labelsInOrder]).toEqual([ROWS, COLUMNS, LABELS, true]);
  expect(run.resultBytes).toBe(ROWS * (COLUMNS + 1) * 4);
  expect(run.worstMean).toBeLessThan(1e-3);
  expect(run.worstVariance).toBeLessThan(1e-3);
  expect(run.peakGrowth).toBeLessThan(PEAK_FACTOR * run.resultBytes + MARGIN_MB * MB);
  expect(run.retained).toBeLessThan(run.resultBytes + 16 * MB);
}, 60_000);
