// What did the reference CNN learn? Train it briefly on MNIST, then draw its first-layer filters,
// the activation maps of one digit, Grad-CAM overlays, the highest losses and the confusion
// matrix, and compare its weights with the untrained network's.
// Runs as is: `node --conditions=@trainkit/source --import tsx docs/examples/inspect.ts`
// (TRAIN_LIMIT / TEST_LIMIT / EPOCHS shrink it; OUT_DIR says where the SVG files go).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Trainer } from '@trainkit/core';
import { DataLoader } from '@trainkit/data';
import { loadMnist } from '@trainkit/data/node';
import { activationMaps, compareModels, confusionMatrix, filterGrid, gradCam, topLosses } from '@trainkit/inspect';
import { type Conv2d, manualSeed, mnistCnn } from '@trainkit/nn';
import { adam } from '@trainkit/optim-adam';
import { slice } from '@trainkit/tensor';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const train = await loadMnist({ split: 'train', limit: env('TRAIN_LIMIT', 4000) });
const test = await loadMnist({ split: 'test', limit: env('TEST_LIMIT', 1000) });
const out = process.env.OUT_DIR ?? mkdtempSync(join(tmpdir(), 'trainkit-inspect-'));
mkdirSync(out, { recursive: true });
const save = (file: string, svg: string) => writeFileSync(join(out, file), svg);

manualSeed(0);
const untrained = mnistCnn();
const model = mnistCnn();
model.loadStateDict(untrained.stateDict()); // the same start, kept for the comparison below
const trainer = new Trainer({ optimizer: adam({ lr: 2e-3 }), seed: 0 });
await trainer.fit(model, { train: new DataLoader(train, { batchSize: 64, shuffle: true }), epochs: env('EPOCHS', 1) });

// #region pictures
const filters = filterGrid(model.at('conv1') as Conv2d, { scale: 8, title: 'conv1: 8 filters of 5×5' });
save('filters.svg', filters.svg);

const digits = test.gather([0, 1, 2, 3]); // x [4, 1, 28, 28], y: their labels
const maps = activationMaps(model, 'relu1', digits.x);
save('activations.svg', maps.svgs[0]); // the 8 maps of conv1 (after ReLU) for the first digit

for (let i = 0; i < 4; i++) {
  const cam = gradCam(model, slice(digits.x, 0, i, i + 1), { layer: 'relu2', classIndex: digits.y[i] });
  save(`gradcam-${i}.svg`, cam.svg);
  console.log(`Grad-CAM of digit ${i} (a ${digits.y[i]}) at ${cam.layer}: map ${cam.height}×${cam.width}, peak ${Math.max(...cam.map).toFixed(2)}`);
}

const worst = topLosses(model, test, 16);
save('top-losses.svg', worst.svg);
const w = worst.examples[0];
console.log(`highest loss: test image ${w.index}, a ${w.label} taken for a ${w.prediction} (p ${w.probability.toFixed(2)}), loss ${w.loss.toFixed(2)}`);

const logits = await trainer.predict(model, new DataLoader(test, { batchSize: 500 }));
const cm = confusionMatrix(logits, test.gather(Array.from({ length: test.length }, (_, i) => i)).y);
save('confusion.svg', cm.svg);
console.log(cm.text);

const moved = compareModels(untrained, model, ['untrained', 'trained']);
save('weight-change.svg', moved.changeSvg);
save('filters-before-after.svg', moved.filters!.svg);
for (const l of moved.layers) console.log(`${l.name.padEnd(13)} moved ${l.relativeChange.toFixed(3)} of its norm`);
// #endregion pictures
console.log(`pictures written to ${out}`);
