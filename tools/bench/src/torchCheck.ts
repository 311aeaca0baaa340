/**
 * `npm run bench -- --torch-check [--quick]`: does the PyTorch column read what a plain PyTorch
 * loop gets? For the MLP and the CNN, runs three times, interleaved: one epoch of
 * tools/compare/torch_epoch.py (a plain loop over real MNIST, spawned the way a user types it:
 * `OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 …`) and the bench's runner
 * (spawned exactly as the column is). They agree when the medians are within 15 %.
 *
 * On a loaded machine (load average above the core count) wall-clock rates depend on what else
 * runs; the verdict then uses the rates per second of the process's CPU time, which both sides
 * report and which do not count time spent waiting for a core.
 */
import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { median } from './measure';
import { PYTHON, Runner, TORCH_ENV, torchArgs, torchAvailable } from './processes';
import type { WorkloadId } from './spec';

export const AGREEMENT = 0.15;

interface Rates {
  wall: number;
  cpu: number;
}

/** One epoch of the plain loop in its own process; its samples/s. */
async function plainEpoch(root: string, model: 'mlp' | 'cnn', limit: number): Promise<Rates> {
  const script = join(root, '..', 'compare', 'torch_epoch.py');
  const child = spawn(PYTHON, [script, `--model=${model}`, `--limit=${limit}`], { env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const line = out.split('\n').find((l) => l.startsWith('EPOCH '));
  if (code !== 0 || !line) throw new Error(`${script} --model=${model} failed (exit ${code}): ${err.trim().split('\n').slice(-1)[0]}`);
  const r = JSON.parse(line.slice(6)) as { samplesPerSecond: number; cpuSamplesPerSecond: number };
  return { wall: r.samplesPerSecond, cpu: r.cpuSamplesPerSecond };
}

/** Whether two rates agree within {@link AGREEMENT}, relative to the plain loop's. */
export function agrees(runner: number, plain: number): boolean {
  return Math.abs(runner / plain - 1) <= AGREEMENT;
}

const pct = (runner: number, plain: number) => `${runner >= plain ? '+' : ''}${(100 * (runner / plain - 1)).toFixed(1)} %`;

/** Runs the check, prints it, and returns whether every model agreed. */
export async function torchCheck(root: string, quick: boolean, reps = 3): Promise<boolean> {
  const missing = torchAvailable();
  if (missing) {
    console.log(`torch check: PyTorch ${missing}`);
    return false;
  }
  const limit = quick ? 12_800 : 60_000;
  const runner = new Runner('torch', PYTHON, torchArgs(quick ? ['--quick'] : []), root, TORCH_ENV);
  await runner.ready();
  const loaded = loadavg()[0] > cpus().length;
  console.log(`torch check: plain loop over ${limit.toLocaleString('en-US')} MNIST images vs the bench's runner, ${reps} interleaved runs each; load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores`);
  console.log(`runner: ${String(runner.info?.describe ?? 'no INFO line')}`);
  let ok = true;
  for (const [model, id] of [['mlp', 'mlp-train'], ['cnn', 'cnn-train']] as const satisfies ReadonlyArray<readonly ['mlp' | 'cnn', WorkloadId]>) {
    const plain: Rates[] = [];
    const bench: Rates[] = [];
    for (let i = 0; i < reps; i++) {
      plain.push(await plainEpoch(root, model, limit));
      const cell = await runner.run(id);
      if (!('median' in cell)) throw new Error(`the torch runner skipped ${id}: ${cell.skipped}`);
      bench.push({ wall: cell.median, cpu: cell.cpuMedian ?? Number.NaN });
    }
    const m = (xs: Rates[], k: keyof Rates) => median(xs.map((x) => x[k]));
    const [pw, bw, pc, bc] = [m(plain, 'wall'), m(bench, 'wall'), m(plain, 'cpu'), m(bench, 'cpu')];
    const verdict = loaded ? agrees(bc, pc) : agrees(bw, pw);
    ok &&= verdict;
    const r = (x: number) => Math.round(x).toLocaleString('en-US');
    console.log(`${id}: plain loop ${r(pw)} samples/s, runner ${r(bw)} (${pct(bw, pw)}); per CPU second: plain ${r(pc)}, runner ${r(bc)} (${pct(bc, pc)}) → ${verdict ? 'agree' : 'DISAGREE'} within ${100 * AGREEMENT} % (${loaded ? 'CPU time: the machine is loaded' : 'wall clock'})`);
  }
  runner.close();
  return ok;
}
