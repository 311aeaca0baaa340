/**
 * Transfer learning on real data, trainkit next to PyTorch on the same setup:
 *
 * 1. pretrain the reference CNN on MNIST (60,000 images, 3 epochs, Adam 1e-3, batch 64);
 * 2. train on Fashion-MNIST with 100 labelled images per class (images 0..99 of each class of
 *    trainkit's split), 30 epochs, batch 64, with four recipes;
 * 3. test on images 6000..6999 of each class (10,000 images).
 *
 *   node --conditions=@trainkit/source --import tsx tools/transfer/src/table.ts \
 *     [--seeds 0,1,2] [--recipes scratch,frozen,finetune,staged] [--torch] [--val]
 *
 * Pretrained networks are checkpointed in tools/transfer/.cache (pretraining resumes from
 * `latest` if killed, and is reused by later runs). With --torch, tools/transfer/torch_transfer.py
 * (Debian's python3-torch) runs the same recipes in the same invocation. Every finished run is
 * appended to tools/transfer/results/runs.jsonl as it completes; the table is printed at the end.
 * --val tests on images 100..1099 of each class instead (how recipe (iv) was chosen). --reuse takes
 * trainkit runs already recorded there (same recipe, seed, split and options) instead of
 * training them again: the trainkit side of the table takes about an hour on a loaded machine.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Trainer } from '@trainkit/core';
import { DataLoader, TensorDataset } from '@trainkit/data';
import { loadFashionMnist, loadMnist } from '@trainkit/data/node';
import { checkpoint, readCheckpoint, writeCheckpoint } from '@trainkit/checkpoint/node';
import { manualSeed, mnistCnn } from '@trainkit/nn';
import { adam } from '@trainkit/optim-adam';
import type { PretrainedSource } from '@trainkit/transfer';
import { RECIPES, STAGED_DEFAULTS, type Recipe, type StagedOptions, describeStaged } from './recipes';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '0,1,2' },
    recipes: { type: 'string', default: RECIPES.map((r) => r.name).join(',') },
    torch: { type: 'boolean', default: false },
    val: { type: 'boolean', default: false },
    'unfreeze-at': { type: 'string', default: String(STAGED_DEFAULTS.unfreezeAt) },
    'backbone-lr': { type: 'string', default: String(STAGED_DEFAULTS.backboneLr) },
    cosine: { type: 'string', default: String(STAGED_DEFAULTS.cosine) },
    translate: { type: 'string', default: String(STAGED_DEFAULTS.translate) },
    'head-lr': { type: 'string', default: String(STAGED_DEFAULTS.headLr) },
    'keep-frozen': { type: 'string', default: STAGED_DEFAULTS.keepFrozen },
    // for a quick smoke test only: fewer epochs and pretraining images (the cache then holds a weak network: use another --cache)
    epochs: { type: 'string', default: '30' },
    'pretrain-limit': { type: 'string' },
    cache: { type: 'string', default: join(dirname(fileURLToPath(import.meta.url)), '..', '.cache') },
    // take trainkit runs already in results/runs.jsonl (same recipe, seed, split and options) instead of training them again
    reuse: { type: 'boolean', default: false },
    // write the table also to results/<out> (markdown), for the docs
    out: { type: 'string' },
  },
});
const seeds = values.seeds.split(',').map(Number);
const recipes = values.recipes.split(',').map((n) => RECIPES.find((r) => r.name === n) ?? fail(`unknown recipe ${n} (recipes: ${RECIPES.map((r) => r.name).join(', ')})`));
const staged: StagedOptions = { unfreezeAt: Number(values['unfreeze-at']), backboneLr: Number(values['backbone-lr']), cosine: values.cosine === 'true', translate: Number(values.translate), headLr: Number(values['head-lr']), keepFrozen: values['keep-frozen'] };
const cache = values.cache;
const epochs = Number(values.epochs);
const results = join(root, 'results', 'runs.jsonl');
mkdirSync(dirname(results), { recursive: true });
const runId = new Date().toISOString();

function fail(message: string): never {
  throw new Error(`transfer table: ${message}`);
}

/** MNIST-pretrained reference CNN for a seed: from the cache, or trained (and checkpointed, so a killed pretraining resumes). */
async function pretrained(seed: number): Promise<PretrainedSource> {
  const file = join(cache, `mnist-cnn-seed${seed}.safetensors`);
  if (!existsSync(file)) {
    const t0 = performance.now();
    manualSeed(seed);
    const model = mnistCnn();
    const ckpt = checkpoint({ dir: join(cache, `pretraining-seed${seed}`), everyNSteps: 300 });
    const trainer = new Trainer({ optimizer: adam({ lr: 1e-3 }), seed, plugins: [ckpt] });
    const train = new DataLoader(await loadMnist({ split: 'train', limit: values['pretrain-limit'] === undefined ? undefined : Number(values['pretrain-limit']) }), { batchSize: 64, shuffle: true });
    await trainer.fit(model, { train, epochs: 3, resume: 'latest' });
    await writeCheckpoint(file, { model: model.stateDict(), metadata: { task: 'MNIST, 3 epochs, Adam 1e-3, batch 64', seed: String(seed) } });
    console.log(`pretrained seed ${seed} on MNIST in ${((performance.now() - t0) / 1000).toFixed(0)} s${ckpt.resumedFrom ? ` (resumed from ${ckpt.resumedFrom})` : ''}`);
  }
  return readCheckpoint(file, { requireChecksum: true });
}

