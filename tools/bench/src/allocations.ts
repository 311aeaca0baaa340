/**
 * Steady-state allocation of one training step: bytes of new typed arrays (and ArrayBuffers) per
 * step of the bench's MLP and reference CNN rows, after a warm-up, counted (not estimated):
 *
 *   flock /tmp/h/heavy.lock nice -n 5 node --conditions=@trainkit/source --import tsx \
 *     tools/bench/src/allocations.ts [--steps 20] [--threads 2]
 *
 * writes tools/bench/results/allocations.md (and .json), with the call sites that allocate the
 * most. `npm run bench:alloc` runs it; with Node 26: node tools/bench/node26/run.mjs … the same.
 * What counts: see allocCounter.ts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { manualSeed, mnistCnn, mnistMlp } from '@trainkit/nn';
import { resnet, vitTiny } from '@trainkit/models';
import { adam, adamw } from '@trainkit/optim-adam';
import { momentum } from '@trainkit/optim-momentum';
import { getKernelVariant, getThreads } from '@trainkit/tensor';
import { startThreadPool } from '@trainkit/tensor/node';
import { type AllocationCounter, installAllocationCounter } from './allocCounter';
import { trainStep } from './trainStep';
import { ADAM, ADAMW, MOMENTUM, ZOO } from './spec';

interface Row {
  workload: string;
  bytesPerStep: number;
  arraysPerStep: number;
  topSites: Array<{ site: string; bytesPerStep: number }>;
}

function measureRow(count: AllocationCounter, workload: string, step: () => void, warmup: number, steps: number): Row {
  for (let i = 0; i < warmup; i++) step();
  count.reset();
  count.on = true;
  for (let i = 0; i < steps; i++) step();
  count.on = false;
  const topSites = [...count.sites].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([s, b]) => ({ site: s, bytesPerStep: b / steps }));
  return { workload, bytesPerStep: count.bytes / steps, arraysPerStep: count.arrays / steps, topSites };
}

const { values } = parseArgs({ options: { steps: { type: 'string', default: '20' }, threads: { type: 'string', default: '1' } } });
const steps = Number(values.steps);
const threads = Number(values.threads);
if (!Number.isInteger(steps) || steps < 1) throw new Error(`allocations: --steps must be a positive integer, got ${values.steps}`);
if (threads > 1) await startThreadPool(threads);
const counter = installAllocationCounter();
const rows = [
  (manualSeed(0), measureRow(counter, 'MLP 784-256-10 train, Adam, batch 64', trainStep(mnistMlp(), adam({ lr: ADAM.lr })), 5, steps)),
  (manualSeed(0), measureRow(counter, 'reference CNN train, Adam, batch 64', trainStep(mnistCnn(), adam({ lr: ADAM.lr })), 5, steps)),
  (manualSeed(0), measureRow(counter, 'ResNet-8 (width 16) train, momentum, batch 64', trainStep(resnet({ ...ZOO.resnet8 }), momentum(MOMENTUM)), 3, Math.min(steps, 5))),
  (manualSeed(0), measureRow(counter, 'ViT-tiny train, AdamW, batch 64', trainStep(vitTiny({ ...ZOO.vit }), adamw(ADAMW)), 3, Math.min(steps, 3))),
];
const kib = (b: number) => (b < 1024 ? `${b.toLocaleString('en-US', { maximumFractionDigits: 1 })} bytes` : `${(b / 1024).toLocaleString('en-US', { maximumFractionDigits: 1 })} KiB`);
const md = [
  '# Allocation per training step (steady state)',
  '',
  `Written by \`tools/bench/src/allocations.ts\` on ${new Date().toISOString().slice(0, 10)}: Node ${process.version}, ${getKernelVariant()} kernels, ${getThreads()} thread(s); 5 warm-up steps, then ${steps} counted steps (ResNet-8 and ViT-tiny: 3 warm-up steps, then at most 5 and 3). Each step's forward and backward passes run in an activation arena, as the Trainer runs them. Bytes of new typed arrays and ArrayBuffers per step (views on existing memory count 0). Target: 0.`,
  '',
  '| workload | bytes per step | typed arrays per step |',
  '|---|---|---|',
  ...rows.map((r) => `| ${r.workload} | ${kib(r.bytesPerStep)} | ${r.arraysPerStep.toFixed(1)} |`),
  '',
  ...rows.flatMap((r) => (r.topSites.length === 0 ? [] : [`## Where: ${r.workload}`, '', '| call site | per step |', '|---|---|', ...r.topSites.map((s) => `| \`${s.site}\` | ${kib(s.bytesPerStep)} |`), ''])),
].join('\n');
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'results', 'allocations.md');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, md);
writeFileSync(join(root, 'results', 'allocations.json'), JSON.stringify({ node: process.version, variant: getKernelVariant(), threads: getThreads(), steps, rows }, null, 2) + '\n');
console.log(md);
process.exit(0);
