/**
 * TF.js's webgpu backend on a given `GPU` object (Dawn in Node): the MLP and the reference CNN
 * written with tfjs-core ops (as in runners/tfjs.ts), trained with tf.train.adam.
 */
import { ADAM, BATCH } from './spec';

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
  return {
    /** One Adam step per call on batch i (uploaded each step, as trainkit's session does); `sync` waits for the last loss. */
    trainStep(model: 'mlp' | 'cnn', batchAt: (i: number) => Batch) {
      const opt = tf.train.adam(ADAM.lr, ADAM.beta1, ADAM.beta2, ADAM.eps);
      let last: import('@tensorflow/tfjs').Scalar | null = null;
      return {
        step: (i: number) => {
          const b = batchAt(i);
          last?.dispose();
          last = tf.tidy(() => {
            const x = tf.tensor4d(b.x, [BATCH, 28, 28, 1]);
            const y = tf.oneHot(tf.tensor1d(b.y, 'int32'), 10);
            return opt.minimize(() => tf.losses.softmaxCrossEntropy(y, models[model](x)) as import('@tensorflow/tfjs').Scalar, true) as import('@tensorflow/tfjs').Scalar;
          });
        },
        sync: async () => last?.data(),
      };
    },
  };
}