async function fashion(): Promise<{ train: TensorDataset; test: TensorDataset }> {
  const train = await loadFashionMnist({ split: 'train', limit: 1000 }); // images 0..99 of each class (class-interleaved)
  if (!values.val) return { train, test: await loadFashionMnist({ split: 'test' }) }; // images 6000..6999 of each class
  const first1100 = await loadFashionMnist({ split: 'train', limit: 11_000 }); // samples 1000..10999 = images 100..1099 of each class
  return { train, test: new TensorDataset({ x: first1100.x.slice(1000 * 784), y: first1100.y.slice(1000), sampleShape: [1, 28, 28], numClasses: 10 }) };
}

interface RunRecord {
  framework: string;
  recipe: string;
  seed: number;
  accuracy: number;
  val: boolean;
  staged: StagedOptions;
}

/** A finished trainkit run of the same recipe, seed, split (and staged options) from an earlier invocation. */
function previous(recipe: Recipe, seed: number): RunRecord | undefined {
  if (!values.reuse || !existsSync(results)) return undefined;
  const runs = readFileSync(results, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RunRecord);
  return runs.reverse().find((r) => r.framework === 'trainkit' && r.recipe === recipe.name && r.seed === seed && r.val === values.val && (recipe.name !== 'staged' || JSON.stringify(r.staged) === JSON.stringify(staged)));
}

async function runRecipe(recipe: Recipe, seed: number, pre: PretrainedSource, data: { train: TensorDataset; test: TensorDataset }): Promise<number> {
  const done = previous(recipe, seed);
  if (done !== undefined) {
    console.log(`trainkit ${recipe.name} seed ${seed}: ${(100 * done.accuracy).toFixed(2)}%  (from results/runs.jsonl)`);
    return done.accuracy;
  }
  const t0 = performance.now();
  const { model, optimizer, plugins } = recipe.build(seed, pre, staged);
  const trainer = new Trainer({ optimizer, seed, plugins });
  await trainer.fit(model, { train: new DataLoader(data.train, { batchSize: 64, shuffle: true }), epochs });
  const { accuracy } = await trainer.evaluate(model, new DataLoader(data.test, { batchSize: 1000 }));
  const seconds = (performance.now() - t0) / 1000;
  console.log(`trainkit ${recipe.name} seed ${seed}: ${(100 * accuracy).toFixed(2)}%  (${seconds.toFixed(0)} s)`);
  if (epochs === 30 && values['pretrain-limit'] === undefined) appendFileSync(results, JSON.stringify({ runId, framework: 'trainkit', recipe: recipe.name, seed, accuracy, seconds, val: values.val, staged }) + '\n');
  return accuracy;
}

