// `npm run preview:aug [-- --out FILE --seed N --scale N]`: writes a PNG grid of MNIST digits,
// the originals on top and one row per augmentation below, so a user sees what a pipeline
// does before training with it. Default output: docs/public/pictures/augment-preview.png.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { augmentBatch } from '@trainkit/aug-image';
import { loadMnist } from '@trainkit/data/node';
import { Rng, Tensor } from '@trainkit/tensor';
import { encode } from 'fast-png';
import { type PreviewRow, renderGrid } from './grid';
import { PREVIEW_ROWS } from './rows';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const { values } = parseArgs({ options: { out: { type: 'string' }, seed: { type: 'string' }, scale: { type: 'string' } } });
const out = resolve(values.out ?? join(root, 'docs', 'public', 'pictures', 'augment-preview.png'));
const seed = Number(values.seed ?? 0);
const scale = Number(values.scale ?? 2);
if (!Number.isInteger(seed) || seed < 0 || !Number.isInteger(scale) || scale < 1) {
  throw new Error(`aug-preview: --seed must be a non-negative integer and --scale a positive integer, got ${values.seed} and ${values.scale}`);
}

// one training image of each digit 0–9, the first of each in the file
const train = await loadMnist({ split: 'train', limit: 200 });
const picks = Array.from({ length: 10 }, (_, digit) => train.y.indexOf(digit));
const n = picks.length;
const x = new Float32Array(n * 784);
picks.forEach((j, i) => x.set(train.x.subarray(j * 784, (j + 1) * 784), i * 784));
const batch = { x: new Tensor(x, [n, 1, 28, 28]), y: Int32Array.from(picks, (j) => train.y[j]) };

const rng = new Rng(seed);
const rows: PreviewRow[] = [{ label: 'original', images: x }];
for (const { label, transform } of PREVIEW_ROWS) {
  const r = augmentBatch(transform, batch, rng.stream(`row-${rows.length}`), { numClasses: 10 });
  rows.push({ label, images: r.x.data });
}

const image = renderGrid(rows, { n, h: 28, w: 28, scale, labelScale: scale });
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, encode({ width: image.width, height: image.height, data: image.data, channels: 1, depth: 8 }));
console.log(`wrote ${relative(process.cwd(), out)} (${image.width}×${image.height}, ${rows.length} rows: ${rows.map((r) => r.label).join(', ')})`);
