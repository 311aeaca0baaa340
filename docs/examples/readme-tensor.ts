// @trainkit/tensor at a glance (the package README shows the region below; the tests run it).
// #region readme
import { Rng, Tensor, crossEntropy, matmul, relu, tensor } from '@trainkit/tensor';

const init = new Rng(0).stream('init'); // every random draw comes from a named stream of a seeded Rng
const w = new Tensor(init.fillNormal(new Float32Array(4 * 3), 0, 0.5), [4, 3], { requiresGrad: true });
const x = tensor([[1, 0, -1, 2], [0.5, 1, 1, -1]]); // a batch of 2 samples with 4 features
const labels = Int32Array.of(2, 0); // 3 classes
const loss = crossEntropy(relu(matmul(x, w)), labels);
loss.backward(); // fills w.grad, a Float32Array like w.data
const grad = w.grad as Float32Array;
for (let i = 0; i < w.data.length; i++) w.data[i] -= 0.5 * grad[i]; // one SGD step by hand
const after = crossEntropy(relu(matmul(x, w)), labels);
console.log(`loss ${loss.item().toFixed(4)} → ${after.item().toFixed(4)} after one step`);
// #endregion readme
