// Tensors and autograd: build a tiny computation, backpropagate, read the gradients.
import { Rng, matmul, mean, relu, sum, tensor } from '@trainkit/tensor';

// #region autograd
const w = tensor([[0.5, -1], [2, 0.25]], undefined, { requiresGrad: true }); // shape [2, 2]
const x = tensor([[1, 2], [3, 4], [5, 6]]); // shape [3, 2], a batch of 3 rows
const y = relu(matmul(x, w)); // [3, 2]
const loss = mean(y);
loss.backward();
console.log(`loss ${loss.item().toFixed(4)}`); // a scalar
console.log(`dloss/dw ${w.grad?.join(', ')}`); // same shape as w, flat
// #endregion autograd

// #region rng
// Every random draw comes from a named stream of a seeded Rng: same seed, same numbers.
const a = new Rng(42).stream('init').fillNormal(new Float32Array(3));
const b = new Rng(42).stream('init').fillNormal(new Float32Array(3));
console.log(`same seed, same stream → equal: ${a.every((v, i) => v === b[i])}`);
// #endregion rng

if (!Number.isFinite(sum(y).item())) throw new Error('unexpected non-finite result');
