// An ensemble of three small members with their own seeds, measured next to each member.
import { DataLoader, TensorDataset } from '@trainkit/data';
import { defineMember, evaluateEnsemble, formatMetricsTable, trainMembers } from '@trainkit/ensemble';
import { Linear, ReLU, Sequential } from '@trainkit/nn';
import { adam } from '@trainkit/optim-adam';
import { Rng } from '@trainkit/tensor';

// two noisy classes in the plane: label 1 above the curve y = sin(3x)
const points = (n: number, seed: number) => {
  const x = new Rng(seed).fillUniform(new Float32Array(2 * n), -1, 1);
  const y = Int32Array.from({ length: n }, (_, i) => Number(x[2 * i + 1] > Math.sin(3 * x[2 * i])));
  return new TensorDataset({ x, y, sampleShape: [2], numClasses: 2 });
};
const train = points(400, 0);
const test = new DataLoader(points(1000, 1), { batchSize: 500 });

// #region members
const member = defineMember({
  // rng: the member's init stream, so each member starts from other weights
  model: ({ rng }) => new Sequential({ fc1: new Linear(2, 16, { rng }), relu: new ReLU(), fc2: new Linear(16, 2, { rng }) }),
  setup: () => ({ optimizer: adam({ lr: 0.02 }), train: new DataLoader(train, { batchSize: 40, shuffle: true }), epochs: 10 }),
});
const trained = await trainMembers(member, { members: 3 }); // seeds 0, 1, 2; one after another
const report = await evaluateEnsemble(trained.ensemble(), test); // every member and their average
console.log(formatMetricsTable(report.rows));
// #endregion members
