/**
 * Parallel speed-up of @trainkit/ensemble: 2 members (the reference CNN, Adam 1e-3, batch 64,
 * seeds 0 and 1, one epoch over the first `--limit` MNIST training images) trained with
 * concurrency 1 (one after another in this thread) and with concurrency 2 (two worker
 * threads), end to end: worker start-up and each worker's data loading count. The weights
 * must come out bit-identical; the target is a wall-time ratio ≤ 0.65 on 2 cores.
 *
 * Next to each run it measures what the machine gives right now: the same ratio for a plain
 * CPU loop on two threads (≈ 0.5 on an idle 2-core machine; ≈ 1 when other work saturates the
 * cores, and then no program can show a parallel speed-up).
 *
 *   npm run bench:ensemble -- [--limit 12800] [--repeat 1]
 *
 * This module is also the members' definition: worker threads import it by its URL (the
 * benchmark itself runs only on the main thread).
 */
import { availableParallelism, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker, isMainThread } from 'node:worker_threads';
import { DataLoader } from '@trainkit/data';
import { loadMnist } from '@trainkit/data/node';
import { defineMember, type TrainedEnsemble } from '@trainkit/ensemble';
import { trainEnsemble } from '@trainkit/ensemble/node';
import { mnistCnn } from '@trainkit/nn';
import { adam } from '@trainkit/optim-adam';

export default defineMember<{ limit: number }>({
  model: ({ rng }) => mnistCnn({ rng }),
  setup: async ({ params }) => ({
    optimizer: adam({ lr: 1e-3 }),
    train: new DataLoader(await loadMnist({ split: 'train', limit: params.limit }), { batchSize: 64, shuffle: true }),
    epochs: 1,
  }),
});

function identical(a: TrainedEnsemble, b: TrainedEnsemble): boolean {
  return a.members.every((m, i) => Object.entries(m.state).every(([k, t]) => t.data.every((v, j) => Object.is(v, b.members[i].state[k].data[j]))));
}

/** Loop iterations of the capacity probe (about a second on an idle core). */
const PROBE_ITERATIONS = 1e8;
const PROBE = `const { parentPort } = require('node:worker_threads');
parentPort.on('message', (n) => { let x = 0; for (let i = 0; i < n; i++) x = (x + Math.sqrt(i)) % 1e9; parentPort.postMessage(x); });`;

function probeLoops(threads: number): Promise<unknown[]> {
  return Promise.all(
    Array.from({ length: threads }, () => new Promise((resolve) => {
      const w = new Worker(PROBE, { eval: true });
      w.once('message', (x) => void w.terminate().then(() => resolve(x)));
      w.postMessage(PROBE_ITERATIONS);
    })),
  );
}

/** Wall time of two CPU loops on two threads over two loops one after the other. */
async function machineRatio(): Promise<number> {
  let t = performance.now();
  await probeLoops(1);
  await probeLoops(1);
  const sequential = performance.now() - t;
  t = performance.now();
  await probeLoops(2);
  return (performance.now() - t) / sequential;
}

async function timed(concurrency: number, limit: number): Promise<{ seconds: number; trained: TrainedEnsemble }> {
  const t0 = performance.now();
  const trained = await trainEnsemble({ member: new URL(import.meta.url), members: 2, concurrency, params: { limit } });
  return { seconds: (performance.now() - t0) / 1000, trained };
}

/** One measurement: wall seconds at concurrency 1 and 2, whether the weights matched, the CPU-loop ratio. */
export interface SpeedupRow {
  c1: number;
  c2: number;
  same: boolean;
  machine: number;
  load: string;
}

/**
 * Runs the speed-up measurement `repeat` times and prints the table through `log`
 * (tools/bench/src/main.ts can call this; `npm run bench:ensemble` runs it with CLI options).
 */
export async function ensembleSpeedup({ limit = 12800, repeat = 1, log = console.log }: { limit?: number; repeat?: number; log?: (line: string) => void } = {}): Promise<SpeedupRow[]> {
  const load = () => loadavg()[0].toFixed(2);
  log(`ensemble speed-up: 2 reference CNNs, ${limit} MNIST images each, batch 64, 1 epoch; ${availableParallelism()} cores, load average ${load()} (1 min)`);
  const rows: SpeedupRow[] = [];
  for (let r = 0; r < repeat; r++) {
    const machine = await machineRatio();
    const one = await timed(1, limit);
    const two = await timed(2, limit);
    rows.push({ c1: one.seconds, c2: two.seconds, same: identical(one.trained, two.trained), machine, load: load() });
  }
  log('run  concurrency 1 (s)  concurrency 2 (s)  ratio  samples/s c1 → c2  weights identical  CPU-loop ratio  load after');
  rows.forEach((r, i) => {
    const sps = (s: number) => ((2 * limit) / s).toFixed(0);
    log(
      `${String(i + 1).padStart(3)}  ${r.c1.toFixed(1).padStart(17)}  ${r.c2.toFixed(1).padStart(17)}  ${(r.c2 / r.c1).toFixed(2).padStart(5)}  ${`${sps(r.c1)} → ${sps(r.c2)}`.padStart(17)}  ${(r.same ? 'yes' : 'NO').padStart(17)}  ${r.machine.toFixed(2).padStart(14)}  ${r.load.padStart(10)}`,
    );
  });
  const best = Math.min(...rows.map((r) => r.c2 / r.c1));
  log(`best ratio ${best.toFixed(2)} (target ≤ 0.65; a plain CPU loop on 2 threads got ${Math.min(...rows.map((r) => r.machine)).toFixed(2)} at best)${rows.every((r) => r.same) ? '' : '; WEIGHTS DIFFER'}`);
  return rows;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { limit: { type: 'string', default: '12800' }, repeat: { type: 'string', default: '1' } } });
  const rows = await ensembleSpeedup({ limit: Number(values.limit), repeat: Number(values.repeat) });
  if (!rows.every((r) => r.same)) process.exitCode = 1;
}

// run as a script (not when imported by main.ts), and not as a top-level await: trainEnsemble
// imports this very module for the member definition, which must finish evaluating first
if (isMainThread && process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
