/**
 * TF.js's webgpu backend on a given `GPU` object (Dawn in Node): the MLP and the reference CNN
 * written with tfjs-core ops (as in runners/tfjs.ts), trained with tf.train.adam; ResNet-8 and
 * ViT-tiny (spec.ts ZOO, the same layers as @trainkit/models) written the way a TF.js user
 * writes them in tfjs-core ops, trained with tf.train.momentum and tf.train.adam (TF.js has no
 * AdamW; decoupled decay costs one element-wise pass). BatchNorm normalizes with the batch's
 * moments; its running statistics (C values per layer) are not updated.
 */
import { ADAM, BATCH, MOMENTUM, ZOO } from './spec';

type Batch = { x: Float32Array; y: Int32Array };

export async function tfjsWebgpu(gpu: unknown) {
  // TF.js looks for navigator.gpu when the backend starts (Node 20 has no navigator)
  Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent: 'node' }, configurable: true });
  const tf = await import('@tensorflow/tfjs');
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) throw new Error('TF.js could not start its webgpu backend');
  await tf.ready();
  const init = (shape: number[], fanIn: number) => tf.variable(tf.randomUniform(shape, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn), 'float32', 1));
  const mlpW = { w1: init([784, 256], 784), b1: init([256], 784), w2: init([256, 10], 256), b2: init([10], 256) };
  const cnnW = { c1: init([5, 5, 1, 8], 25), b1: init([8], 25), c2: init([5, 5, 8, 16], 200), b2: init([16], 200), w: init([784, 10], 784), b: init([10], 784) };
  const models = {
    mlp: (x: import('@tensorflow/tfjs').Tensor) => tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(tf.reshape(x, [-1, 784]) as import('@tensorflow/tfjs').Tensor2D, mlpW.w1), mlpW.b1)), mlpW.w2), mlpW.b2),
    cnn: (x: import('@tensorflow/tfjs').Tensor) => {
      let h = tf.relu(tf.add(tf.conv2d(x as import('@tensorflow/tfjs').Tensor4D, cnnW.c1 as import('@tensorflow/tfjs').Tensor4D, 1, 'same'), cnnW.b1));
      h = tf.maxPool(h as import('@tensorflow/tfjs').Tensor4D, 2, 2, 'valid');
      h = tf.relu(tf.add(tf.conv2d(h as import('@tensorflow/tfjs').Tensor4D, cnnW.c2 as import('@tensorflow/tfjs').Tensor4D, 1, 'same'), cnnW.b2));
      h = tf.maxPool(h as import('@tensorflow/tfjs').Tensor4D, 2, 2, 'valid');
      return tf.add(tf.matMul(tf.reshape(h, [-1, 784]), cnnW.w), cnnW.b);
    },
  };
  const zoo = { ...models, ...tfjsZoo(tf, init) };
  return {
    /**
     * One training step per call on batch i (uploaded each step, as trainkit's session does): the MLP
     * and CNN with Adam, ResNet-8 with momentum, ViT-tiny with Adam; `sync` waits for the last loss.
     */
    trainStep(model: 'mlp' | 'cnn' | 'resnet8' | 'vit', batchAt: (i: number) => Batch) {
      const opt = model === 'resnet8' ? tf.train.momentum(MOMENTUM.lr, MOMENTUM.momentum) : tf.train.adam(ADAM.lr, ADAM.beta1, ADAM.beta2, ADAM.eps);
      let last: import('@tensorflow/tfjs').Scalar | null = null;
      return {
        step: (i: number) => {
          const b = batchAt(i);
          last?.dispose();
          last = tf.tidy(() => {
            const x = tf.tensor4d(b.x, [BATCH, 28, 28, 1]);
            const y = tf.oneHot(tf.tensor1d(b.y, 'int32'), 10);
            return opt.minimize(() => tf.losses.softmaxCrossEntropy(y, zoo[model](x)) as import('@tensorflow/tfjs').Scalar, true) as import('@tensorflow/tfjs').Scalar;
          });
        },
        sync: async () => last?.data(),
      };
    },
  };
}

type Tf = typeof import('@tensorflow/tfjs');
type T = import('@tensorflow/tfjs').Tensor;
type T4 = import('@tensorflow/tfjs').Tensor4D;

