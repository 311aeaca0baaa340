/**
 * One learning run of the model zoo's comparison with PyTorch: one setup, one seed, one framework
 * per invocation, appended to tools/compare/results/models.jsonl (modelsTable.ts renders it).
 *
 *   flock /tmp/h/heavy.lock nice -n 5 node --conditions=@trainkit/source --import tsx \
 *     tools/compare/src/modelsTrain.ts --setup resnet8-fashion --seed 0 --framework trainkit|torch
 *
 * Both frameworks start from trainkit's initial weights for the seed (`manualSeed(seed)`, then the
 * builder); for PyTorch they are written as safetensors and loaded strictly into the definition
 * in tools/compare/torch_models.py. Both train on the images trainkit's loaders give (written
 * once to a cache folder for PyTorch) with the recipe of modelsSetup.ts, and are tested on the
 * full test split. The shuffle order and augmentation draws come from each framework's own
 * generator seeded with the seed. With --steps N the run stops after N steps and only prints
 * samples/s (a throughput estimate, appended to models.throughput.jsonl). With --chunk N an invocation trains at
 * most N more steps and checkpoints the run (in the OS temp folder); invoke it again to go on,
 * until the last chunk evaluates and appends. The seconds are summed over the chunks.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { checkpoint } from '@trainkit/checkpoint/node';
import { Trainer } from '@trainkit/core';
import { DataLoader, type TensorDataset } from '@trainkit/data';
import { type Module, manualSeed } from '@trainkit/nn';
import { type TensorInput, serializeSafetensors } from '@trainkit/safetensors';
import { getKernelBackend } from '@trainkit/tensor';
import { SETUPS, type SetupName, buildModel, isSetupName, loadSplit } from './modelsSetup';

const here = dirname(fileURLToPath(import.meta.url));
const RESULTS = join(here, '..', 'results', 'models.jsonl');
const THROUGHPUT = join(here, '..', 'results', 'models.throughput.jsonl');
const CACHE = join(tmpdir(), 'trainkit-compare-models');
const TORCH_ENV = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };

interface RunResult {
  steps: number;
  samples: number;
  seconds: number;
  samplesPerSecond: number;
  /** CPU seconds of the training process (user + system): on a shared machine, the rate per CPU second is the stable one. */
  cpuSeconds: number;
  cpuSamplesPerSecond: number;
  accuracy?: number;
}

function parse(): { setup: SetupName; seed: number; framework: 'trainkit' | 'torch'; steps: number; chunk: number } {
  const options = { setup: { type: 'string' }, seed: { type: 'string' }, framework: { type: 'string' }, steps: { type: 'string', default: '0' }, chunk: { type: 'string', default: '0' } } as const;
  const { values } = parseArgs({ options });
  const names = Object.keys(SETUPS).join(', ');
  if (!isSetupName(values.setup)) throw new Error(`modelsTrain: --setup must be one of ${names}, got ${String(values.setup)}`);
  const seed = Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`modelsTrain: --seed must be an integer ≥ 0, got ${String(values.seed)}`);
  if (values.framework !== 'trainkit' && values.framework !== 'torch') throw new Error(`modelsTrain: --framework must be trainkit or torch, got ${String(values.framework)}`);
  const steps = Number(values.steps);
  if (!Number.isInteger(steps) || steps < 0) throw new Error(`modelsTrain: --steps must be an integer ≥ 0, got ${values.steps}`);
  const chunk = Number(values.chunk);
  if (!Number.isInteger(chunk) || chunk < 0) throw new Error(`modelsTrain: --chunk must be an integer ≥ 0, got ${values.chunk}`);
  return { setup: values.setup, seed, framework: values.framework, steps, chunk };
}

/** Where an unfinished chunked run keeps its checkpoint and the seconds trained so far. */
function workDir(name: SetupName, seed: number, framework: string): string {
  return join(CACHE, 'runs', `${name}-seed${seed}-${framework}`);
}

interface Progress {
  step: number;
  seconds: number;
  cpuSeconds: number;
}

const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

function readProgress(dir: string): Progress {
  const path = join(dir, 'progress.json');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Progress) : { step: 0, seconds: 0, cpuSeconds: 0 };
}

/**
 * Trains `steps` steps for a throughput estimate, or the whole run; with `chunk` > 0 only up to
 * `chunk` more steps per invocation, checkpointed in the run's work folder (trainkit's own
 * checkpoint plugin and resume), so no invocation holds the machine for long. Null: unfinished.
 */
