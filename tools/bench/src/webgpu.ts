/**
 * WebGPU training throughput and accuracy: trainkit's GpuTrainingSession against TF.js's webgpu
 * backend on the same adapter in the same process (Dawn through the `webgpu` package), with
 * trainkit's CPU kernels as a reference, for the MLP (784-256-10) and the reference CNN, Adam,
 * batch 64. Then the reference CNN trained on the GPU and on the CPU from the same initial
 * weights over the same batches, and both test accuracies. Writes results/webgpu.md and .jsonl.
 *
 * Run (Dawn needs a Vulkan driver; here SwiftShader's, shipped with Debian's Chromium):
 *   LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json \
 *     node --conditions=@trainkit/source --import tsx tools/bench/src/webgpu.ts [--quick]
 *
 * On a real GPU, `--gpu` times runs of at least a second each (the step count per run is found
 * from the warm-up) instead of SwiftShader's few steps; `--mnist-dir DIR` reads the MNIST IDX
 * files from DIR; `--out-dir DIR` and `--name NAME` choose where the table goes (default
 * results/webgpu.md); `--workloads mlp,cnn` runs only those rows. tools/bench/device/ says how
 * to pack all of it for a machine without npm.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Optimizer, parameterRefs } from '@trainkit/core';
import { loadMnist } from '@trainkit/data/node';
import { type Module, mnistCnn, mnistMlp } from '@trainkit/nn';
import { resnet, vitTiny } from '@trainkit/models';
import { adam, adamw } from '@trainkit/optim-adam';
import { momentum } from '@trainkit/optim-momentum';
import { Rng, Tensor, crossEntropy, noGrad } from '@trainkit/tensor';
import { GpuTensor, GpuTrainingSession, matmul, requestGpu, useWebGpu } from '@trainkit/webgpu';
import { ADAM, ADAMW, BATCH, MOMENTUM, ZOO } from './spec';
import { tfjsWebgpu } from './webgpuTfjs';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    /** One short pass through every path, to check the script; writes nothing. */
    smoke: { type: 'boolean', default: false },
    gpu: { type: 'boolean', default: false },
    'mnist-dir': { type: 'string' },
    'out-dir': { type: 'string' },
    name: { type: 'string', default: 'webgpu' },
    /** Comma-separated workloads to run (mlp, cnn, resnet8, vit); default all. */
    workloads: { type: 'string', default: 'mlp,cnn,resnet8,vit' },
  },
});
const { quick, smoke } = args;
/** A real GPU: runs timed by duration (at least MIN_RUN_MS each), five of them. */
const realGpu = args.gpu;
const MIN_RUN_MS = 1000;
const RESULTS = args['out-dir'] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'results');
mkdirSync(RESULTS, { recursive: true }); // before the run, so a path that cannot be made fails at once

const gpu = await requestGpu();
useWebGpu(gpu); // device tensors (the own-loop column) on the same device
const dir = args['mnist-dir'];
const train = await loadMnist({ split: 'train', limit: smoke ? 128 : quick ? 640 : 1920, dir });
const test = await loadMnist({ split: 'test', limit: smoke ? 100 : quick ? 200 : 1000, dir });
// SwiftShader runs WebGPU on the CPU at a few dozen MFLOPS: few steps per run, three runs each
const RUNS = smoke ? 1 : realGpu ? 5 : 3;
const CNN_STEPS = smoke ? 1 : 3;
/** ResNet-8 and ViT-tiny: 2 steps per run (a ResNet-8 step of 64 images is seconds on SwiftShader). */
const ZOO_STEPS = smoke ? 1 : 2;
const batchAt = (i: number) => {
  const n = train.y.length / BATCH;
  const k = i % n;
  return { x: train.x.subarray(k * BATCH * 784, (k + 1) * BATCH * 784), y: train.y.subarray(k * BATCH, (k + 1) * BATCH) };
};

/** The median, smallest and largest of some timings. */
interface Spread { median: number; min: number; max: number }
const spread = (runs: number[]): Spread => {
  const s = [...runs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1] };
};