/** ResNet-8 (width 16) and ViT-tiny (patch 4, dim 64, depth 4, 4 heads) as forward functions on NHWC images [N, 28, 28, 1]. */
function tfjsZoo(tf: Tf, init: (shape: number[], fanIn: number) => import('@tensorflow/tfjs').Variable) {
  const ones = (n: number) => tf.variable(tf.ones([n]));
  const zeros = (n: number) => tf.variable(tf.zeros([n]));
  const bn = (c: number) => ({ g: ones(c), b: zeros(c) });
  const batchNorm = (x: T, p: ReturnType<typeof bn>) => {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    return tf.batchNorm(x, mean, variance, p.b, p.g, 1e-5);
  };
  const conv = (x: T, w: T, stride: number, pad: number) => tf.conv2d(x as T4, w as T4, stride, pad);
  // ResNet-8: a 3×3 stem, one BasicBlock per stage (16, 32, 64 channels; stages 2 and 3 halve the image with a 1×1 projection), pooling, fc
  const { width: w0, numClasses } = ZOO.resnet8;
  const block = (cin: number, cout: number, stride: number) => ({
    stride, c1: init([3, 3, cin, cout], 9 * cin), b1: bn(cout), c2: init([3, 3, cout, cout], 9 * cout), b2: bn(cout),
    down: stride !== 1 || cin !== cout ? { c: init([1, 1, cin, cout], cin), b: bn(cout) } : null,
  });
  const res = { stem: init([3, 3, 1, w0], 9), bn: bn(w0), blocks: [block(w0, w0, 1), block(w0, 2 * w0, 2), block(2 * w0, 4 * w0, 2)], fcW: init([4 * w0, numClasses], 4 * w0), fcB: init([numClasses], 4 * w0) };
  const resnet8 = (x: T) => {
    let h = tf.relu(batchNorm(conv(x, res.stem, 1, 1), res.bn));
    for (const b of res.blocks) {
      const main = batchNorm(conv(tf.relu(batchNorm(conv(h, b.c1, b.stride, 1), b.b1)), b.c2, 1, 1), b.b2);
      h = tf.relu(tf.add(main, b.down === null ? h : batchNorm(conv(h, b.down.c, b.stride, 0), b.down.b)));
    }
    return tf.add(tf.matMul(tf.mean(h, [1, 2]) as import('@tensorflow/tfjs').Tensor2D, res.fcW), res.fcB);
  };
  // ViT-tiny: patch embedding, class token, position embedding, pre-norm blocks (attention, GELU MLP), final LayerNorm, head on the class token
  const { patchSize: P, dim: E, depth, heads: H } = ZOO.vit;
  const T_ = (28 / P) ** 2 + 1;
  const hd = E / H;
  const vitW = {
    patch: init([P, P, 1, E], P * P), patchB: zeros(E), cls: tf.variable(tf.zeros([1, 1, E])), pos: tf.variable(tf.randomNormal([1, T_, E], 0, 0.02, 'float32', 2)),
    blocks: Array.from({ length: depth }, () => ({ n1: bn(E), qkv: init([E, 3 * E], E), qkvB: zeros(3 * E), out: init([E, E], E), outB: zeros(E), n2: bn(E), fc1: init([E, 4 * E], E), fc1B: zeros(4 * E), fc2: init([4 * E, E], 4 * E), fc2B: zeros(E) })),
    norm: bn(E), head: init([E, 10], E), headB: zeros(10),
  };
  const layerNorm = (x: T, p: ReturnType<typeof bn>) => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), p.g), p.b);
  };
  const dense = (x: T, w: T, b: T) => tf.add(tf.matMul(x as import('@tensorflow/tfjs').Tensor2D, w as import('@tensorflow/tfjs').Tensor2D), b);
  const gelu = (x: T) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
  const vit = (x: T) => {
    const N = x.shape[0];
    const patches = tf.reshape(tf.add(conv(x, vitW.patch, P, 0), vitW.patchB), [N, T_ - 1, E]);
    let t = tf.add(tf.concat([tf.tile(vitW.cls, [N, 1, 1]), patches], 1), vitW.pos);
    for (const b of vitW.blocks) {
      const qkv = dense(tf.reshape(layerNorm(t, b.n1), [N * T_, E]), b.qkv, b.qkvB);
      const split = (k: number) => tf.reshape(tf.transpose(tf.reshape(tf.slice(qkv, [0, k * E], [N * T_, E]), [N, T_, H, hd]), [0, 2, 1, 3]), [N * H, T_, hd]);
      const att = tf.softmax(tf.matMul(tf.div(split(0), Math.sqrt(hd)), split(1), false, true));
      const joined = tf.reshape(tf.transpose(tf.reshape(tf.matMul(att, split(2)), [N, H, T_, hd]), [0, 2, 1, 3]), [N * T_, E]);
      t = tf.add(t, tf.reshape(dense(joined, b.out, b.outB), [N, T_, E]));
      const m = dense(gelu(dense(tf.reshape(layerNorm(t, b.n2), [N * T_, E]), b.fc1, b.fc1B)), b.fc2, b.fc2B);
      t = tf.add(t, tf.reshape(m, [N, T_, E]));
    }
    const cls = tf.reshape(tf.slice(layerNorm(t, vitW.norm), [0, 0, 0], [N, 1, E]), [N, E]);
    return dense(cls, vitW.head, vitW.headB);
  };
  return { resnet8, vit };
}
