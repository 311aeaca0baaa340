// Train on a CSV file: numeric columns standardised with the training rows' statistics,
// categorical columns one-hot encoded, the fitted preprocessing saved with the checkpoint and
// applied again before predict. The example first writes the CSV.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkpoint, readCheckpoint } from '@trainkit/checkpoint/node';
import { Trainer } from '@trainkit/core';
import { DataLoader } from '@trainkit/data';
import { TabularPreprocessing, csvDataset, csvFeatures } from '@trainkit/data/node';
import { Linear, ReLU, Sequential, manualSeed } from '@trainkit/nn';
import { adam } from '@trainkit/optim-adam';
import { Rng, softmax } from '@trainkit/tensor';

const dir = mkdtempSync(join(tmpdir(), 'trainkit-csv-'));
const rng = new Rng(0);
const plans = ['basic', 'plus', 'pro'];
const lines = ['age,income,region,plan'];
for (let i = 0; i < 600; i++) {
  const age = Math.round(rng.uniform(18, 80));
  const income = Math.round(rng.uniform(10, 150));
  const region = ['north', 'south', 'east'][i % 3];
  const score = income / 50 + (region === 'north' ? 1 : 0) + (i % 17 === 0 ? 1 : 0); // a little label noise
  lines.push(`${age},${i % 50 === 0 ? 'NA' : income},${region},${plans[Math.min(2, Math.floor(score))]}`);
}
writeFileSync(join(dir, 'customers.csv'), `${lines.join('\n')}\n`);

// #region load
const { train, val, preprocessing, report } = await csvDataset(join(dir, 'customers.csv'), {
  target: 'plan',
  categorical: ['region'], // age and income are numeric
  missing: 'mean', // "NA" incomes get the training mean
  valFraction: 0.2,
  seed: 1,
});
console.log(`inputs: ${preprocessing.featureNames.join(', ')}; classes: ${preprocessing.target.classes.join(', ')}`);
console.log(`${train.length} train rows, ${val!.length} val rows, ${report.dropped.length} dropped`);
// #endregion load

// #region train
manualSeed(0);
const model = new Sequential(new Linear(preprocessing.numFeatures, 16), new ReLU(), new Linear(16, preprocessing.target.classes.length));
// the preprocessing travels with the weights, as a string in the checkpoint's metadata
const ckpt = checkpoint({ dir: join(dir, 'run'), metadata: { preprocessing: JSON.stringify(preprocessing) } });
const trainer = new Trainer({ optimizer: adam({ lr: 0.01 }), plugins: [ckpt], seed: 0 });
const history = await trainer.fit(model, { train: new DataLoader(train, { batchSize: 32, shuffle: true }), val: new DataLoader(val!, { batchSize: 120 }), epochs: 30 });
console.log(`val accuracy ${(100 * history.history.at(-1)!.metrics.valAccuracy).toFixed(2)}%`);
// #endregion train

// #region predict
// Later: restore the preprocessing from the checkpoint and encode new rows exactly as in training.
const { metadata } = await readCheckpoint(join(dir, 'run', 'latest.safetensors'));
const restored = TabularPreprocessing.fromJSON(metadata.preprocessing);
writeFileSync(join(dir, 'new.csv'), 'age,income,region\n30,140,south\n50,20,east\n');
const { x } = await csvFeatures(join(dir, 'new.csv'), restored);
const probs = softmax(await trainer.predict(model, x), 1);
console.log(`predicted plans: ${[0, 1].map((i) => restored.target.classes[argmax(probs.data.subarray(i * 3, i * 3 + 3))]).join(', ')}`);
// #endregion predict

function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}

rmSync(dir, { recursive: true, force: true });
