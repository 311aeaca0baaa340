/**
 * Per-op profile of one training step of the reference CNN (the bench's cnn-train row: batch 64
 * of 1×28×28, cross-entropy, Adam), trainkit next to PyTorch's profiler, one thread each:
 *
 *   flock /tmp/h/heavy.lock nice -n 5 node --conditions=@trainkit/source --import tsx \
 *     tools/bench/src/profileCnn.ts [--steps 20]
 *
 * writes tools/bench/results/profile-cnn.md. How each side is measured:
 * - trainkit, forward: the model's layers run one segment at a time, as Sequential runs them
 *   (conv + ReLU + pool fused), each timed by the clock; backward: each graph node's backward
 *   closure timed by the clock, charged to its op (Tensor.backward runs them in its usual order);
 *   optimizer: `opt.step` and zeroing the gradients, by the clock.
 * - PyTorch (runners/torch_profile_cnn.py): torch.profiler, the same forward segments as
 *   record_function regions, backward by autograd node, self CPU time.
 * Both step times without instrumentation are printed too.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parameterRefs } from '@trainkit/core';
import { type Conv2d, type Linear, type Sequential, manualSeed, mnistCnn } from '@trainkit/nn';
import { adam } from '@trainkit/optim-adam';
import { Tensor, crossEntropy, getKernelVariant } from '@trainkit/tensor';
import { PYTHON, TORCH_ENV } from './processes';
import { ADAM, BATCH, lcg } from './spec';

type Phase = 'forward' | 'backward' | 'optimizer' | 'other';
interface Profile {
  stepMs: number;
  profiledStepMs: number;
  groups: Array<{ phase: Phase; op: string; ms: number }>;
  describe: string;
}

/** Rows of the table: an op group in one phase, with the patterns of each side's names in it. */
const ROWS: ReadonlyArray<{ phase: Phase; row: string; test: RegExp }> = [
  { phase: 'forward', row: 'conv1 (1→8) + ReLU + pool', test: /^conv1/ },
  { phase: 'forward', row: 'conv2 (8→16) + ReLU + pool', test: /^conv2/ },
  { phase: 'forward', row: 'flatten', test: /^flatten/ },
  { phase: 'forward', row: 'linear 784→10', test: /^linear/ },
  { phase: 'forward', row: 'cross-entropy', test: /^cross-entropy/ },
  { phase: 'backward', row: 'convolutions + ReLU + pool', test: /conv|Convolution|Relu|MaxPool/i },
  { phase: 'backward', row: 'linear', test: /^linear$|Addmm|^TBackward|^MmBackward/ },
  { phase: 'backward', row: 'cross-entropy', test: /crossEntropy|NllLoss|LogSoftmax/ },
  { phase: 'backward', row: 'flatten (reshape)', test: /reshape|flatten|View|Reshape/i },
  { phase: 'backward', row: 'gradient accumulation into parameters', test: /AccumulateGrad/ },
  { phase: 'optimizer', row: 'Adam step + zero grads', test: /\(optimizer\)/ },
];

/** The table row of an op in a phase: `phase: row`, or the phase's "other" row (allocation, bookkeeping). */
function rowOf(phase: Phase, op: string): string {
  const row = ROWS.find((r) => r.phase === phase && r.test.test(op))?.row ?? 'other (allocation, autograd bookkeeping)';
  return `${phase}: ${row}`;
}

/** trainkit's step with every segment, backward closure and the optimizer timed; milliseconds per step. */
function profileTrainkit(steps: number): Profile {
  manualSeed(0);
  const model = mnistCnn() as Sequential;
  const opt = adam({ lr: ADAM.lr });
  model.train();
  const r = lcg(1);
  const x = new Tensor(Float32Array.from({ length: BATCH * 784 }, r), [BATCH, 1, 28, 28]);
  const y = Int32Array.from({ length: BATCH }, () => Math.floor(r() * 10));
  const [conv1, conv2, flatten, fc] = [model.at('conv1') as Conv2d, model.at('conv2') as Conv2d, model.at('flatten'), model.at('fc') as Linear];
  const ms = new Map<string, number>();
  const add = (phase: Phase, op: string, t0: number) => {
    const key = `${phase}\t${op}`;
    ms.set(key, (ms.get(key) ?? 0) + performance.now() - t0);
  };
  const timed = <T>(phase: Phase, op: string, fn: () => T): T => {
    const t0 = performance.now();
    const out = fn();
    add(phase, op, t0);
    return out;
  };
  const step = (profiled: boolean) => {
    const seg = profiled ? timed : <T>(_p: Phase, _o: string, fn: () => T) => fn();
    let h = seg('forward', 'conv1', () => conv1.forwardReluPool(x));
    h = seg('forward', 'conv2', () => conv2.forwardReluPool(h));
    h = seg('forward', 'flatten', () => flatten.call(h));
    h = seg('forward', 'linear', () => fc.call(h));
    const loss = seg('forward', 'cross-entropy', () => crossEntropy(h, y));
    if (profiled) timeBackwardClosures(loss, add);
    loss.backward();
    seg('optimizer', '(optimizer)', () => {
      opt.step(parameterRefs(model));
      for (const p of model.parameters()) p.zeroGrad();
    });
  };
  step(false);
  step(false);
  let t0 = performance.now();
  for (let i = 0; i < steps; i++) step(false);
  const stepMs = (performance.now() - t0) / steps;
  t0 = performance.now();
  for (let i = 0; i < steps; i++) step(true);
  const profiledStepMs = (performance.now() - t0) / steps;
  const groups = [...ms].map(([key, total]) => {
    const [phase, op] = key.split('\t') as [Phase, string];
    return { phase, op, ms: total / steps };
  });
  return { stepMs, profiledStepMs, groups, describe: `trainkit (${getKernelVariant()} kernels, Node ${process.version}), 1 thread` };
}

