/**
 * TF.js 4.22 on the same workloads: `--backend wasm` (XNNPACK kernels, SIMD, 1 thread) or
 * `--backend cpu` (plain JavaScript). Models are written with tfjs-core ops, NHWC as TF.js
 * expects, trained with tf.train.adam exactly like the trainkit models.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
// the union package registers the gradients (tfjs-core alone has none) and the cpu backend
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { ADAM, BATCH, INFER_BATCH, MATMUL_N, MOMENTUM, OPT_PARAMS, type WorkloadId, lcg } from '../spec';
import { type Workloads, serve } from './serve';

const quick = process.argv.includes('--quick');
const backend = process.argv.find((a) => a.startsWith('--backend='))?.slice(10) ?? 'wasm';

if (backend === 'wasm') {
  const require = createRequire(import.meta.url);
  setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
  setThreadsCount(1);
}
await tf.setBackend(backend);
await tf.ready();
console.error(`tfjs runner: backend ${tf.getBackend()}${backend === 'wasm' ? `, SIMD ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT')}` : ''}`);

/** Calls that take longer than this per call are skipped in --quick mode (TF.js cpu is that slow). */
const SLOW_IN_QUICK: Partial<Record<string, WorkloadId[]>> = { cpu: ['cnn-train', 'adam-10m', 'momentum-10m'] };

function data(seed: number, n: number, shape: number[]): { x: tf.Tensor; y: tf.Tensor } {
  const r = lcg(seed);
  const labels = Int32Array.from({ length: n }, () => Math.floor(r() * 10));
  return { x: tf.tensor(Float32Array.from({ length: n * 784 }, r), shape), y: tf.oneHot(tf.tensor1d(labels, 'int32'), 10) };
}

const init = (shape: number[], fanIn: number) => tf.variable(tf.randomUniform(shape, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn), 'float32', 1));

function mlp(x: tf.Tensor): tf.Tensor {
  return tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x as tf.Tensor2D, mlpW.w1), mlpW.b1)), mlpW.w2), mlpW.b2);
}
const mlpW = { w1: init([784, 256], 784), b1: init([256], 784), w2: init([256, 10], 256), b2: init([10], 256) };

const cnnW = { c1: init([5, 5, 1, 8], 25), b1: init([8], 25), c2: init([5, 5, 8, 16], 200), b2: init([16], 200), w: init([784, 10], 784), b: init([10], 784) };
function cnn(x: tf.Tensor): tf.Tensor {
  const n = x.shape[0];
  let h = tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, cnnW.c1 as tf.Tensor4D, 1, 'same'), cnnW.b1));
  h = tf.maxPool(h as tf.Tensor4D, 2, 2, 'valid');
  h = tf.relu(tf.add(tf.conv2d(h as tf.Tensor4D, cnnW.c2 as tf.Tensor4D, 1, 'same'), cnnW.b2));
  h = tf.maxPool(h as tf.Tensor4D, 2, 2, 'valid');
  return tf.add(tf.matMul(tf.reshape(h, [n, 784]), cnnW.w), cnnW.b);
}

function trainStep(model: (x: tf.Tensor) => tf.Tensor, shape: number[]): () => void {
  const batches = [1, 2, 3, 4].map((s) => data(s, BATCH, shape));
  const opt = tf.train.adam(ADAM.lr, ADAM.beta1, ADAM.beta2, ADAM.eps);
  let i = 0;
  return () => {
    const b = batches[i++ % batches.length];
    const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(b.y, model(b.x)), true);
    loss?.dataSync();
    loss?.dispose();
  };
}

/**
 * One optimizer step on a 10M-value variable. Both backends run their kernels synchronously,
 * so the update is done when `applyGradients` returns: nothing is read back, as in the other
 * columns (a `w.dataSync()` here copied 40 MB out of the backend each step and cut TF.js's
 * rate about 3× for momentum and 1.7–3× for Adam).
 */
function optimizerStep(opt: tf.Optimizer, name: string): () => void {
  tf.variable(tf.randomNormal([OPT_PARAMS], 0, 1, 'float32', 5), true, name);
  const g = tf.randomNormal([OPT_PARAMS], 0, 0.01, 'float32', 6);
  return () => opt.applyGradients({ [name]: g });
}

const workloads: Workloads = {
  'mlp-train': () => ({ once: trainStep(mlp, [BATCH, 784]), units: BATCH }),
  'cnn-train': () => ({ once: trainStep(cnn, [BATCH, 28, 28, 1]), units: BATCH }),
  'cnn-infer': () => {
    const x = data(7, INFER_BATCH, [INFER_BATCH, 28, 28, 1]).x;
    // the predictions are read, as a user reads them; the tidy returns nothing (see matmul-1024-tidy)
    return { once: () => tf.tidy(() => void cnn(x).dataSync()), units: INFER_BATCH };
  },
  'adam-10m': () => ({ once: optimizerStep(tf.train.adam(ADAM.lr, ADAM.beta1, ADAM.beta2, ADAM.eps), 'adam'), units: OPT_PARAMS }),
  'momentum-10m': () => ({ once: optimizerStep(tf.train.momentum(MOMENTUM.lr, MOMENTUM.momentum), 'momentum'), units: OPT_PARAMS }),
  // the product is freed, as inside a training step, and not read back (neither trainkit nor
  // PyTorch copies its product anywhere; a 4 MB dataSync cost TF.js about 5 % here)
  'matmul-1024': () => {
    const [a, b] = matmulInputs();
    return { once: () => tf.matMul(a, b).dispose(), units: (2 * MATMUL_N ** 3) / 1e9 };
  },
  // returning the Float32Array from tf.tidy makes tfjs-core walk it for tensors (for…in over 1M
  // indices, each value added to a Set): 5–10× the matmul's own time
  'matmul-1024-tidy': () => {
    const [a, b] = matmulInputs();
    return { once: () => void tf.tidy(() => tf.matMul(a, b).dataSync()), units: (2 * MATMUL_N ** 3) / 1e9 };
  },
};

function matmulInputs(): [tf.Tensor2D, tf.Tensor2D] {
  return [tf.randomUniform([MATMUL_N, MATMUL_N], 0, 1, 'float32', 9), tf.randomUniform([MATMUL_N, MATMUL_N], 0, 1, 'float32', 10)];
}

await serve(workloads, (id) => {
  if (id === 'matmul-1024-tidy' && backend !== 'wasm') return 'measured for the wasm backend only';
  return quick && SLOW_IN_QUICK[backend]?.includes(id) ? 'too slow for --quick' : null;
});
