/**
 * The data-loading rows (spec.ts `LOADER_WORKLOADS`), trainkit only, one process:
 *
 *   flock /tmp/h/heavy.lock nice -n 5 node --conditions=@trainkit/source --import tsx src/runners/loader.ts --rows=loader-png-decode,loader-png-cached,loader-cnn-share
 *   UV_THREADPOOL_SIZE=1 flock /tmp/h/heavy.lock nice -n 5 node --conditions=@trainkit/source --import tsx src/runners/loader.ts --rows=loader-jpeg64
 *   flock /tmp/h/heavy.lock nice -n 5 node --conditions=@trainkit/source --expose-gc --import tsx src/runners/loader.ts --rows=shards-5gb
 *
 * The PNG rows read the 70,000 Fashion-MNIST PNGs that tools/data-parity writes (`--png=DIR`,
 * default /tmp/trainkit-fmnist-png; written first when missing). Each row is appended to
 * results/loader.jsonl, and results/loader.md is rewritten from the latest row of each id.
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOADER_WORKLOADS } from '../spec';
import { pngRows } from './loaderImages';
import { jpegRow } from './loaderJpeg';
import { shardsRow } from './loaderShards';

/** One measured row: the headline value and what it was measured from. */
export interface LoaderRow {
  id: (typeof LOADER_WORKLOADS)[number]['id'];
  value: number;
  target?: { text: string; met: boolean };
  details: Record<string, unknown>;
}

const results = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'results');
const arg = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const rows = (arg('rows') ?? '').split(',').filter(Boolean);
const unknown = rows.filter((r) => !LOADER_WORKLOADS.some((w) => w.id === r));
if (rows.length === 0 || unknown.length > 0) throw new Error(`loader bench: --rows= must list ids of ${LOADER_WORKLOADS.map((w) => w.id).join(', ')}${unknown.length ? `; unknown: ${unknown.join(', ')}` : ''}`);

const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, loadAverageAtStart: loadavg()[0] };
const scratch = await mkdtemp(join(tmpdir(), 'trainkit-loader-bench-'));
const measured: LoaderRow[] = [];
try {
  const png = rows.filter((r) => r.startsWith('loader-png') || r === 'loader-cnn-share');
  if (png.length > 0) measured.push(...(await pngRows(png, arg('png') ?? '/tmp/trainkit-fmnist-png', scratch)));
  if (rows.includes('loader-jpeg64')) measured.push(await jpegRow(scratch, Number(arg('jpegs') ?? 3000), Number(arg('reps') ?? 9)));
  if (rows.includes('shards-5gb')) measured.push(await shardsRow(scratch, Number(arg('gb') ?? 5)));
} finally {
  await rm(scratch, { recursive: true, force: true });
}

const smoke = arg('smoke') !== undefined; // --smoke=1: print only, append nothing
const date = new Date().toISOString();
for (const row of measured) {
  const spec = LOADER_WORKLOADS.find((w) => w.id === row.id)!;
  const line = { ...row, name: spec.name, unit: spec.unit, date, machine: { ...machine, loadAverageAtEnd: loadavg()[0] } };
  if (!smoke) appendFileSync(join(results, 'loader.jsonl'), `${JSON.stringify(line)}\n`);
  else console.log(JSON.stringify(row.details, null, 1));
  console.log(`${spec.name}: ${row.value.toFixed(spec.unit === '%' ? 2 : 0)} ${spec.unit}${row.target ? ` (target ${row.target.text}: ${row.target.met ? 'met' : 'missed'})` : ''}`);
}
if (!smoke) writeFileSync(join(results, 'loader.md'), table());

/** The latest row of each id as a markdown table. */
function table(): string {
  const file = join(results, 'loader.jsonl');
  const latest = new Map<string, LoaderRow & { name: string; unit: string; date: string; machine: typeof machine }>();
  if (existsSync(file)) for (const l of readFileSync(file, 'utf8').split('\n').filter(Boolean)) latest.set(JSON.parse(l).id, JSON.parse(l));
  const lines = ['| row | value | target | measured |', '|---|---|---|---|'];
  for (const w of LOADER_WORKLOADS) {
    const r = latest.get(w.id);
    if (r === undefined) continue;
    const value = `${r.value.toLocaleString('en-US', { maximumFractionDigits: r.unit === '%' ? 2 : 0 })} ${r.unit}`;
    lines.push(`| ${w.name} | ${value} | ${r.target ? `${r.target.text}: ${r.target.met ? 'met' : 'missed'}` : '—'} | ${r.date.slice(0, 10)}, ${r.machine.cores} cores, load ${r.machine.loadAverageAtStart.toFixed(1)} |`);
  }
  return `# Data-loading rows\n\nWritten by \`src/runners/loader.ts\` from \`loader.jsonl\` (the latest run of each row; details there).\n\n${lines.join('\n')}\n`;
}
