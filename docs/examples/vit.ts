// Train a small ViT: vitTiny from @trainkit/models on MNIST with AdamW and a cosine schedule;
// the patches, the tokens, and the errors a wrong size gives.
// Runs as is: `node --conditions=@trainkit/source --import tsx docs/examples/vit.ts`
// (TRAIN_LIMIT / TEST_LIMIT / EPOCHS shrink it; the test suite runs it on a slice).
import { Trainer, cosineAnnealing, scheduler } from '@trainkit/core';
import { DataLoader } from '@trainkit/data';
import { loadMnist } from '@trainkit/data/node';
import { vitTiny } from '@trainkit/models';
import { manualSeed } from '@trainkit/nn';
import { adamw } from '@trainkit/optim-adam';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const train = await loadMnist({ split: 'train', limit: env('TRAIN_LIMIT', 10_000) });
const test = await loadMnist({ split: 'test', limit: env('TEST_LIMIT', 2_000) });

// #region build
// 28×28 digits cut into 7×7 patches: 16 patch tokens plus the class token, each 32 wide,
// through 2 pre-norm transformer blocks of 4 heads; the head reads the class token.
manualSeed(0);
const model = vitTiny({ imageSize: 28, patchSize: 7, inChannels: 1, dim: 32, depth: 2, heads: 4, numClasses: 10, mlpRatio: 2 });
console.log(`ViT: ${model.numParameters()} parameters, ${model.pos_embed.shape[1]} tokens of ${model.dim}`);
console.log(`block 0: ${model.namedParameters().map(([n]) => n).filter((n) => n.startsWith('blocks.0.') && n.endsWith('weight')).join(', ')}`);
// #endregion build

// #region train
// AdamW (decoupled weight decay), lr 1e-3 annealed by a cosine over the epochs.
const epochs = env('EPOCHS', 3);
const trainer = new Trainer({ optimizer: adamw({ lr: 1e-3, weightDecay: 0.05 }), plugins: [scheduler(cosineAnnealing({ tMax: epochs }))], seed: 0 });
await trainer.fit(model, { train: new DataLoader(train, { batchSize: 64, shuffle: true }), epochs });
const { accuracy } = await trainer.evaluate(model, new DataLoader(test, { batchSize: 500 }));
console.log(`ViT on MNIST: test accuracy ${(100 * accuracy).toFixed(2)}% after ${epochs} epoch(s) on ${train.length} images`);
// #endregion train

// #region errors
// Sizes that do not fit are errors that say what must divide what.
for (const bad of [{ patchSize: 5 }, { dim: 30 }]) {
  try {
    vitTiny({ imageSize: 28, patchSize: 7, inChannels: 1, dim: 32, depth: 2, heads: 4, numClasses: 10, ...bad });
  } catch (e) {
    console.log((e as Error).message);
  }
}
// #endregion errors