/** Samples per second of `steps` calls of `step` after `warmup` calls, ended by `sync`, over `runCount` runs. */
async function throughput(step: (i: number) => void | Promise<void>, sync: () => Promise<unknown>, steps: number, warmup: number, runCount: number, timed = false): Promise<Spread & { steps: number }> {
  for (let i = 0; i < warmup; i++) await step(i);
  await sync();
  // timed: double the steps until one measured run of them (read-back included) lasts MIN_RUN_MS
  while (timed) {
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) await step(i);
    await sync();
    if (performance.now() - t0 >= MIN_RUN_MS) break;
    steps *= 2;
  }
  const runs: number[] = [];
  for (let r = 0; r < runCount; r++) {
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) await step(i);
    await sync();
    runs.push((steps * BATCH) / ((performance.now() - t0) / 1000));
  }
  return { ...spread(runs), steps };
}

const cpuStep = (model: Module, opt: Optimizer) => (i: number) => {
  const { x, y } = batchAt(i);
  const loss = crossEntropy(model.call(new Tensor(x, [BATCH, 1, 28, 28])), y);
  model.zeroGrad();
  loss.backward();
  opt.step(parameterRefs(model));
};

/** The user's own loop on device tensors (`await model.to('webgpu')`): each op its own submission; `sync` reads the last loss. */
async function eagerLoop(model: Module, opt: Optimizer): Promise<{ step: (i: number) => Promise<void>; sync: () => Promise<unknown> }> {
  await model.to('webgpu');
  let last: Tensor | null = null;
  return {
    step: async (i) => {
      const { x, y } = batchAt(i);
      last = crossEntropy(model.call(await new Tensor(x, [BATCH, 1, 28, 28]).to('webgpu')), y);
      model.zeroGrad();
      last.backward();
      opt.step(parameterRefs(model));
    },
    sync: async () => last?.read(),
  };
}

const rows: Array<{ workload: string; steps: string; trainkitWebgpu: Spread; trainkitEager: Spread; tfjsWebgpu: Spread; trainkitCpu: Spread }> = [];
const tf = await tfjsWebgpu(gpu.gpu);
type Workload = { id: string; make: () => [Module, () => Optimizer]; steps: number; cpuSteps: number; tfjs: (batchAt: (i: number) => { x: Float32Array; y: Int32Array }) => { step: (i: number) => void; sync: () => Promise<unknown> } };
const workloads: Workload[] = [
  { id: 'mlp-train', make: () => [mnistMlp({ rng: new Rng(1) }), () => adam(ADAM)], steps: smoke ? 1 : quick ? 5 : 10, cpuSteps: 20, tfjs: (b) => tf.trainStep('mlp', b) },
  { id: 'cnn-train', make: () => [mnistCnn({ rng: new Rng(1) }), () => adam(ADAM)], steps: CNN_STEPS, cpuSteps: 20, tfjs: (b) => tf.trainStep('cnn', b) },
  { id: 'resnet8-train (momentum)', make: () => [resnet({ ...ZOO.resnet8, rng: new Rng(1) }), () => momentum(MOMENTUM)], steps: ZOO_STEPS, cpuSteps: 5, tfjs: (b) => tf.trainStep('resnet8', b) },
  { id: 'vit-train (AdamW; TF.js: Adam)', make: () => [vitTiny({ ...ZOO.vit, rng: new Rng(1) }), () => adamw(ADAMW)], steps: ZOO_STEPS, cpuSteps: 5, tfjs: (b) => tf.trainStep('vit', b) },
];
const chosen = args.workloads.split(',').map((w) => w.trim());
const known = workloads.map((w) => w.id.split('-')[0]);
const unknown = chosen.filter((w) => !known.includes(w));
if (unknown.length > 0) throw new Error(`webgpu bench: --workloads ${unknown.join(', ')}: not among ${known.join(', ')}`);
for (const w of workloads.filter((w) => chosen.includes(w.id.split('-')[0]))) {
  const [model, opt] = w.make();
  const session = new GpuTrainingSession(gpu, model, opt(), { inputShape: [1, 28, 28] });
  const trainkitWebgpu = await throughput((i) => session.step(batchAt(i).x, batchAt(i).y), () => session.metrics(), w.steps, realGpu ? 3 : 1, RUNS, realGpu);
  session.dispose();
  const [eagerModel, eagerOpt] = w.make();
  const eager = await eagerLoop(eagerModel, eagerOpt());
  const trainkitEager = await throughput(eager.step, eager.sync, w.steps, realGpu ? 3 : 1, RUNS, realGpu);
  await eagerModel.to('cpu');
  const tfStep = w.tfjs(batchAt);
  const tfjsWebgpu = await throughput(tfStep.step, tfStep.sync, w.steps, realGpu ? 3 : 1, RUNS, realGpu);
  const [cpuModel, cpuOpt] = w.make();
  const trainkitCpu = await throughput(cpuStep(cpuModel, cpuOpt()), async () => undefined, w.cpuSteps, 2, 3);
  rows.push({ workload: w.id, steps: realGpu ? `${trainkitWebgpu.steps} / ${tfjsWebgpu.steps}` : String(w.steps), trainkitWebgpu, trainkitEager, tfjsWebgpu, trainkitCpu });
  console.error(w.id, rows.at(-1));
}