function torchResults(): Map<string, number[]> {
  const args = [join(root, 'torch_transfer.py'), '--seeds', ...seeds.map(String), '--recipes', ...recipes.map((r) => r.name), '--pretrained-dir', cache,
    '--unfreeze-at', String(staged.unfreezeAt), '--backbone-lr', String(staged.backboneLr), '--translate', String(staged.translate), '--head-lr', String(staged.headLr), ...(staged.keepFrozen ? ['--keep-frozen', staged.keepFrozen] : []), ...(staged.cosine ? ['--cosine'] : []), ...(values.val ? ['--val'] : [])];
  const out = execFileSync('/usr/bin/python3', args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  const accs = new Map<string, number[]>();
  for (const line of out.trim().split('\n')) {
    const r = JSON.parse(line) as { recipe?: string; seed?: number; accuracy?: number; seconds?: number };
    if (r.recipe === undefined || r.accuracy === undefined) continue;
    console.log(`pytorch ${r.recipe} seed ${r.seed}: ${(100 * r.accuracy).toFixed(2)}%  (${r.seconds} s)`);
    appendFileSync(results, JSON.stringify({ runId, framework: 'pytorch', ...r, val: values.val, staged }) + '\n');
    accs.set(r.recipe, [...(accs.get(r.recipe) ?? []), r.accuracy]);
  }
  return accs;
}

const stats = (xs: number[]) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean: 100 * mean, std: 100 * Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length) };
};
const fmt = (xs: number[] | undefined) => (xs && xs.length ? `${stats(xs).mean.toFixed(1)} ± ${stats(xs).std.toFixed(1)}` : '—');

const torch = values.torch ? torchResults() : new Map<string, number[]>();
const data = await fashion();
const ours = new Map<string, number[]>();
for (const seed of seeds) {
  let pre: PretrainedSource | null = null;
  for (const r of recipes) {
    if (previous(r, seed) === undefined) pre ??= await pretrained(seed);
    ours.set(r.name, [...(ours.get(r.name) ?? []), await runRecipe(r, seed, pre as PretrainedSource, data)]);
  }
}

const lines = [`Fashion-MNIST, 100 labelled images per class, ${epochs} epochs, batch 64; test = ${values.val ? 'images 100..1099 (validation)' : 'images 6000..6999'} of each class; seeds ${seeds.join(', ')}; test accuracy %, mean ± std`, ''];
lines.push('| recipe | trainkit | PyTorch (same run) | issue target | trainkit − target |', '|---|---|---|---|---|');
for (const r of recipes) {
  const mine = ours.get(r.name) ?? [];
  const delta = r.target && mine.length ? (stats(mine).mean - r.target.mean).toFixed(1) : '—';
  const title = r.name === 'staged' ? `${r.title}: ${describeStaged(staged)}` : r.title;
  lines.push(`| ${title} | ${fmt(mine)} | ${fmt(torch.get(r.name))} | ${r.target ? `${r.target.mean} ± ${r.target.std}` : 'must beat (ii)'} | ${delta} |`);
}
lines.push('', ...perSeed(ours, 'trainkit'), ...(values.torch ? perSeed(torch, 'PyTorch') : []));
console.log(`\n${lines.join('\n')}`);
if (epochs === 30 && values['pretrain-limit'] === undefined && values.out !== undefined) writeFileSync(join(root, 'results', values.out), lines.join('\n') + '\n');

/** Per seed, each recipe's accuracy and whether (iv) beats the frozen backbone (ii) on that seed. */
function perSeed(accs: Map<string, number[]>, who: string): string[] {
  const row = (name: string) => (accs.get(name) ?? []).map((a) => (100 * a).toFixed(2)).join(' / ');
  const out = [`Per seed (${seeds.join(' / ')}), ${who}: ${recipes.map((r) => `${r.name} ${row(r.name)}`).join('; ')}.`];
  const [st, fr] = [accs.get('staged'), accs.get('frozen')];
  if (st && fr && st.length === fr.length) {
    const margins = st.map((a, i) => 100 * (a - fr[i]));
    out.push(`${who}: (iv) − (ii) per seed ${margins.map((m) => `${m >= 0 ? '+' : ''}${m.toFixed(2)}`).join(' / ')}; (iv) beats (ii) on ${margins.filter((m) => m > 0).length} of ${margins.length} seeds.`);
  }
  return out.map((l) => `${l}\n`);
}
