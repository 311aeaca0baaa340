/**
 * `npm run bench [-- --quick]`: trainkit's throughput on the reference workloads, median of
 * timed windows after warm-up, written to tools/bench/results/latest.{json,md}.
 * Peers (TF.js, ConvNetJS) join this table in the performance work; until then it is the
 * baseline that later kernels are measured against.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measure } from './measure';
import { optimizerWorkloads } from './optimizers';
import { workloads } from './workloads';

const quick = process.argv.includes('--quick');
const windows = 3;
const perWindow = quick ? 5 : 20;

const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  node: process.version,
  threads: 1,
  date: new Date().toISOString(),
  mode: quick ? 'quick' : 'full',
};

function fmt(x: number): string {
  return x >= 1e6 ? `${(x / 1e6).toFixed(1)} M` : x.toFixed(0);
}

const rows: Array<{ workload: string; unit: string; median: number; windows: number[] }> = [];
for (const w of [...workloads(), ...optimizerWorkloads()]) {
  const heavy = w.unitsPerCall >= 1e6; // optimizer steps on 10M parameters: fewer calls per window
  const m = await measure(w.once, { warmup: heavy ? 2 : quick ? 2 : 5, windows, perWindow: heavy ? (quick ? 2 : 5) : perWindow, unitsPerCall: w.unitsPerCall });
  rows.push({ workload: w.name, unit: w.unit, median: m.median, windows: m.windows });
  console.log(`${w.name.padEnd(46)} ${fmt(m.median).padStart(10)} ${w.unit}   (windows: ${m.windows.map(fmt).join(', ')})`);
}

const md = [
  `# trainkit benchmark (${machine.mode})`,
  '',
  `${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${machine.threads} thread, ${machine.date}`,
  '',
  '| workload | trainkit (median of 3 windows) |',
  '|---|---|',
  ...rows.map((r) => `| ${r.workload} | ${fmt(r.median)} ${r.unit} |`),
  '',
].join('\n');
const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'latest.json'), JSON.stringify({ machine, rows }, null, 2) + '\n');
writeFileSync(join(out, 'latest.md'), md);
console.log(`\nwritten to ${join('tools/bench/results', 'latest.{json,md}')}`);
