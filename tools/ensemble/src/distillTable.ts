/**
 * The distillation table on MNIST (test set, 10,000 images), trainkit and PyTorch 1.13 in the
 * same invocation: a teacher of 5 reference CNNs (the members of the ensemble table: Adam 1e-3,
 * batch 64, 1 epoch, seeds 0–4) distilled into one reference CNN, against the same student
 * trained without distillation from the same seed (student seeds 100, 101, 102).
 *
 *   flock /tmp/h/heavy.lock nice -n 5 npm run distill:table -- --phase teacher
 *   flock /tmp/h/heavy.lock nice -n 5 npm run distill:table -- --phase target   (the recipe's teacher on the test set, a row of its own)
 *   flock /tmp/h/heavy.lock nice -n 5 npm run distill:table -- --phase student --seed 0   (then 1, 2)
 *   npm run distill:table -- --phase report
 *
 * The teacher phase trains and saves the members (runs/distill/teacher, and PyTorch's averaged
 * probabilities in runs/distill/torch) and times inference; each student phase trains the plain
 * and the distilled student one after the other, then PyTorch's pair. Every phase appends its
 * rows to results/distill.jsonl; student and report phases rewrite results/distill.md from it.
 * The recipe (the teacher's combination and temperature τ, T and α) comes from the validation
 * search (distillSearch.ts): one recipe for every seed and both frameworks. The search runs in
 * PyTorch, on a validation split, and appends to results/distill-search.jsonl:
 *   nice -n 5 /usr/bin/python3 tools/ensemble/torch_distill_search.py --phase teacher
 *   nice -n 5 /usr/bin/python3 tools/ensemble/torch_distill_search.py --phase students --seeds 100 --recipes logits:fit:1:0.5,…
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DataLoader, type TensorDataset } from '@trainkit/data';
import { loadMnist } from '@trainkit/data/node';
import { Ensemble, evaluateEnsemble, formatMetricsTable, metricsRow, type MetricsRow } from '@trainkit/ensemble';
import { loadEnsemble, memberProgressPrinter, saveMember, trainEnsemble } from '@trainkit/ensemble/node';
import { mnistCnn } from '@trainkit/nn';
import { Tensor, concat, noGrad } from '@trainkit/tensor';
import type { CnnParams } from './cnnMember';
import { STUDENT_SEED_BASE, writeDistillReport } from './distillReport';
import { distillSetting, recipeName } from './distillSearch';
import { teacherLogits } from './teacherTable';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const { values } = parseArgs({
  options: {
    phase: { type: 'string', default: 'report' },
    seed: { type: 'string', default: '0' },
    members: { type: 'string', default: '5' },
    epochs: { type: 'string', default: '1' },
    limit: { type: 'string' },
    'no-torch': { type: 'boolean', default: false },
    out: { type: 'string', default: join(root, 'runs', 'distill') },
    results: { type: 'string', default: join(here, '..', 'results') },
  },
});
const members = Number(values.members);
const common = { epochs: Number(values.epochs), limit: values.limit === undefined ? undefined : Number(values.limit) };
const teacherDir = join(values.out, 'teacher');
const torchDir = join(values.out, 'torch');
const results = values.results;
const recipe = distillSetting(results);
const member = new URL('./cnnMember.ts', import.meta.url);
const log = (s: string) => process.stderr.write(`${s}\n`);
const hasTorch = !values['no-torch'] && spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const torchEnv = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };

/** Runs torch_distill.py with `args` and returns the JSON rows it prints. */
function torch(args: string[]): Array<Record<string, unknown>> | null {
  if (!hasTorch) return null;
  const all = [join(here, '..', 'torch_distill.py'), '--dir', torchDir, '--members', String(members), '--epochs', String(common.epochs), ...args];
  if (common.limit) all.push('--limit', String(common.limit));
  const out = execFileSync('/usr/bin/python3', all, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: torchEnv });
  return out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

function append(record: Record<string, unknown>): void {
  mkdirSync(results, { recursive: true });
  appendFileSync(join(results, 'distill.jsonl'), JSON.stringify({ date: new Date().toISOString(), members, ...common, ...record }) + '\n');
}

const test = await loadMnist({ split: 'test' });
const testLoader = new DataLoader(test, { batchSize: 1000 });
const outputsOf = (model: { call(x: Tensor): Tensor; eval(): unknown }) => {
  model.eval();
  return noGrad(() => concat([...testLoader].map((b) => model.call(b.x)), 0));
};
const seconds = (f: () => unknown) => {
  const t = performance.now();
  f();
  return (performance.now() - t) / 1000;
};

