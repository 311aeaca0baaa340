/**
 * Executor throughput: a sweep of 8 equal trials (the reference CNN, one epoch on the same
 * MNIST images) with 1 and with 2 workers — the wall-clock ratio — and the queue overhead per
 * trial (a trial that returns at once, run 40 times on one worker: the time the executor adds).
 *
 *   flock /tmp/h/heavy.lock nice -n 5 npm run throughput -w tools/sweep -- [--executors local,bullmq] [--images 4000]
 *
 * Executors are looked up by name in EXECUTORS below: `local` (worker threads) and `bullmq`
 * (`--executors local,bullmq`: a private redis-server, and 1 or 2 BullMQ workers in this
 * process, each running its trial on a worker thread). Rows are appended to results/throughput.jsonl and the table of this run
 * is written to results/throughput.md.
 */
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type ExecutorFactory, type TrialRecord, choice } from '@trainkit/sweep';
import { local, runSweep } from '@trainkit/sweep/node';
import { startPrivateRedis } from './privateRedis';

/** The part of `@trainkit/sweep/bullmq` used here (imported by name, so this tool builds without it). */
interface BullmqModule {
  bullmq(options: { redis: string; queue: string; sweepId?: string; checkpoints?: string }): ExecutorFactory;
  startWorker(options: { redis: string; queue: string; concurrency?: number; name?: string; log?: (line: string) => void }): Promise<{ close(): Promise<void> }>;
}

let sweepNumber = 0;

/** `workers` BullMQ workers (one trial thread each) in this process, on a private Redis, and the coordinator's executor. */
async function bullmqExecutor(workers: number): Promise<{ factory: ExecutorFactory; close: () => Promise<void> }> {
  const specifier = '@trainkit/sweep/bullmq';
  const mod = (await import(specifier)) as BullmqModule;
  const redis = await startPrivateRedis();
  const queue = `throughput-${process.pid}`;
  const started = await Promise.all(Array.from({ length: workers }, (_, i) => mod.startWorker({ redis: redis.url, queue, concurrency: 1, name: `worker-${i}`, log: () => undefined })));
  const factory = mod.bullmq({ redis: redis.url, queue, sweepId: `run${sweepNumber++}`, checkpoints: mkdtempSync(join(tmpdir(), 'trainkit-throughput-')) });
  return { factory, close: async () => (await Promise.all(started.map((w) => w.close())), redis.stop()) };
}

/** Executors by name: a factory of `workers` at once, and what to close afterwards. */
const EXECUTORS: Record<string, (workers: number) => Promise<{ factory: ExecutorFactory; close?: () => Promise<void> }>> = {
  local: (workers) => Promise.resolve({ factory: local({ concurrency: workers }) }),
  bullmq: bullmqExecutor,
};

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({ options: { executors: { type: 'string', default: 'local,bullmq' }, images: { type: 'string', default: '4000' }, trials: { type: 'string', default: '8' }, noops: { type: 'string', default: '40' } } });
const log = (s: string) => process.stderr.write(`${s}\n`);
const trialModule = new URL('./mnistTrial.ts', import.meta.url);
const noopModule = new URL('./noopTrial.ts', import.meta.url);

/** Seconds for a sweep of `trials` trials of `exportName` on `workers` workers, and its records. */
async function timeSweep(name: string, workers: number, exportName: string, module: URL, trials: number, config: Record<string, number>): Promise<{ seconds: number; records: TrialRecord[]; ends: number[] }> {
  const { factory, close } = await EXECUTORS[name](workers);
  const records: TrialRecord[] = [];
  const ends: number[] = [];
  const space = Object.fromEntries(Object.entries(config).map(([k, v]) => [k, choice([v])]));
  const started = performance.now();
  try {
    await runSweep({ space, trial: { module, exportName }, trials, metric: 'loss', executor: factory, onTrialEnd: (r) => (records.push(r), ends.push(performance.now())) });
  } finally {
    await close?.();
  }
  const failed = records.find((r) => r.status === 'failed');
  if (failed !== undefined) throw new Error(`${name}: ${failed.trialId} failed: ${failed.error?.message}`);
  return { seconds: (performance.now() - started) / 1000, records, ends: ends.map((t) => t - started) };
}

const images = Number(values.images);
const trials = Number(values.trials);
const noops = Number(values.noops);
const rows: Array<Record<string, unknown>> = [];
for (const name of values.executors.split(',')) {
  if (EXECUTORS[name] === undefined) throw new Error(`unknown executor "${name}"; known: ${Object.keys(EXECUTORS).join(', ')}`);
  log(`${name}: ${trials} equal trials (${images} images, 1 epoch) on 1 worker, load ${loadavg()[0].toFixed(2)}`);
  const one = await timeSweep(name, 1, 'equalTrial', trialModule, trials, { images });
  log(`${name}: ${one.seconds.toFixed(1)} s; on 2 workers, load ${loadavg()[0].toFixed(2)}`);
  const two = await timeSweep(name, 2, 'equalTrial', trialModule, trials, { images });
  log(`${name}: ${two.seconds.toFixed(1)} s; ${noops} no-op trials on 1 worker`);
  const noop = await timeSweep(name, 1, 'noopTrial', noopModule, noops, { x: 0 });
  // the first no-op trial to finish waited for the worker to start; the time between it and the
  // last is what the executor spends per trial (a queue executor has them all queued at once)
  const perTrialMs = (noop.ends.at(-1)! - noop.ends[0]) / (noops - 1);
  rows.push({ date: new Date().toISOString(), executor: name, trials, images, oneWorkerSeconds: one.seconds, twoWorkersSeconds: two.seconds, ratio: two.seconds / one.seconds, noopTrials: noops, overheadMsPerTrial: perTrialMs, firstTrialMs: Math.round(noop.ends[0]), cores: availableParallelism(), loadAfter: loadavg()[0] });
}

const results = join(here, '..', 'results');
for (const r of rows) appendFileSync(join(results, 'throughput.jsonl'), `${JSON.stringify(r)}\n`);
const table = [
  `| executor | ${trials} trials, 1 worker (s) | 2 workers (s) | ratio 2 / 1 | queue overhead per trial (ms) | first no-op trial done, worker start included (ms) |`,
  '| --- | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map((r) => `| ${r.executor} | ${(r.oneWorkerSeconds as number).toFixed(1)} | ${(r.twoWorkersSeconds as number).toFixed(1)} | ${(r.ratio as number).toFixed(2)} | ${(r.overheadMsPerTrial as number).toFixed(1)} | ${r.firstTrialMs} |`),
];
const caption = `Each trial: the reference CNN, Adam, one epoch on ${images} MNIST images; ${noops} no-op trials for the overhead; ${availableParallelism()} cores, load average ${loadavg()[0].toFixed(1)} at the end (${new Date().toISOString().slice(0, 10)}).`;
writeFileSync(join(results, 'throughput.md'), `${table.join('\n')}\n\n${caption}\n`);
log(table.join('\n'));
