/**
 * Does regularization help on real data? trainkit and PyTorch on the same setups (see
 * torch_regularization.py for the exact protocol), several seeds, mean ± std, train–test gap.
 *
 *   npm run study -w @trainkit/regularization-study -- --experiment mlp-dropout [--seeds 0,1,2] [--torch]
 *   npm run study -w @trainkit/regularization-study -- --experiment cnn-augment [--seeds 0,1,2] [--torch]
 *
 * Both variants (base and reg) run; results are appended to results/<experiment>.jsonl and
 * printed as a markdown table.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Trainer, type Plugin } from '@trainkit/core';
import { DataLoader, type TensorDataset } from '@trainkit/data';
import { loadMnist } from '@trainkit/data/node';
import { Flatten, Linear, type Module, ReLU, Sequential, manualSeed, mnistCnn } from '@trainkit/nn';
import { adam } from '@trainkit/optim-adam';
import { Dropout } from '@trainkit/reg-dropout';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    experiment: { type: 'string', default: 'mlp-dropout' },
    seeds: { type: 'string', default: '0,1,2' },
    variants: { type: 'string', default: 'base,reg' },
    torch: { type: 'boolean', default: false },
  },
});
const experiment = values.experiment as 'mlp-dropout' | 'cnn-augment';
if (experiment !== 'mlp-dropout' && experiment !== 'cnn-augment') throw new Error(`--experiment must be mlp-dropout or cnn-augment, got ${experiment}`);
const seeds = (values.seeds as string).split(',').map(Number);
const variants = (values.variants as string).split(',') as Array<'base' | 'reg'>;
const n = experiment === 'mlp-dropout' ? 5000 : 2000;
const epochs = experiment === 'mlp-dropout' ? 20 : 15;

/** MLP 784-512-512-10, optionally with Dropout(0.5) after each hidden ReLU. */
function mlp(dropout: boolean): Module {
  const layers: Record<string, Module> = { flatten: new Flatten(), fc1: new Linear(784, 512), relu1: new ReLU() };
  if (dropout) layers.drop1 = new Dropout(0.5);
  Object.assign(layers, { fc2: new Linear(512, 512), relu2: new ReLU() });
  if (dropout) layers.drop2 = new Dropout(0.5);
  layers.fc3 = new Linear(512, 10);
  return new Sequential(layers);
}

async function augmentation(): Promise<Plugin> {
  // ±2 px translation + ±10° rotation, as in the PyTorch script
  const aug = await import('@trainkit/aug-image');
  return aug.augment(aug.compose([aug.randomTranslate({ max: 2 }), aug.randomRotation({ degrees: 10 })]));
}

async function accuracyOn(trainer: Trainer, model: Module, data: TensorDataset | DataLoader): Promise<number> {
  const loader = data instanceof DataLoader ? data : new DataLoader(data, { batchSize: 1000 });
  return (await trainer.evaluate(model, loader)).accuracy;
}

const train = (await loadMnist({ split: 'train', limit: n })) as TensorDataset;
const test = (await loadMnist({ split: 'test' })) as TensorDataset;
const rows: string[] = [];
const out = join(here, '..', 'results');
mkdirSync(out, { recursive: true });
for (const variant of variants) {
  const reg = variant === 'reg';
  const results: Array<{ seed: number; test: number; train: number; seconds: number }> = [];
  for (const seed of seeds) {
    manualSeed(seed);
    const model = experiment === 'mlp-dropout' ? mlp(reg) : mnistCnn();
    const plugins = reg && experiment === 'cnn-augment' ? [await augmentation()] : [];
    const trainer = new Trainer({ optimizer: adam({ lr: 1e-3 }), seed, plugins });
    const t0 = performance.now();
    await trainer.fit(model, { train: new DataLoader(train, { batchSize: 64, shuffle: true }), epochs });
    const r = { seed, test: await accuracyOn(trainer, model, test), train: await accuracyOn(trainer, model, train), seconds: (performance.now() - t0) / 1000 };
    results.push(r);
    console.log(`trainkit ${experiment} ${variant} seed ${seed}: test ${(100 * r.test).toFixed(2)}%, train ${(100 * r.train).toFixed(2)}% (${r.seconds.toFixed(0)} s)`);
  }
  let torch: Array<{ seed: number; test: number; train: number }> = [];
  if (values.torch) {
    const script = join(here, '..', 'torch_regularization.py');
    const text = execFileSync('/usr/bin/python3', [script, '--experiment', experiment, '--variant', variant, '--seeds', ...seeds.map(String)], { encoding: 'utf8' });
    torch = text.trim().split('\n').map((l) => JSON.parse(l));
    for (const t of torch) console.log(`pytorch  ${experiment} ${variant} seed ${t.seed}: test ${(100 * t.test).toFixed(2)}%, train ${(100 * t.train).toFixed(2)}%`);
  }
  appendFileSync(join(out, `${experiment}.jsonl`), JSON.stringify({ date: new Date().toISOString(), experiment, variant, n, epochs, trainkit: results, torch }) + '\n');
  const stat = (xs: number[]) => {
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    return `${(100 * m).toFixed(1)} ± ${(100 * Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length)).toFixed(1)}%`;
  };
  const gap = (rs: Array<{ test: number; train: number }>) => stat(rs.map((r) => r.train - r.test));
  rows.push(`| ${variant} | ${stat(results.map((r) => r.test))} | ${gap(results)} | ${torch.length ? stat(torch.map((r) => r.test)) : '—'} | ${torch.length ? gap(torch) : '—'} |`);
}
console.log(`\n${experiment}: ${n} training images, ${epochs} epochs, Adam 1e-3, batch 64, seeds ${seeds.join(', ')}\n`);
console.log('| variant | trainkit test | trainkit train−test gap | PyTorch test | PyTorch train−test gap |');
console.log('|---|---|---|---|---|');
for (const r of rows) console.log(r);