async function teacherPhase(): Promise<void> {
  log(`distillation teacher: ${members} members, ${common.epochs} epoch(s), saved to ${teacherDir}`);
  const all = await trainEnsemble<CnnParams>({
    member,
    seeds: Array.from({ length: members }, (_, i) => i),
    params: { variant: 'plain', ...common },
    concurrency: 2,
    onMemberEnd: (r) => saveMember(teacherDir, r).then(() => undefined),
    onProgress: memberProgressPrinter(),
  });
  const ensemble = new Ensemble(all.models);
  const report = await evaluateEnsemble(ensemble, testLoader, { names: all.members.map((m) => `member ${m.index} (seed ${m.seed})`), name: `ensemble of ${members} (probs)` });
  const inference = { member: seconds(() => outputsOf(all.models[0])), ensemble: seconds(() => outputsOf(ensemble)) };
  console.log(formatMetricsTable(report.rows));
  log('running the PyTorch teacher (tools/ensemble/torch_distill.py)…');
  const torchRows = torch(['--phase', 'teacher']);
  const torchInference = torchRows?.find((r) => 'ensemble' in r) ?? null;
  append({ phase: 'teacher', memberSeconds: all.members.map((m) => m.seconds), trainkit: report.rows, torch: torchRows?.filter((r) => r !== torchInference) ?? null, inference: { trainkit: inference, torch: torchInference } });
}

/** The file of the teacher's logits for the training images (computed once per teacher run and combination, see teacherTable.ts). */
async function trainingLogits(): Promise<string> {
  const file = join(values.out, `teacher-train-logits${recipe.combine === 'probs' ? '' : `-${recipe.combine}`}${common.limit ? `-${common.limit}` : ''}.f32`);
  const members = readdirSync(teacherDir).filter((f) => f.endsWith('.safetensors')).map((f) => join(teacherDir, f));
  const train = (await loadMnist({ split: 'train', limit: common.limit })) as TensorDataset;
  const t0 = performance.now();
  teacherLogits(await loadEnsemble(teacherDir, () => mnistCnn(), { method: recipe.combine }), train.x, [1, 28, 28], file, members);
  log(`teacher logits for ${train.length} training images ready in ${((performance.now() - t0) / 1000).toFixed(1)} s (${file})`);
  return file;
}

async function studentPhase(s: number): Promise<void> {
  const seed = STUDENT_SEED_BASE + s;
  log(`distillation students, seed ${seed}: plain and distilled (${recipeName(recipe)})`);
  const distilled: CnnParams = { variant: 'distilled', ...common, teacher: teacherDir, teacherLogits: await trainingLogits(), temperature: recipe.temperature, alpha: recipe.alpha, combine: recipe.combine, teacherTemperature: recipe.teacherTemperature };
  const trained = await trainEnsemble<CnnParams>({
    member,
    seeds: [seed, seed],
    params: (i) => (i === 0 ? { variant: 'plain', ...common } : distilled),
    concurrency: 1, // one member at a time: two at once share the kernels' threads and take longer than in turn
    onProgress: memberProgressPrinter(),
  });
  const rows: MetricsRow[] = [metricsRow(`plain student (seed ${seed})`, outputsOf(trained.models[0]), test.y), metricsRow(`distilled student (seed ${seed})`, outputsOf(trained.models[1]), test.y)];
  console.log(formatMetricsTable(rows));
  log('running the PyTorch students (tools/ensemble/torch_distill.py)…');
  const { combine, teacherTemperature, temperature, alpha } = recipe;
  const torchRows = torch(['--phase', 'student', '--seed', String(seed), '--temperature', String(temperature), '--alpha', String(alpha), '--combine', combine, '--teacher-temperature', String(teacherTemperature)]);
  append({ phase: 'student', seed, temperature, alpha, combine, teacherTemperature, memberSeconds: trained.members.map((m) => m.seconds), trainkit: rows, torch: torchRows });
}

/** The recipe's distillation target on the test images: the saved members combined as the recipe says, divided by τ. */
async function targetPhase(): Promise<void> {
  const { combine, teacherTemperature } = recipe;
  const logits = outputsOf(await loadEnsemble(teacherDir, () => mnistCnn(), { method: combine }));
  const row = metricsRow('distillation target', new Tensor(logits.data.map((v) => v / teacherTemperature), logits.shape), test.y);
  console.log(formatMetricsTable([row]));
  const torchRows = torch(['--phase', 'target', '--combine', combine, '--teacher-temperature', String(teacherTemperature)]);
  append({ phase: 'target', combine, teacherTemperature, trainkit: [row], torch: torchRows });
}

if (values.phase === 'teacher') await teacherPhase();
else if (values.phase === 'student') await studentPhase(Number(values.seed));
else if (values.phase === 'target') await targetPhase();
else if (values.phase !== 'report') throw new Error(`distillTable: --phase must be teacher, target, student or report, got ${values.phase}`);
if (values.phase !== 'teacher') console.log(writeDistillReport(results));
