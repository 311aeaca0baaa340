// Distil a 3-member ensemble into one small student, then ask a dropout model how unsure it is.
import { type Plugin, Trainer } from '@trainkit/core';
import { DataLoader, TensorDataset } from '@trainkit/data';
import { defineMember, distill, trainMembers, withIndex } from '@trainkit/ensemble';
import { Linear, ReLU, Sequential } from '@trainkit/nn';
import { adam } from '@trainkit/optim-adam';
import { Dropout, predictMc } from '@trainkit/reg-dropout';
import { Rng, argmax } from '@trainkit/tensor';

// two classes in the plane: label 1 above the curve y = sin(3x); a fifth of the training labels flipped
const points = (n: number, seed: number, flip = 0) => {
  const rng = new Rng(seed);
  const x = rng.fillUniform(new Float32Array(2 * n), -1, 1);
  const y = Int32Array.from({ length: n }, (_, i) => Number(x[2 * i + 1] > Math.sin(3 * x[2 * i])) ^ Number(rng.uniform() < flip));
  return new TensorDataset({ x, y, sampleShape: [2], numClasses: 2 });
};
const train = points(400, 0, 0.2);
const test = new DataLoader(points(1000, 1), { batchSize: 500 });
const mlp = (rng: Rng, hidden: number) => new Sequential({ fc1: new Linear(2, hidden, { rng }), relu: new ReLU(), fc2: new Linear(hidden, 2, { rng }) });

// #region distill
const member = defineMember({
  model: ({ rng }) => mlp(rng, 32),
  setup: () => ({ optimizer: adam({ lr: 0.02 }), train: new DataLoader(train, { batchSize: 40, shuffle: true }), epochs: 15 }),
});
const teacher = (await trainMembers(member, { members: 3 })).ensemble(); // averages the members' probabilities

const fitStudent = async (plugins: Plugin[], data = new DataLoader(train, { batchSize: 40, shuffle: true })) => {
  const model = mlp(new Rng(7), 8); // the same small student, from the same initial weights
  await new Trainer({ optimizer: adam({ lr: 0.02 }), plugins, seed: 0 }).fit(model, { train: data, epochs: 15 });
  return model;
};
const plain = await fitStudent([]);
const distilled = await fitStudent([distill({ teacher, temperature: 2, alpha: 0.9 })]);
for (const [name, model] of [['plain', plain], ['distilled', distilled]] as const) {
  const { accuracy, loss } = await new Trainer().evaluate(model, test);
  console.log(`${name} student: accuracy ${(100 * accuracy).toFixed(2)}%, NLL ${loss.toFixed(4)}`);
}
console.log(`teacher (3 members): accuracy ${(100 * (await new Trainer().evaluate(teacher, test)).accuracy).toFixed(2)}%`);
// #endregion distill

// #region cache
const indexed = new DataLoader(withIndex(train), { batchSize: 40, shuffle: true }); // its batches carry batch.index
const cached = distill({ teacher, temperature: 2, alpha: 0.9, cache: true });
const fromCache = await fitStudent([cached], indexed);
const same = fromCache.parameters().every((p, i) => p.data.every((v, j) => v === distilled.parameters()[i].data[j]));
console.log(`cache: teacher logits of ${cached.cached} examples, computed once; same weights as the live teacher: ${same}`);
// #endregion cache

// #region mc
const withDropout = new Sequential({ fc1: new Linear(2, 64, { rng: new Rng(3) }), relu: new ReLU(), drop: new Dropout(0.3), fc2: new Linear(64, 2, { rng: new Rng(4) }) });
const clean = points(400, 0); // the same points with their true labels
await new Trainer({ optimizer: adam({ lr: 0.02 }), seed: 0 }).fit(withDropout, { train: new DataLoader(clean, { batchSize: 40, shuffle: true }), epochs: 15 });
const { x, y: labels } = points(1000, 1).gather(Int32Array.from({ length: 1000 }, (_, i) => i));
const mc = await predictMc(withDropout, x, { samples: 30, seed: 1 }); // dropout on, everything else in eval mode
const predicted = argmax(mc.probs); // the most probable class of each point
const meanEntropy = (wrong: boolean) => {
  const picked = labels.reduce<number[]>((acc, y, i) => (Number(predicted[i] !== y) === Number(wrong) ? [...acc, mc.entropy[i]] : acc), []);
  return picked.reduce((s, h) => s + h, 0) / picked.length;
};
console.log(`MC dropout: mean predictive entropy ${meanEntropy(false).toFixed(3)} on correct, ${meanEntropy(true).toFixed(3)} on misclassified test points`);
// #endregion mc
