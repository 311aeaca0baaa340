/**
 * `npm run bench [-- --quick] [-- --only=cnn-train,mlp-train] [-- --skip=memory,bundle,torch] [-- --rounds=3]`:
 * trainkit against PyTorch (when /usr/bin/python3 has torch), TF.js (wasm and cpu backends)
 * and ConvNetJS on the same workloads in the same run, plus plain hand-written JS loops.
 * Every number is the median of ≥ 3 timed windows after a warm-up, one thread everywhere
 * (plus trainkit with its opt-in 2-thread pool).
 * Rows are measured one at a time across all libraries (their runner processes stay alive),
 * so the columns of a row see the same machine load; with `--rounds=N` each row is measured N
 * times with the columns taking turns, and each cell pools its windows over the rounds, so a
 * drift of the machine's speed during a row reaches every column alike. Then: memory flatness over 3 epochs,
 * and the bundle size of a minimal training program.
 *
 * Writes tools/bench/results/latest.json and latest.md (on Node 26, via `npm run bench:node26`:
 * latest-node26.json and .md). `--quick` finishes in under 2 minutes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureBundles } from './bundle';
import { PYTHON, Runner, TORCH_ENV, runMemory, torchArgs, torchAvailable } from './processes';
import { type Cell, WORKLOADS, type WorkloadId, mergeRounds } from './spec';
import { type Results, markdown, targets, formatValue } from './table';
import { torchCheck } from './torchCheck';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');
const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3).split(',');
const only = arg('only') as WorkloadId[] | undefined;
const skip = new Set(arg('skip') ?? []);
const rounds = Number(arg('rounds')?.[0] ?? 1);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer, got ${String(arg('rounds'))}`);
const flags = quick ? ['--quick'] : [];
const started = performance.now();
if (process.argv.includes('--torch-check')) process.exit((await torchCheck(root, quick)) ? 0 : 1);

const node = (file: string, ...extra: string[]) => [process.execPath, ['--conditions=@trainkit/source', '--import', 'tsx', `src/runners/${file}`, ...flags, ...extra]] as const;
const specs: Array<{ key: string; label: string; cmd: readonly [string, readonly string[]]; env?: Record<string, string>; when?: () => string | null }> = [
  { key: 'trainkit', label: 'trainkit', cmd: node('trainkit.ts') },
  { key: 'trainkit-2t', label: 'trainkit, 2 threads', cmd: node('trainkit.ts', '--threads=2'), when: () => (cpus().length < 2 ? 'one core' : null) },
  { key: 'trainkit-js', label: 'trainkit, JS kernels', cmd: node('trainkit.ts'), env: { TRAINKIT_KERNELS: 'js' } },
  { key: 'torch', label: 'PyTorch, 1 thread', cmd: [PYTHON, torchArgs(flags)], env: TORCH_ENV, when: torchAvailable },
  { key: 'tfjs-wasm', label: 'TF.js wasm', cmd: node('tfjs.ts', '--backend=wasm') },
  { key: 'tfjs-cpu', label: 'TF.js cpu', cmd: node('tfjs.ts', '--backend=cpu') },
  { key: 'convnetjs', label: 'ConvNetJS', cmd: node('convnetjs.ts') },
  { key: 'plain', label: 'plain JS loop', cmd: node('plain.ts') },
];

const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  node: process.version,
  threads: 1,
  loadAverageAtStart: loadavg()[0],
  loadAverageAtEnd: 0,
  date: new Date().toISOString(),
  mode: quick ? 'quick' : 'full',
  rounds,
};
console.log(`trainkit bench (${machine.mode}): ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, 1 thread per library (and trainkit on 2), load average ${machine.loadAverageAtStart.toFixed(1)}`);

const columns: Results['columns'] = [];
const runners: Runner[] = [];
for (const s of specs) {
  const reason = skip.has(s.key) ? 'skipped (--skip)' : (s.when?.() ?? null);
  columns.push({ key: s.key, label: s.label, unavailable: reason });
  if (reason === null) runners.push(new Runner(s.key, s.cmd[0], s.cmd[1], root, s.env));
  else console.log(`  ${s.label}: ${reason}`);
}
await Promise.all(runners.map((r) => r.ready()));
for (const r of runners) {
  if (!r.info) continue;
  const column = columns.find((c) => c.key === r.key)!;
  column.info = String(r.info.describe);
  column.warning = typeof r.info.warning === 'string' ? r.info.warning : null;
  console.log(`  ${column.label}: ${column.info}`);
  if (column.warning) console.log(`  WARNING (${column.label}): ${column.warning}`);
}

const rows: Results['rows'] = [];
for (const w of WORKLOADS) {
  if (only && !only.includes(w.id)) continue;
  const measured: Record<string, Cell[]> = {};
  for (let round = 0; round < rounds; round++) for (const r of runners) (measured[r.key] ??= []).push(await r.run(w.id));
  const cells: Record<string, Cell> = Object.fromEntries(Object.entries(measured).map(([k, cs]) => [k, mergeRounds(cs)]));
  rows.push({ ...w, cells });
  const line = columns.filter((c) => cells[c.key] && 'median' in cells[c.key]).map((c) => `${c.label} ${formatValue((cells[c.key] as { median: number }).median, w.unit)}`);
  console.log(`${w.name.padEnd(46)} ${line.join(' | ')}`);
}
for (const r of runners) r.close();

let memory: Results['memory'] = null;
if (!skip.has('memory') && !only) {
  console.log(`memory: training the reference CNN for 3 epochs (${quick ? '6,400' : '60,000'} images) ...`);
  memory = await runMemory(root, flags);
}
let bundle: Results['bundle'] = null;
if (!skip.has('bundle') && !only) bundle = await measureBundles();

machine.loadAverageAtEnd = loadavg()[0];
const results: Results = { machine, columns, rows, memory, bundle, seconds: (performance.now() - started) / 1000 };
const md = markdown(results, targets(results));
const out = join(root, 'results');
mkdirSync(out, { recursive: true });
// the project's own Node (20) writes latest.*; another major (bench:node26) its own latest-node<major>.*
const major = Number(process.versions.node.split('.')[0]);
const name = major === 20 ? 'latest' : `latest-node${major}`;
writeFileSync(join(out, `${name}.json`), JSON.stringify({ ...results, targets: targets(results) }, null, 2) + '\n');
writeFileSync(join(out, `${name}.md`), md);
console.log(`\n${md}\nwritten to tools/bench/results/${name}.{json,md} in ${results.seconds.toFixed(0)} s`);
