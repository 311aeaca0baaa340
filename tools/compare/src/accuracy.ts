/**
 * trainkit vs PyTorch on the reference setup, same data and hyperparameters:
 * the foundation CNN (or the MLP), batch 64, shuffled, inputs = pixels/255, cross-entropy,
 * N epochs, several seeds; test accuracy on the 10,000 MNIST test images.
 *
 *   node --conditions=@trainkit/source --import tsx tools/compare/src/accuracy.ts \
 *     --optimizer adam --lr 0.001 --epochs 1 --seeds 0,1,2 [--torch]
 *
 * With --torch it also runs tools/compare/torch_accuracy.py (Debian's python3-torch) in the
 * same invocation. Results are appended to tools/compare/results/accuracy.jsonl.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Trainer, sgd, type Optimizer } from '@trainkit/core';
import { DataLoader } from '@trainkit/data';
import { loadMnist } from '@trainkit/data/node';
import { manualSeed, mnistCnn, mnistMlp } from '@trainkit/nn';
import { adam } from '@trainkit/optim-adam';
import { momentum } from '@trainkit/optim-momentum';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    optimizer: { type: 'string', default: 'sgd' },
    lr: { type: 'string' },
    epochs: { type: 'string', default: '1' },
    seeds: { type: 'string', default: '0,1,2' },
    model: { type: 'string', default: 'cnn' },
    torch: { type: 'boolean', default: false },
  },
});
const kind = values.optimizer as 'sgd' | 'momentum' | 'adam';
const lr = Number(values.lr ?? (kind === 'adam' ? 1e-3 : 0.01));
const epochs = Number(values.epochs);
const seeds = (values.seeds as string).split(',').map(Number);
const make = (): Optimizer =>
  kind === 'adam' ? adam({ lr }) : kind === 'momentum' ? momentum({ lr, momentum: 0.9 }) : kind === 'sgd' ? sgd({ lr }) : (() => { throw new Error(`unknown --optimizer ${kind}`); })();

const train = await loadMnist({ split: 'train' });
const test = await loadMnist({ split: 'test' });
const accs: number[] = [];
for (const seed of seeds) {
  manualSeed(seed);
  const model = values.model === 'mlp' ? mnistMlp() : mnistCnn();
  const trainer = new Trainer({ optimizer: make(), seed });
  const t0 = performance.now();
  await trainer.fit(model, { train: new DataLoader(train, { batchSize: 64, shuffle: true }), epochs });
  const { accuracy } = await trainer.evaluate(model, new DataLoader(test, { batchSize: 1000 }));
  accs.push(accuracy);
  console.log(`trainkit seed ${seed}: test accuracy ${(100 * accuracy).toFixed(2)}%  (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}
const mean = accs.reduce((a, b) => a + b, 0) / accs.length;
const std = Math.sqrt(accs.reduce((a, b) => a + (b - mean) ** 2, 0) / accs.length);
const label = `${values.model} ${kind} lr ${lr}, ${epochs} epoch(s), seeds ${seeds.join(',')}`;
console.log(`trainkit ${label}: ${(100 * mean).toFixed(2)}% ± ${(100 * std).toFixed(2)}`);

let torch: string | null = null;
if (values.torch) {
  const args = [join(here, '..', 'torch_accuracy.py'), '--model', values.model as string, '--optimizer', kind, '--lr', String(lr), '--epochs', String(epochs), '--seeds', ...seeds.map(String)];
  torch = execFileSync('/usr/bin/python3', args, { encoding: 'utf8' });
  process.stdout.write(torch.replace(/^/gm, 'pytorch '));
}
const out = join(here, '..', 'results');
if (!existsSync(out)) mkdirSync(out, { recursive: true });
appendFileSync(join(out, 'accuracy.jsonl'), JSON.stringify({ date: new Date().toISOString(), label, trainkit: accs, mean, std, torch }) + '\n');
