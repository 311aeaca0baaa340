/**
 * The ensemble table on MNIST (test set, 10,000 images), trainkit and PyTorch 1.13 on the
 * same setup in the same run: members (the reference CNN, Adam 1e-3, batch 64, seeds
 * 0..members-1), their ensemble (average of softmax outputs), a snapshot ensemble from one run
 * (seed 0, cosine warm restarts per step) and EMA (seed 0) — accuracy, NLL, Brier, ECE
 * (15 bins) and disagreement.
 *
 *   nice -n 5 npm run ensemble:table -- [--members 5] [--epochs 1] [--limit N] [--concurrency 2] [--no-torch]
 *
 * Members train in parallel on worker threads and are saved to runs/ensemble/members; the rows are
 * appended to tools/ensemble/results/ensemble.jsonl.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DataLoader } from '@trainkit/data';
import { loadMnist } from '@trainkit/data/node';
import { Ensemble, evaluateEnsemble, formatMetricsTable, metricsRow, modelFromState, snapshotsOf, type MetricsRow } from '@trainkit/ensemble';
import { memberProgressPrinter, saveMember, trainEnsemble } from '@trainkit/ensemble/node';
import { mnistCnn } from '@trainkit/nn';
import { concat, noGrad, type Tensor } from '@trainkit/tensor';
import type { CnnParams } from './cnnMember';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const { values } = parseArgs({
  options: {
    members: { type: 'string', default: '5' },
    epochs: { type: 'string', default: '1' },
    limit: { type: 'string' },
    concurrency: { type: 'string' },
    cycles: { type: 'string', default: '5' },
    keep: { type: 'string', default: '3' },
    decay: { type: 'string', default: '0.999' },
    'no-torch': { type: 'boolean', default: false },
    out: { type: 'string', default: join(root, 'runs', 'ensemble') },
  },
});
const members = Number(values.members);
const common = { epochs: Number(values.epochs), limit: values.limit === undefined ? undefined : Number(values.limit) };
const snapshotParams = { cycles: Number(values.cycles), keep: Number(values.keep) };
const decay = Number(values.decay);
const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency);
const member = new URL('./cnnMember.ts', import.meta.url);
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
const log = (s: string) => process.stderr.write(`${s}\n`);

log(`ensemble table: ${members} members, ${common.epochs} epoch(s)${common.limit ? `, ${common.limit} training images` : ''}, concurrency ${concurrency ?? availableParallelism()}, load average ${load()}`);
const test = await loadMnist({ split: 'test' });
const testLoader = new DataLoader(test, { batchSize: 1000 });
const started = performance.now();

// One call trains everything, so both cores stay busy: the members (seeds 0..members-1), then
// one run with the snapshot-ensemble schedule and one with EMA (both seed 0, like member 0).
const variantOf = (i: number): CnnParams =>
  i < members ? { variant: 'plain', ...common } : i === members ? { variant: 'snapshot', ...common, ...snapshotParams } : { variant: 'ema', ...common, decay };
const all = await trainEnsemble<CnnParams>({
  member,
  seeds: [...Array.from({ length: members }, (_, i) => i), 0, 0],
  params: variantOf,
  concurrency,
  onMemberEnd: (r) => {
    if (r.index < members) return saveMember(join(values.out, 'members'), r).then(() => undefined);
    log(`${variantOf(r.index).variant} run finished in ${r.seconds.toFixed(1)} s`);
  },
  onProgress: memberProgressPrinter(),
});
const totalSeconds = (performance.now() - started) / 1000;
const trained = { members: all.members.slice(0, members), ensemble: () => new Ensemble(all.models.slice(0, members)) };
const variants = { members: all.members.slice(members), models: all.models.slice(members) };

const report = await evaluateEnsemble(trained.ensemble(), testLoader, { names: trained.members.map((m) => `member ${m.index} (seed ${m.seed})`), name: `ensemble of ${members} (probs)` });
const snaps = snapshotsOf(variants.members[0].trainer).map((s) => modelFromState(() => mnistCnn(), s.state));
const snapshotReport = await evaluateEnsemble(new Ensemble(snaps), testLoader, { name: `snapshot ensemble (last ${snaps.length} of ${snapshotParams.cycles})` });
const labels = test.y;
const outputsOf = (model: { call(x: Tensor): Tensor; eval(): unknown }) => {
  model.eval();
  return noGrad(() => concat([...testLoader].map((b) => model.call(b.x)), 0));
};
const emaRow = metricsRow('EMA (seed 0)', outputsOf(variants.models[1]), labels);
const lastSnapshot = { ...snapshotReport.members[snapshotReport.members.length - 1], name: 'last snapshot (seed 0)' };
delete lastSnapshot.disagreement;
const rows: MetricsRow[] = [...report.rows, lastSnapshot, snapshotReport.ensemble, emaRow];

const accs = report.members.map((r) => r.accuracy);
const mean = accs.reduce((a, b) => a + b, 0) / accs.length;
const std = Math.sqrt(accs.reduce((a, b) => a + (b - mean) ** 2, 0) / accs.length);
const best = report.members.reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
const bestNll = Math.min(...report.members.map((r) => r.nll));
console.log(`\ntrainkit (${common.epochs} epoch(s), ${(totalSeconds / 60).toFixed(1)} min wall, load average ${load()})`);
console.log(formatMetricsTable(rows));
console.log(`members: ${(100 * mean).toFixed(2)}% ± ${(100 * std).toFixed(2)}  mean NLL ${(report.members.reduce((a, r) => a + r.nll, 0) / members).toFixed(4)}`);
console.log(`ensemble beats its best member: accuracy ${report.ensemble.accuracy > best.accuracy ? 'yes' : 'NO'} (${(100 * report.ensemble.accuracy).toFixed(2)}% vs ${(100 * best.accuracy).toFixed(2)}%), NLL ${report.ensemble.nll < bestNll ? 'yes' : 'NO'} (${report.ensemble.nll.toFixed(4)} vs ${bestNll.toFixed(4)})`);

let torchRows: MetricsRow[] | null = null;
const hasTorch = !values['no-torch'] && spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
if (hasTorch) {
  log('running the PyTorch counterpart (tools/ensemble/torch_ensemble.py)…');
  const args = [join(here, '..', 'torch_ensemble.py'), '--members', String(members), '--epochs', String(common.epochs), '--cycles', String(snapshotParams.cycles), '--keep', String(snapshotParams.keep), '--decay', String(decay)];
  if (common.limit) args.push('--limit', String(common.limit));
  const out = execFileSync('/usr/bin/python3', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  torchRows = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as MetricsRow);
  console.log('\nPyTorch 1.13 (same setup)');
  console.log(formatMetricsTable(torchRows));
}

const results = join(here, '..', 'results');
mkdirSync(results, { recursive: true });
appendFileSync(
  join(results, 'ensemble.jsonl'),
  JSON.stringify({ date: new Date().toISOString(), members, ...common, ...snapshotParams, decay, concurrency: concurrency ?? availableParallelism(), totalSeconds, memberSeconds: all.members.map((m) => m.seconds), trainkit: rows, torch: torchRows }) + '\n',
);
