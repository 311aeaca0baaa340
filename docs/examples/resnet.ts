// Build a ResNet: a CIFAR-style ResNet-8 from @trainkit/models, trained on Fashion-MNIST with
// SGD + momentum, weight decay, a cosine schedule and flips + 2 px shifts, then saved as a
// safetensors state dict that the PyTorch definition in tools/compare/torch_models.py loads.
// Runs as is: `node --conditions=@trainkit/source --import tsx docs/examples/resnet.ts`
// (TRAIN_LIMIT / TEST_LIMIT / EPOCHS shrink it; the test suite runs it on a slice).
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { augment, compose, randomHorizontalFlip, randomTranslate } from '@trainkit/aug-image';
import { Trainer, cosineAnnealing, scheduler } from '@trainkit/core';
import { DataLoader } from '@trainkit/data';
import { loadFashionMnist } from '@trainkit/data/node';
import { resnet } from '@trainkit/models';
import { manualSeed } from '@trainkit/nn';
import { momentum } from '@trainkit/optim-momentum';
import { type TensorInput, serializeSafetensors } from '@trainkit/safetensors';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const train = await loadFashionMnist({ split: 'train', limit: env('TRAIN_LIMIT', 5_000) });
const test = await loadFashionMnist({ split: 'test', limit: env('TEST_LIMIT', 2_000) });

// #region build
// depth 8 = 6n + 2 with n = 1: a stem, three stages of one BasicBlock each (16, 32, 64
// channels), global average pooling, a linear classifier.
manualSeed(0);
const model = resnet({ depth: 8, inChannels: 1, numClasses: 10, width: 16 });
console.log(`ResNet-8: ${model.numParameters()} parameters`);
const weights = (prefix: string) => model.namedParameters().map(([n]) => n).filter((n) => n.startsWith(prefix) && n.endsWith('weight'));
console.log(`stage 2 opens with a projection shortcut: ${weights('layer2.0.').join(', ')}`);
// #endregion build

// #region train
// He et al.'s recipe, scaled down: SGD with momentum 0.9 and weight decay 5e-4, lr 0.1
// annealed to 0 by a cosine over the epochs, random flips and ±2 px shifts.
const epochs = env('EPOCHS', 2);
const trainer = new Trainer({
  optimizer: momentum({ lr: 0.1, momentum: 0.9, weightDecay: 5e-4 }),
  plugins: [scheduler(cosineAnnealing({ tMax: epochs })), augment(compose([randomHorizontalFlip(), randomTranslate({ max: 2 })]))],
  seed: 0,
});
await trainer.fit(model, { train: new DataLoader(train, { batchSize: 128, shuffle: true }), epochs });
const { accuracy } = await trainer.evaluate(model, new DataLoader(test, { batchSize: 500 }));
console.log(`ResNet-8 on Fashion-MNIST: test accuracy ${(100 * accuracy).toFixed(2)}% after ${epochs} epoch(s) on ${train.length} images`);
// #endregion train

// #region save
// The state dict under torchvision's names; BatchNorm's step counters as int64, like PyTorch's.
const tensors = Object.entries(model.stateDict()).map(([name, t]): [string, TensorInput] =>
  name.endsWith('num_batches_tracked') ? [name, { dtype: 'I64', shape: t.shape, data: [...t.data] }] : [name, { shape: t.shape, data: t.data }]);
const options = JSON.stringify({ depth: 8, inChannels: 1, numClasses: 10, width: 16 });
const file = join(tmpdir(), 'resnet8-fashion.safetensors');
writeFileSync(file, serializeSafetensors(tensors, { metadata: { builder: 'resnet', options } }));
console.log(`saved ${tensors.length} tensors to ${file}`);
// #endregion save