async function trainTrainkit(name: SetupName, model: Module, seed: number, steps: number, chunk: number): Promise<RunResult | null> {
  const s = SETUPS[name];
  const train = await loadSplit(name, 'train');
  const total = s.epochs * Math.ceil(train.length / s.batch);
  const dir = workDir(name, seed, 'trainkit');
  const before = chunk > 0 ? readProgress(dir) : { step: 0, seconds: 0, cpuSeconds: 0 };
  const plugins = chunk > 0 ? [...s.plugins(), checkpoint({ dir, everyNSteps: chunk })] : s.plugins();
  const trainer = new Trainer({ optimizer: s.optimizer(), plugins, seed });
  const maxSteps = steps > 0 ? steps : chunk > 0 ? Math.min(total, before.step + chunk) : total;
  const [t0, c0] = [performance.now(), cpuNow()];
  await trainer.fit(model, {
    train: new DataLoader(train, { batchSize: s.batch, shuffle: true }),
    epochs: s.epochs,
    maxSteps,
    ...(before.step > 0 ? { resume: 'latest' } : {}),
  });
  const now: Progress = { step: trainer.stateDict().step, seconds: before.seconds + (performance.now() - t0) / 1000, cpuSeconds: before.cpuSeconds + cpuNow() - c0 };
  const rates = (samples: number) => ({ samples, seconds: now.seconds, samplesPerSecond: samples / now.seconds, cpuSeconds: now.cpuSeconds, cpuSamplesPerSecond: samples / now.cpuSeconds });
  if (steps > 0) return { steps: now.step, ...rates(now.step * s.batch) };
  if (now.step < total) {
    writeFileSync(join(dir, 'progress.json'), JSON.stringify(now));
    console.log(`${name} seed ${seed} trainkit: step ${now.step} of ${total} after ${now.seconds.toFixed(0)} s (${now.cpuSeconds.toFixed(0)} CPU s); run again to continue`);
    return null;
  }
  const samples = s.epochs * train.length;
  const { accuracy } = await trainer.evaluate(model, new DataLoader(await loadSplit(name, 'test'), { batchSize: 500 }));
  rmSync(dir, { recursive: true, force: true });
  return { steps: now.step, ...rates(samples), accuracy };
}

/** The split as safetensors (x float32, y int64) in the cache folder, written on first use. */
async function cachedSplit(name: SetupName, split: 'train' | 'test'): Promise<string> {
  const path = join(CACHE, `${SETUPS[name].dataset}-${split}.safetensors`);
  if (existsSync(path)) return path;
  const d: TensorDataset = await loadSplit(name, split);
  mkdirSync(CACHE, { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, serializeSafetensors({ x: { shape: [d.length, ...d.sampleShape], data: d.x }, y: { dtype: 'I64', shape: [d.length], data: [...d.y] } }));
  execFileSync('mv', [tmp, path]);
  return path;
}

function stateFile(name: SetupName, model: Module, dir: string): string {
  const s = SETUPS[name];
  const state = Object.entries(model.stateDict()).map(([k, t]): [string, TensorInput] =>
    k.endsWith('num_batches_tracked') ? [k, { dtype: 'I64', shape: t.shape, data: [...t.data] }] : [k, { shape: t.shape, data: t.data }]);
  const path = join(dir, 'init.safetensors');
  writeFileSync(path, serializeSafetensors(state, { metadata: { builder: s.builder, options: JSON.stringify(s.options) } }));
  return path;
}

/** PyTorch's side, run by torch_models_train.py from trainkit's initial weights; chunked like trainTrainkit. */
async function trainTorch(name: SetupName, model: Module, seed: number, steps: number, chunk: number): Promise<(RunResult & { torch: string }) | null> {
  const [train, test] = [await cachedSplit(name, 'train'), await cachedSplit(name, 'test')];
  const dir = workDir(name, seed, 'torch');
  mkdirSync(dir, { recursive: true });
  const args = [join(here, '..', 'torch_models_train.py'), '--setup', name, '--seed', String(seed), '--init', stateFile(name, model, dir), '--train', train, '--test', test];
  args.push(...(steps > 0 ? ['--steps', String(steps)] : []), ...(chunk > 0 ? ['--chunk', String(chunk), '--state', join(dir, 'run.pt')] : []));
  const out = execFileSync('/usr/bin/python3', args, { encoding: 'utf8', env: TORCH_ENV, maxBuffer: 1 << 24 });
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  if (line === undefined) throw new Error(`torch_models_train.py printed no RESULT line:\n${out}`);
  const result = JSON.parse(line.slice(7)) as RunResult & { torch: string; total: number; unfinished?: boolean };
  if (result.unfinished) {
    console.log(`${name} seed ${seed} torch: step ${result.steps} of ${result.total} after ${result.seconds.toFixed(0)} s (${result.cpuSeconds.toFixed(0)} CPU s); run again to continue`);
    return null;
  }
  rmSync(dir, { recursive: true, force: true });
  return result;
}

const { setup, seed, framework, steps, chunk } = parse();
manualSeed(seed);
const model = buildModel(setup);
const result = framework === 'torch' ? await trainTorch(setup, model, seed, steps, chunk) : await trainTrainkit(setup, model, seed, steps, chunk);
if (result !== null) {
  const backend = framework === 'torch' ? `torch ${(result as { torch?: string }).torch ?? ''}, 1 thread` : `${getKernelBackend()} kernels, 1 thread`;
  const acc = result.accuracy === undefined ? '' : `, test accuracy ${(100 * result.accuracy).toFixed(2)}%`;
  console.log(`${setup} seed ${seed} ${framework} (${backend}): ${result.steps} steps, ${result.samplesPerSecond.toFixed(1)} samples/s (${result.cpuSamplesPerSecond.toFixed(1)} per CPU s), ${result.seconds.toFixed(1)} s${acc}`);
  // a finished run goes to models.jsonl; a throughput estimate (--steps) to models.throughput.jsonl
  mkdirSync(dirname(RESULTS), { recursive: true });
  const { accuracy, seconds, samplesPerSecond, cpuSeconds, cpuSamplesPerSecond } = result;
  const row = { date: new Date().toISOString(), setup, seed, framework, backend, accuracy, seconds, samplesPerSecond, cpuSeconds, cpuSamplesPerSecond, steps: result.steps };
  appendFileSync(steps === 0 ? RESULTS : THROUGHPUT, JSON.stringify(row) + '\n');
}
