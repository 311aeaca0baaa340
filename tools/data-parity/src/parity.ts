/**
 * Real images end to end: writes Fashion-MNIST's 70,000 images as PNG files into class folders
 * (`train/` 60,000, `val/` 10,000), runs `trainkit train` on that folder (which decodes the
 * PNGs in worker threads during the first epoch), and trains the same CNN with the same seed
 * on the same images straight from the npm package's pixels, in the folder's order. Reports
 * both validation accuracies (on the 10,000 test images), whether every decoded pixel equals
 * its source byte, and the wall time of each run.
 *
 *   flock /tmp/h/heavy.lock nice -n 5 node --conditions=@trainkit/source --import tsx tools/data-parity/src/parity.ts [--epochs=2] [--seed=0] [--dir=/tmp/trainkit-fmnist-png] [--limit=N]
 *
 * Appends one line to tools/data-parity/results/parity.jsonl.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Trainer } from '@trainkit/core';
import { DataLoader } from '@trainkit/data';
import { imageFolder } from '@trainkit/data/node';
import { manualSeed, mnistCnn } from '@trainkit/nn';
import { adam } from '@trainkit/optim-adam';
import { classMajor, fashionSplits, writeFashionPngs } from './fashionPngs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');
const arg = (name: string, fallback: string): string => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const epochs = Number(arg('epochs', '2'));
const seed = Number(arg('seed', '0'));
const dir = arg('dir', '/tmp/trainkit-fmnist-png');
const limit = arg('limit', '') === '' ? undefined : Number(arg('limit', '')); // images per split, for a smoke run (not appended to the results)
const runDir = join(dir, '..', `${dir.split('/').at(-1)}-run`);

const t0 = performance.now();
const written = await writeFashionPngs(dir, limit);
console.log(`PNG files written: ${written} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);

// 1. trainkit train on the folder, as a user runs it
const cli = ['--conditions=@trainkit/source', '--import', 'tsx', join(repo, 'packages/cli/src/bin.ts')];
const args = ['train', dir, '--size', '28', '--color', 'grayscale', '--fit', 'fill', '--epochs', String(epochs), '--seed', String(seed), '--out', runDir, '--overwrite'];
const t1 = performance.now();
const run = spawnSync(process.execPath, [...cli, ...args], { cwd: repo, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
const cliSeconds = (performance.now() - t1) / 1000;
if (run.status !== 0) throw new Error(`trainkit train failed (${run.status}): ${run.stderr}`);
const history = JSON.parse(readFileSync(join(runDir, 'history.json'), 'utf8')) as { epochs: { metrics: Record<string, number> }[] };
const cliAccuracy = history.epochs.map((e) => e.metrics.valAccuracy);
console.log(`trainkit train on the PNG folder: valAccuracy ${cliAccuracy.join(', ')} (${cliSeconds.toFixed(0)} s)`);

// 2. the decoded cache holds exactly the source bytes
const { train: pngTrain, val: pngVal, report } = await imageFolder(dir, { size: 28, color: 'grayscale', fit: 'fill' });
const { train, test } = await fashionSplits(limit);
const [refTrain, refTest] = [classMajor(train), classMajor(test)];
let mismatched = 0;
for (const [a, b] of [[pngTrain, refTrain], [pngVal!, refTest]] as const) {
  for (let i = 0; i < a.length; i += 1000) {
    const ix = Array.from({ length: Math.min(1000, a.length - i) }, (_, k) => i + k);
    const [x, y] = [a.gather(ix), b.gather(ix)];
    for (let k = 0; k < x.x.data.length; k++) if (x.x.data[k] !== y.x.data[k]) mismatched++;
    for (let k = 0; k < ix.length; k++) if (x.y[k] !== y.y[k]) throw new Error(`label of image ${i + k} differs`);
  }
}
console.log(`decoded pixels that differ from the source: ${mismatched} (cache used: ${JSON.stringify(report.fromCache)})`);

// 3. the same CNN, seed and recipe (Adam 1e-3, batch 64, shuffled; validation batch 256) on the package's pixels
const t2 = performance.now();
manualSeed(seed);
const model = mnistCnn(); // what `--model cnn` builds for 1×28×28 inputs and 10 classes
const trainer = new Trainer({ optimizer: adam({ lr: 1e-3 }), seed });
await trainer.fit(model, { train: new DataLoader(refTrain, { batchSize: 64, shuffle: true }), val: new DataLoader(refTest, { batchSize: 256 }), epochs });
const refSeconds = (performance.now() - t2) / 1000;
const refAccuracy = trainer.history.map((h) => h.metrics.valAccuracy);
console.log(`same CNN on the package's pixels: valAccuracy ${refAccuracy.join(', ')} (${refSeconds.toFixed(0)} s)`);

const gap = Math.abs((cliAccuracy.at(-1) as number) - (refAccuracy.at(-1) as number)) * 100;
const row = {
  date: new Date().toISOString(),
  machine: { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version, loadAverage: loadavg()[0] },
  images: { train: pngTrain.length, val: pngVal!.length },
  epochs,
  seed,
  model: 'cnn',
  pngFolder: { valAccuracy: cliAccuracy, seconds: cliSeconds },
  packagePixels: { valAccuracy: refAccuracy, seconds: refSeconds },
  gapPoints: gap,
  within03: gap <= 0.3,
  decodedPixelsDiffering: mismatched,
};
if (limit === undefined) appendFileSync(join(here, '..', 'results', 'parity.jsonl'), `${JSON.stringify(row)}\n`);
console.log(`gap ${gap.toFixed(2)} points (target ≤ 0.3): ${row.within03 ? 'met' : 'missed'}`);
