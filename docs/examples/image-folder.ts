// Train on your own images: a folder with one subfolder per class, decoded by sharp into a
// cache, served to the Trainer through a DataLoader. The example first writes such a folder:
// 32×32 RGB JPEGs whose class is where a bright patch sits (left, centre or right).
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { Trainer } from '@trainkit/core';
import { DataLoader } from '@trainkit/data';
import { imageFolder } from '@trainkit/data/node';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential, manualSeed } from '@trainkit/nn';
import { adam } from '@trainkit/optim-adam';
import { Rng } from '@trainkit/tensor';

const perClass = Number(process.env.IMAGES_PER_CLASS ?? 100);
const epochs = Number(process.env.EPOCHS ?? 4);
const photos = mkdtempSync(join(tmpdir(), 'trainkit-photos-'));
const rng = new Rng(0);
for (const [label, left] of [['left', 2], ['centre', 11], ['right', 20]] as const) {
  await mkdir(join(photos, label));
  for (let i = 0; i < perClass; i++) {
    const top = 2 + Math.floor(rng.uniform(0, 20));
    const raw = Buffer.alloc(32 * 32 * 3);
    for (let p = 0; p < raw.length; p++) {
      const [x, y] = [(p / 3) % 32 | 0, (p / 96) | 0];
      raw[p] = x >= left && x < left + 10 && y >= top && y < top + 10 ? 240 : rng.uniform(0, 140);
    }
    await sharp(raw, { raw: { width: 32, height: 32, channels: 3 } }).jpeg().toFile(join(photos, label, `${i}.jpg`));
  }
}

// #region load
// photos/centre/*.jpg, photos/left/*.jpg, photos/right/*.jpg → classes ['centre', 'left', 'right']
const { train, val, classes, report } = await imageFolder(photos, {
  size: 32, // every image is resized to 32×32 (fit: 'cover' by default)
  valFraction: 0.2, // 20% of each class held out, by a seeded shuffle
  seed: 1,
  normalize: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] },
});
console.log(`classes ${classes.join(', ')}: ${train.length} train, ${val!.length} val images of shape [${train.sampleShape.join(', ')}]`);
console.log(`decoded ${report.decoded} images into ${train.cacheFile}`);
// #endregion load

// #region train
manualSeed(0);
const model = new Sequential(
  new Conv2d(3, 8, 3, { padding: 1 }), new ReLU(), new MaxPool2d(2),
  new Conv2d(8, 16, 3, { padding: 1 }), new ReLU(), new MaxPool2d(2),
  new Flatten(), new Linear(16 * 8 * 8, classes.length),
);
const trainer = new Trainer({ optimizer: adam({ lr: 3e-3 }), seed: 0 });
trainer.on('trainEpochEnd', ({ epoch, metrics }) => console.log(`epoch ${epoch + 1}: loss ${metrics.loss.toFixed(4)}, val accuracy ${(100 * metrics.valAccuracy).toFixed(2)}%`));
await trainer.fit(model, { train: new DataLoader(train, { batchSize: 32, shuffle: true }), val: new DataLoader(val!, { batchSize: 100 }), epochs });
// #endregion train

// #region again
// A second call with the same files and options reads the cache: nothing is decoded.
const again = await imageFolder(photos, { size: 32, valFraction: 0.2, seed: 1 });
console.log(`second call decoded ${again.report.decoded} images (from cache: ${again.report.fromCache.train})`);
// #endregion again
rmSync(photos, { recursive: true, force: true });