/** Wraps the backward closure of every node of `loss`'s graph with a timer charged to the node's op. */
function timeBackwardClosures(loss: Tensor, add: (phase: Phase, op: string, t0: number) => void): void {
  const seen = new Set<Tensor>();
  const todo = [loss];
  while (todo.length > 0) {
    const node = todo.pop() as Tensor;
    if (seen.has(node)) continue;
    seen.add(node);
    const run = node._backward;
    if (run !== null) {
      node._backward = () => {
        const t0 = performance.now();
        run();
        add('backward', node.op, t0);
      };
    }
    todo.push(...node._parents);
  }
}

function profileTorch(root: string, steps: number): Profile | string {
  const script = join(root, 'src', 'runners', 'torch_profile_cnn.py');
  const r = spawnSync(PYTHON, [script, '--steps', String(steps)], { encoding: 'utf8', env: { ...process.env, ...TORCH_ENV }, timeout: 600_000 });
  const line = r.stdout?.split('\n').find((l) => l.startsWith('PROFILE '));
  if (r.status !== 0 || line === undefined) return `torch_profile_cnn.py failed (${r.status}): ${(r.stderr ?? '').trim().split('\n').slice(-1)[0]}`;
  const p = JSON.parse(line.slice(8)) as Profile & { torch: string };
  return { ...p, describe: `PyTorch ${p.torch}, 1 thread (torch.profiler)` };
}

/** Milliseconds per step by table row. */
function byRow(p: Profile): Map<string, number> {
  const out = new Map<string, number>();
  for (const g of p.groups) out.set(rowOf(g.phase, g.op), (out.get(rowOf(g.phase, g.op)) ?? 0) + g.ms);
  return out;
}

function render(tk: Profile, torch: Profile | string): string {
  const a = byRow(tk);
  const b = typeof torch === 'string' ? new Map<string, number>() : byRow(torch);
  const total = (m: Map<string, number>) => [...m.values()].reduce((s, v) => s + v, 0);
  const [ta, tb] = [total(a), total(b)];
  const rows = [...new Set([...ROWS.map((r) => `${r.phase}: ${r.row}`), ...a.keys(), ...b.keys()])].filter((r) => a.has(r) || b.has(r));
  const cell = (m: Map<string, number>, t: number, row: string) => (m.has(row) ? `${m.get(row)!.toFixed(3)} (${((100 * m.get(row)!) / t).toFixed(1)} %)` : '—');
  const ratio = (row: string) => (a.has(row) && b.has(row) && b.get(row)! > 0 ? `${(a.get(row)! / b.get(row)!).toFixed(2)}×` : '—');
  return [
    `- trainkit: ${tk.describe}; step ${tk.stepMs.toFixed(2)} ms uninstrumented, ${tk.profiledStepMs.toFixed(2)} ms timed`,
    typeof torch === 'string' ? `- PyTorch: ${torch}` : `- PyTorch: ${torch.describe}; step ${torch.stepMs.toFixed(2)} ms uninstrumented, ${torch.profiledStepMs.toFixed(2)} ms profiled`,
    '',
    '| phase: op | trainkit ms per step (share) | PyTorch ms per step (share) | trainkit ÷ PyTorch time |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r} | ${cell(a, ta, r)} | ${cell(b, tb, r)} | ${ratio(r)} |`),
    `| **sum of rows** | ${ta.toFixed(3)} | ${typeof torch === 'string' ? '—' : tb.toFixed(3)} | ${tb > 0 ? `${(ta / tb).toFixed(2)}×` : '—'} |`,
    '',
  ].join('\n');
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { steps: { type: 'string', default: '20' } } });
const steps = Number(values.steps);
if (!Number.isInteger(steps) || steps < 1) throw new Error(`profileCnn: --steps must be a positive integer, got ${values.steps}`);
const tk = profileTrainkit(steps);
const torch = profileTorch(root, steps);
const md = [
  '# Per-op profile of one training step: the reference CNN',
  '',
  `Written by \`tools/bench/src/profileCnn.ts\` on ${new Date().toISOString().slice(0, 10)} (${steps} timed steps after warm-up, batch ${BATCH} of 1×28×28, Adam, one thread). Milliseconds per step; shares are of the framework's own sum of rows. See the script's header for how each side is measured.`,
  '',
  render(tk, torch),
].join('\n');
const out = join(root, 'results', 'profile-cnn.md');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, md);
console.log(md);