// the two GEMM kernels on the GEMMs of one training step (the MLP's first layer, the CNN's second convolution per image)
const GEMM_REPEATS = smoke ? 1 : 5;
const gemmShapes = [{ name: 'mlp fc1 forward', M: 64, N: 256, K: 784 }, { name: 'cnn conv2 forward (per image)', M: 16, N: 196, K: 200 }];
const gemmRows: Array<{ shape: string; direct: Spread; tiled: Spread }> = [];
const chosenGemm = gpu.gemm;
for (const { name, M, N, K } of gemmShapes) {
  const rng = new Rng(3);
  const a = GpuTensor.from(gpu, Float32Array.from({ length: M * K }, () => rng.uniform(-1, 1)), [M, K]);
  const b = GpuTensor.from(gpu, Float32Array.from({ length: K * N }, () => rng.uniform(-1, 1)), [K, N]);
  const ms: Record<'direct' | 'tiled', number[]> = { direct: [], tiled: [] };
  for (let r = 0; r < GEMM_REPEATS + 1; r++) {
    for (const kernel of ['direct', 'tiled'] as const) {
      gpu.gemm = kernel;
      const t0 = performance.now();
      const c = matmul(a, b);
      await c.data();
      if (r > 0) ms[kernel].push(performance.now() - t0); // the first round compiles the pipelines
      c.dispose();
    }
  }
  gemmRows.push({ shape: `${name}: ${M}×${K} · ${K}×${N}`, direct: spread(ms.direct), tiled: spread(ms.tiled) });
  console.error('gemm', gemmRows.at(-1));
}
gpu.gemm = chosenGemm;

/** Test accuracy of a CPU module on the test slice. */
function accuracy(model: Module): number {
  const logits = noGrad(() => model.call(new Tensor(test.x, [test.y.length, 1, 28, 28])));
  let hits = 0;
  test.y.forEach((label, r) => {
    const row = logits.data.subarray(r * 10, r * 10 + 10);
    hits += +(row.indexOf(Math.max(...row)) === label);
  });
  return hits / test.y.length;
}

// the reference CNN, one pass over the training slice in file order, from the same initial weights
const steps = train.y.length / BATCH;
const onCpu = mnistCnn({ rng: new Rng(2) });
const cpuTrain = cpuStep(onCpu, adam(ADAM));
for (let i = 0; i < steps; i++) cpuTrain(i);
const onGpu = mnistCnn({ rng: new Rng(2) });
const session = new GpuTrainingSession(gpu, onGpu, adam(ADAM), { inputShape: [1, 28, 28] });
for (let i = 0; i < steps; i++) session.step(batchAt(i).x, batchAt(i).y);
await session.syncToCpu();
const learned = { samples: train.y.length, testSamples: test.y.length, cpuAccuracy: accuracy(onCpu), webgpuAccuracy: accuracy(onGpu) };
console.error('cnn accuracy', learned);

