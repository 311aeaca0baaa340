/**
 * Per-op profile of one training step of the zoo's bench models (ResNet-8 and ViT-tiny, spec.ts
 * ZOO, batch 64 of 1×28×28), trainkit next to PyTorch's profiler on the same model, one thread:
 *
 *   flock /tmp/h/heavy.lock nice -n 5 node --conditions=@trainkit/source --import tsx \
 *     tools/bench/src/profileModels.ts [--steps 5]
 *
 * writes tools/bench/results/profile-models.md. Every op's time is a share of its framework's
 * whole step, and the page flags each new op (LayerNorm, GELU, softmax, attention matmuls,
 * BatchNorm, pooling) whose trainkit share is above 3× PyTorch's share for the same op group.
 *
 * How trainkit is measured: the forward pass under V8's sampling profiler (node:inspector,
 * 50 µs), each sample charged to the outermost @trainkit/tensor op on its stack (what the model
 * called); the backward pass exactly, by Tensor.backward's own pass with an observer timing each
 * node's closure by its op (a garbage-collection pause inside one, reported by a
 * PerformanceObserver, is charged to the collector); the optimizer step by the clock.
 * PyTorch: runners/torch_profile_models.py (torch.profiler, self CPU time by outermost aten op
 * in the forward pass and by autograd node in the backward pass).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { Session } from 'node:inspector/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type Optimizer, parameterRefs } from '@trainkit/core';
import { resnet, vitTiny } from '@trainkit/models';
import { type Module, manualSeed } from '@trainkit/nn';
import { adamw } from '@trainkit/optim-adam';
import { momentum } from '@trainkit/optim-momentum';
import { Arena, Tensor, backward, crossEntropy, getKernelBackend } from '@trainkit/tensor';
import { PYTHON, TORCH_ENV } from './processes';
import { type Phase, type Timing, type ProfileGroup, renderProfile } from './profileModelsTable';
import { ADAMW, BATCH, MOMENTUM, ZOO, lcg } from './spec';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const MODELS: Record<'resnet8' | 'vit', { title: string; make: () => [Module, Optimizer] }> = {
  resnet8: { title: 'ResNet-8 (width 16), momentum', make: () => [resnet({ ...ZOO.resnet8 }), momentum(MOMENTUM)] },
  vit: { title: 'ViT-tiny (patch 4, dim 64, depth 4, 4 heads), AdamW', make: () => [vitTiny({ ...ZOO.vit }), adamw(ADAMW)] },
};

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string }; children?: number[] }>;
  samples: number[];
  timeDeltas: number[];
}

/** Milliseconds of a V8 CPU profile by the outermost @trainkit/tensor op function on each sample's stack. */
function forwardByOp(profile: CpuProfile, into: Map<string, number>): void {
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const label = new Map<number, string>();
  const labelOf = (id: number): string => {
    const known = label.get(id);
    if (known !== undefined) return known;
    let op = '(model code)';
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const f = byId.get(at)!.callFrame;
      if (/packages\/tensor\/src\/ops\//.test(f.url) && f.functionName !== '') op = f.functionName;
      else if (f.functionName === '(garbage collector)') op = '(garbage collector)';
    }
    label.set(id, op);
    return op;
  };
  profile.samples.forEach((id, i) => {
    const name = byId.get(id)!.callFrame.functionName;
    if (name === '(idle)' || name === '(program)') return;
    const op = labelOf(id);
    into.set(op, (into.get(op) ?? 0) + profile.timeDeltas[i] / 1000);
  });
}

/** Garbage-collection pauses seen by a PerformanceObserver, on performance.now()'s clock. */
const gcPauses: Array<[number, number]> = [];
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcPauses.push([e.startTime, e.startTime + e.duration]);
});

/**
 * The real backward pass (in the step arena, gradient buffers recycled, as in training), each node's closure timed
 * and charged to its op. A garbage-collection pause inside a closure is charged to "(garbage
 * collector)" instead: the first large gradient of a step tends to trigger V8's collection of the
 * forward pass's buffers, and that is the allocator's cost, not the op's.
 */
async function timedBackward(loss: Tensor, into: Map<string, number>, arena: Arena): Promise<void> {
  const spans: Array<[number, number, string]> = [];
  arena.run(() => backward(loss, undefined, (node, run) => {
    const t0 = performance.now();
    run();
    spans.push([t0, performance.now(), node.op]);
  }));
  await new Promise((resolve) => setImmediate(resolve)); // let the observer deliver this pass's entries
  const pauses = gcPauses.splice(0);
  for (const [t0, t1, op] of spans) {
    let gc = 0;
    for (const [g0, g1] of pauses) gc += Math.max(0, Math.min(t1, g1) - Math.max(t0, g0));
    into.set(op, (into.get(op) ?? 0) + t1 - t0 - gc);
    if (gc > 0) into.set('(garbage collector)', (into.get('(garbage collector)') ?? 0) + gc);
  }
}

