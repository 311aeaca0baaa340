/**
 * trainkit's side of the table (run as a child process by main.ts). With
 * TRAINKIT_KERNELS=js it measures the JavaScript kernels, the fallback where WebAssembly
 * SIMD is unavailable; with --threads=N it starts the opt-in thread pool first.
 */
import { type Optimizer, parameterRefs } from '@trainkit/core';
import { Module, Parameter, manualSeed, mnistCnn, mnistMlp } from '@trainkit/nn';
import { resnet, vitTiny } from '@trainkit/models';
import { adam, adamw } from '@trainkit/optim-adam';
import { momentum } from '@trainkit/optim-momentum';
import { Rng, Tensor, getKernelBackend, getThreads, matmul, noGrad } from '@trainkit/tensor';
import { startThreadPool } from '@trainkit/tensor/node';
import { augmentWorkload } from '../augment';
import { benchBatch as batch, trainStep } from '../trainStep';
import { ADAM, ADAMW, BATCH, INFER_BATCH, MATMUL_N, MOMENTUM, OPT_PARAMS, ZOO, lcg } from '../spec';
import { type Workloads, serve } from './serve';

class OneParameter extends Module {
  readonly w: Parameter;
  constructor(values: Float32Array) {
    super();
    this.w = new Parameter(values, [values.length]);
  }
  forward(x: Tensor): Tensor {
    return x;
  }
}

/** One optimizer step on a 10M-value parameter, given as the Trainer gives it (`parameterRefs`: the optimizer may move it into resident memory on the first step). */
function optimizerStep(opt: Optimizer): () => void {
  const rng = new Rng(5);
  const model = new OneParameter(rng.fillNormal(new Float32Array(OPT_PARAMS)));
  model.w.grad = rng.fillNormal(new Float32Array(OPT_PARAMS), 0, 0.01);
  return () => opt.step(parameterRefs(model));
}

const workloads: Workloads = {
  'mlp-train': () => (manualSeed(0), { once: trainStep(mnistMlp(), adam({ lr: ADAM.lr })), units: BATCH }),
  'cnn-train': () => (manualSeed(0), { once: trainStep(mnistCnn(), adam({ lr: ADAM.lr })), units: BATCH }),
  'cnn-infer': () => {
    manualSeed(0);
    const model = mnistCnn().eval();
    const x = batch(7, INFER_BATCH).x;
    return { once: () => void noGrad(() => model.call(x)), units: INFER_BATCH };
  },
  'resnet8-train': () => (manualSeed(0), { once: trainStep(resnet({ ...ZOO.resnet8 }), momentum(MOMENTUM)), units: BATCH }),
  'vit-train': () => (manualSeed(0), { once: trainStep(vitTiny({ ...ZOO.vit }), adamw(ADAMW)), units: BATCH }),
  'adam-10m': () => ({ once: optimizerStep(adam({ lr: ADAM.lr })), units: OPT_PARAMS }),
  'momentum-10m': () => ({ once: optimizerStep(momentum({ lr: MOMENTUM.lr, momentum: MOMENTUM.momentum })), units: OPT_PARAMS }),
  'matmul-1024': () => {
    const r = lcg(9);
    const a = new Tensor(Float32Array.from({ length: MATMUL_N * MATMUL_N }, r), [MATMUL_N, MATMUL_N]);
    const b = new Tensor(Float32Array.from({ length: MATMUL_N * MATMUL_N }, r), [MATMUL_N, MATMUL_N]);
    return { once: () => void matmul(a, b), units: (2 * MATMUL_N ** 3) / 1e9 };
  },
  'augment-28': () => {
    const w = augmentWorkload([1, 28, 28]);
    return { once: w.once, units: w.unitsPerCall };
  },
  'augment-32': () => {
    const w = augmentWorkload([3, 32, 32]);
    return { once: w.once, units: w.unitsPerCall };
  },
};

const threads = Number(process.argv.find((a) => a.startsWith('--threads='))?.slice(10) ?? 1);
if (threads > 1) await startThreadPool(threads);
console.error(`trainkit runner: ${getKernelBackend()} kernels, ${getThreads()} thread(s)`);
await serve(workloads);
