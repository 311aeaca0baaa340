// Optimizers: swap SGD → momentum → Adam with one import, compose your own from transforms,
// give parameter groups their own hyperparameters, and schedule the learning rate.
import { Trainer, addDecayedWeights, chain, clipByGlobalNorm, cosineAnnealing, scaleByLearningRate, scheduler, sgd, type Optimizer, type Plugin } from '@trainkit/core';
import { DataLoader } from '@trainkit/data';
import { loadMnist } from '@trainkit/data/node';
import { manualSeed, mnistMlp } from '@trainkit/nn';
import { adam, adamw, scaleByAdam } from '@trainkit/optim-adam';
import { rmsprop } from '@trainkit/optim-adaptive';
import { momentum } from '@trainkit/optim-momentum';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const train = new DataLoader(await loadMnist({ split: 'train', limit: env('TRAIN_LIMIT', 10_000) }), { batchSize: 64, shuffle: true });
const test = new DataLoader(await loadMnist({ split: 'test', limit: env('TEST_LIMIT', 2_000) }), { batchSize: 500 });

async function accuracyWith(optimizer: Optimizer, plugins: Plugin[] = []): Promise<string> {
  manualSeed(0);
  const model = mnistMlp({ hidden: 128 });
  const trainer = new Trainer({ optimizer, plugins, seed: 0 });
  await trainer.fit(model, { train, epochs: env('EPOCHS', 1) });
  return `${(100 * (await trainer.evaluate(model, test)).accuracy).toFixed(2)}%`;
}

// #region swap
// Same model, same data, same seed: only the optimizer changes (torch.optim's names and defaults).
for (const [name, optimizer] of [
  ['sgd', sgd({ lr: 0.01 })],
  ['momentum', momentum({ lr: 0.01, momentum: 0.9 })],
  ['nesterov', momentum({ lr: 0.01, momentum: 0.9, nesterov: true })],
  ['rmsprop', rmsprop({ lr: 1e-3 })],
  ['adam', adam({ lr: 1e-3 })],
] as const) {
  console.log(`${name.padEnd(9)} test accuracy ${await accuracyWith(optimizer)}`);
}
// #endregion swap

// #region groups
// No weight decay on biases; a tenth of the learning rate for the first layer.
const grouped = adamw({
  lr: 1e-3,
  weightDecay: 0.01,
  groups: [
    { params: /bias$/, weightDecay: 0 },
    { params: ['fc1.weight'], lr: 1e-4 },
  ],
});
console.log(`fc1.weight lr ${grouped.hyperFor('fc1.weight').lr}, fc2.bias weightDecay ${grouped.hyperFor('fc2.bias').weightDecay}`);
// #endregion groups

// #region chain
// Optimizers are chains of small gradient transforms (optax's shape); the built-ins equal such
// chains. This one clips the global gradient norm, then does AdamW.
const clippedAdamW = chain('my-org/clipped-adamw', clipByGlobalNorm({ maxNorm: 1 }), scaleByAdam(), addDecayedWeights({ weightDecay: 0.01 }), scaleByLearningRate({ lr: 1e-3 }));
console.log(`clipped AdamW test accuracy ${await accuracyWith(clippedAdamW())}`);
// #endregion chain

// #region schedule
// Cosine annealing over the epochs (set per epoch; `interval: 'step'` sets it per batch).
console.log(`SGD 0.1 + cosine schedule test accuracy ${await accuracyWith(sgd({ lr: 0.1 }), [scheduler(cosineAnnealing({ tMax: env('EPOCHS', 1) }))])}`);
// #endregion schedule