/** trainkit's step, `steps` times after two warm-ups: milliseconds per step by phase and op. */
async function profileTrainkit(name: keyof typeof MODELS, steps: number): Promise<Timing> {
  manualSeed(0);
  const [model, opt] = MODELS[name].make();
  model.train();
  const r = lcg(1);
  const x = new Tensor(Float32Array.from({ length: BATCH * 784 }, r), [BATCH, 1, 28, 28]);
  const y = Int32Array.from({ length: BATCH }, () => Math.floor(r() * 10));
  const update = () => {
    opt.step(parameterRefs(model));
    for (const p of model.parameters()) p.zeroGrad();
  };
  const arena = new Arena(); // as the Trainer runs a step (TrainerOptions.arena)
  const plain = () => (arena.reset(), arena.run(() => crossEntropy(model.call(x), y).backward()), update());
  plain();
  plain();
  let t0 = performance.now();
  for (let i = 0; i < steps; i++) plain();
  const stepMs = (performance.now() - t0) / steps;

  gcObserver.observe({ entryTypes: ['gc'] });
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 50 });
  const phases: Record<Phase, Map<string, number>> = { forward: new Map(), backward: new Map(), optimizer: new Map() };
  t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    await session.post('Profiler.start');
    arena.reset();
    const loss = arena.run(() => crossEntropy(model.call(x), y));
    const { profile } = (await session.post('Profiler.stop')) as { profile: CpuProfile };
    forwardByOp(profile, phases.forward);
    await timedBackward(loss, phases.backward, arena);
    const t1 = performance.now();
    update();
    phases.optimizer.set('(optimizer)', (phases.optimizer.get('(optimizer)') ?? 0) + performance.now() - t1);
  }
  const profiledStepMs = (performance.now() - t0) / steps;
  session.disconnect();
  gcObserver.disconnect();
  gcPauses.length = 0;
  const groups: ProfileGroup[] = [];
  for (const phase of ['forward', 'backward', 'optimizer'] as const) for (const [op, ms] of phases[phase]) groups.push({ phase, op, ms: ms / steps });
  return { stepMs, profiledStepMs, groups, describe: `trainkit, ${getKernelBackend()} kernels, 1 thread` };
}

function profileTorch(name: string, steps: number): Timing | string {
  const script = join(root, 'src', 'runners', 'torch_profile_models.py');
  const r = spawnSync(PYTHON, [script, '--model', name, '--steps', String(steps)], { encoding: 'utf8', env: { ...process.env, ...TORCH_ENV }, timeout: 600_000 });
  const line = r.stdout?.split('\n').find((l) => l.startsWith('PROFILE '));
  if (r.status !== 0 || line === undefined) return `torch_profile_models.py failed (${r.status}): ${(r.stderr ?? '').trim().split('\n').slice(-1)[0]}`;
  const p = JSON.parse(line.slice(8)) as Timing & { torch: string };
  return { ...p, describe: `PyTorch ${p.torch}, 1 thread (torch.profiler)` };
}

const { values } = parseArgs({ options: { steps: { type: 'string', default: '5' } } });
const steps = Number(values.steps);
if (!Number.isInteger(steps) || steps < 1) throw new Error(`profileModels: --steps must be a positive integer, got ${values.steps}`);
const sections: string[] = [];
for (const name of Object.keys(MODELS) as Array<keyof typeof MODELS>) {
  console.log(`profiling ${name} (${steps} steps each) ...`);
  const tk = await profileTrainkit(name, steps);
  const torch = profileTorch(name, steps);
  sections.push(renderProfile(MODELS[name].title, tk, torch));
}
const out = join(root, 'results', 'profile-models.md');
mkdirSync(dirname(out), { recursive: true });
const head = `# Per-op profile of one training step: ResNet-8 and ViT-tiny\n\nWritten by \`tools/bench/src/profileModels.ts\` on ${new Date().toISOString().slice(0, 10)} (${steps} profiled steps per model, batch ${BATCH} of 1×28×28, one thread). Times are milliseconds per step; shares are of the framework's own profiled step. See the script's header for how each side is measured.\n`;
writeFileSync(out, [head, ...sections].join('\n'));
console.log(`written to ${out}`);