const f = (v: number) => v.toFixed(v < 100 ? 1 : 0);
/** A median with its range, e.g. `38.0 (37.1–39.2)`. */
const fs = (s: Spread) => `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
const md = [
  `# WebGPU training throughput (${gpu.adapterName}, Node ${process.version}${quick ? ', --quick' : ''})`,
  '',
  realGpu
    ? `Samples/s, batch 64, after three warm-up steps: median (smallest–largest) of ${RUNS} timed runs, each of the steps in the table's column (trainkit / TF.js), as many as last at least ${MIN_RUN_MS / 1000} s; the CPU column: 3 runs of 20 steps (MLP, CNN) or 5 (ResNet-8, ViT-tiny).`
    : `Samples/s, batch 64, after one warm-up step: median (smallest–largest) of ${RUNS} timed runs of the steps in the table's column; the CPU column: 3 runs of 20 steps (MLP, CNN) or 5 (ResNet-8, ViT-tiny).`,
  'MLP and CNN with Adam; ResNet-8 (width 16) with momentum; ViT-tiny (patch 4, dim 64, depth 4) with AdamW (TF.js: Adam, it has no AdamW). TF.js\'s ResNet-8 normalizes with batch moments and does not update running statistics (C values per layer).',
  'All WebGPU columns run on the same adapter in the same process. "trainkit webgpu" is the Trainer\'s fused step (`GpuTrainingSession`: one submission per step); "own loop" is a user\'s loop on device tensors (`await model.to(\'webgpu\')`, then forward, `backward()` and `optimizer.step` as on the CPU: the dispatches of each op built anew every step, submitted in batches);',
  `the CPU column is trainkit on this machine's CPU (${cpus()[0]?.model ?? 'unknown'}; default kernels, 1 thread). Written by \`tools/bench/src/webgpu.ts\`.`,
  '',
  '| workload | steps per run | trainkit webgpu | trainkit webgpu, own loop | TF.js webgpu | ratio (trainkit / TF.js) | own loop / TF.js | trainkit CPU | webgpu / CPU |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map((r) => `| ${r.workload} | ${r.steps} | ${fs(r.trainkitWebgpu)} | ${fs(r.trainkitEager)} | ${fs(r.tfjsWebgpu)} | ${(r.trainkitWebgpu.median / r.tfjsWebgpu.median).toFixed(2)}× | ${(r.trainkitEager.median / r.tfjsWebgpu.median).toFixed(2)}× | ${fs(r.trainkitCpu)} | ${(r.trainkitWebgpu.median / r.trainkitCpu.median).toFixed(3)}× |`),
  '',
  '## The two GEMM kernels on this adapter',
  '',
  `Milliseconds per \`matmul\` (submit and read back), median (smallest–largest) of ${GEMM_REPEATS} runs after one that compiles the pipelines.`,
  '',
  '| GEMM | direct (barrier-free) | tiled (workgroup memory) | tiled / direct |',
  '| --- | ---: | ---: | ---: |',
  ...gemmRows.map((r) => `| ${r.shape} | ${fs(r.direct)} | ${fs(r.tiled)} | ${(r.tiled.median / r.direct.median).toFixed(2)}× |`),
  '',
  `## Learns the same: the reference CNN, one pass over a ${learned.samples}-digit subset of the MNIST training set (not a full epoch; same initial weights and batches)`,
  '',
  '| device | test accuracy (' + learned.testSamples + ' digits) |',
  '| --- | ---: |',
  `| CPU | ${(100 * learned.cpuAccuracy).toFixed(1)} % |`,
  `| WebGPU | ${(100 * learned.webgpuAccuracy).toFixed(1)} % |`,
  '',
];
if (smoke) {
  console.log(md.join('\n'));
  process.exit(0);
}
writeFileSync(join(RESULTS, `${args.name}.md`), md.join('\n'));
writeFileSync(join(RESULTS, `${args.name}.jsonl`), [...rows.map((r) => JSON.stringify({ adapter: gpu.adapterName, quick, ...r })), ...gemmRows.map((r) => JSON.stringify({ adapter: gpu.adapterName, quick, gemmMs: r })), JSON.stringify({ adapter: gpu.adapterName, quick, cnnOnePass: learned })].join('\n') + '\n');
console.log(md.join('\n'));
process.exit(0);
