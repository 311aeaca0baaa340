/**
 * The distillation table as markdown (results/distill.md), from the runs in
 * results/distill.jsonl: the latest teacher run and, after it, the latest student run of each
 * seed with the same setting. Nothing here is typed by hand; docs include the file.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Recipe, distillSetting, recipeName, sameRecipe, searchTable } from './distillSearch';

/** Student seed s of the table trains from seed 100 + s (the teacher's members use 0–4). */
export const STUDENT_SEED_BASE = 100;

interface Row {
  name: string;
  accuracy: number;
  nll: number;
  ece: number;
}
interface Run {
  date: string;
  phase: 'teacher' | 'student' | 'target';
  members: number;
  epochs: number;
  limit?: number;
  seed?: number;
  temperature?: number;
  alpha?: number;
  combine?: Recipe['combine'];
  teacherTemperature?: number;
  trainkit: Row[];
  torch: Row[] | null;
}

const pct = (x: number) => (100 * x).toFixed(2);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
const cells = (rows: Row[]) => {
  const m = (k: 'accuracy' | 'nll' | 'ece') => rows.map((r) => r[k]);
  const pm = (xs: number[], f: (x: number) => string) => (xs.length > 1 ? `${f(mean(xs))} ± ${f(sd(xs))}` : f(xs[0]));
  return [pm(m('accuracy'), pct), pm(m('nll'), (x) => x.toFixed(4)), pm(m('ece'), (x) => x.toFixed(4))];
};
const best = (rows: Row[]) => rows.filter((r) => r.name.startsWith('member')).reduce((a, b) => (b.accuracy > a.accuracy ? b : a));

/** The recipe of a student run (runs before the recipe had a combination and τ used probabilities and τ = 1). */
const recipeOf = (r: Run): Recipe => ({ combine: r.combine ?? 'probs', teacherTemperature: r.teacherTemperature ?? 1, temperature: r.temperature ?? NaN, alpha: r.alpha ?? NaN });

/** The students of other recipes against the same teacher: distilled minus plain, mean over their seeds. */
function otherSettings(runs: Run[]): string[] {
  const keys = [...new Set(runs.map((r) => recipeName(recipeOf(r))))];
  return keys.map((k) => {
    const rs = runs.filter((r) => recipeName(recipeOf(r)) === k);
    const d = (side: 'trainkit' | 'torch', m: 'accuracy' | 'nll' | 'ece') => mean(rs.map((r) => (r[side] as Row[])[1][m] - (r[side] as Row[])[0][m]));
    const torch = rs.every((r) => r.torch !== null) ? `; PyTorch ${pct(d('torch', 'accuracy'))} points, NLL ${d('torch', 'nll').toFixed(4)}, ECE ${d('torch', 'ece').toFixed(4)}` : '';
    return `\nAlso run against this teacher: ${k} (seeds ${rs.map((r) => r.seed).join(', ')}): distilled minus plain, trainkit ${pct(d('trainkit', 'accuracy'))} points accuracy, NLL ${d('trainkit', 'nll').toFixed(4)}, ECE ${d('trainkit', 'ece').toFixed(4)}${torch}.`;
  });
}

/** Rewrites `dir`/distill.md from `dir`/distill.jsonl and returns the markdown. */
export function writeDistillReport(dir: string): string {
  const setting = distillSetting(dir);
  const runs = readFileSync(join(dir, 'distill.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Run);
  const teacher = runs.filter((r) => r.phase === 'teacher').at(-1);
  if (teacher === undefined) throw new Error('distillReport: results/distill.jsonl has no teacher run; run --phase teacher first');
  const same = (r: Run) => r.phase === 'student' && r.date > teacher.date && r.epochs === teacher.epochs && r.limit === teacher.limit && sameRecipe(recipeOf(r), setting);
  const bySeed = new Map<number, Run>();
  for (const r of runs.filter(same)) bySeed.set(r.seed ?? 0, r);
  const students = [...bySeed.values()].sort((a, b) => (a.seed ?? 0) - (b.seed ?? 0));
  const target = runs.filter((r) => r.phase === 'target' && r.date > teacher.date && sameRecipe({ ...recipeOf(r), temperature: setting.temperature, alpha: setting.alpha }, setting)).at(-1);
  const side = (k: 'trainkit' | 'torch') => {
    if (teacher[k] === null || students.some((s) => s[k] === null) || (target !== undefined && target[k] === null)) return null;
    const t = teacher[k];
    return {
      ensemble: [t.find((r) => r.name.startsWith('ensemble')) as Row],
      target: target === undefined ? [] : (target[k] as Row[]),
      best: [best(t)],
      plain: students.map((s) => (s[k] as Row[])[0]),
      distilled: students.map((s) => (s[k] as Row[])[1]),
    };
  };
  const tk = side('trainkit');
  const pt = side('torch');
  if (tk === null || students.length === 0) throw new Error('distillReport: no student run after the latest teacher run');
  // the teacher run also timed inference once, but on the shared machine those seconds swing too much to print
  const cost = (n: number) => `${n} forward pass${n > 1 ? 'es' : ''}`;
  const lines = [
    `MNIST test set, reference CNN, ${teacher.epochs} epoch each, teacher = ensemble of ${teacher.members} (seeds 0–${teacher.members - 1}), students: seeds ${students.map((s) => s.seed).join(', ')}; students are mean ± sd over seeds. Inference cost: models run per prediction.`,
    '',
    `Distillation recipe: the teacher's logits are the members' ${recipeName(setting)} (τ: the teacher's temperature, T: the distillation temperature, α: the weight of the distillation term), the same recipe in both frameworks, chosen on a validation split (below). The ensemble row is the members' usual combination, the mean of their probabilities.`,
    '',
    '| model | inference cost | trainkit accuracy % | NLL | ECE | PyTorch accuracy % | NLL | ECE |',
    '|---|---|---|---|---|---|---|---|',
  ];
  const targetName = `distillation target (${setting.combine === 'logits' ? 'mean of log-probabilities' : 'mean of probabilities'}${setting.teacherTemperature === 1 ? '' : `, τ = ${setting.teacherTemperature}`})`;
  const names = { ensemble: `ensemble of ${teacher.members} (mean of probabilities)`, target: targetName, best: 'best member', plain: 'plain student', distilled: 'distilled student' } as const;
  for (const key of ['ensemble', 'target', 'best', 'plain', 'distilled'] as const) {
    if (tk[key].length === 0) continue; // no target run yet
    const c = cost(key === 'ensemble' || key === 'target' ? teacher.members : 1);
    lines.push(`| ${names[key]} | ${c} | ${cells(tk[key]).join(' | ')} | ${pt ? cells(pt[key]).join(' | ') : '– | – | –'} |`);
  }
  const diff = (s: NonNullable<typeof tk>, k: 'accuracy' | 'nll' | 'ece') => mean(s.distilled.map((r) => r[k])) - mean(s.plain.map((r) => r[k]));
  const gain = (s: NonNullable<typeof tk>) => ({ acc: diff(s, 'accuracy'), nll: diff(s, 'nll'), ece: diff(s, 'ece') });
  const g = gain(tk);
  lines.push('', `Distilled minus plain, mean over seeds: trainkit ${g.acc >= 0 ? '+' : ''}${pct(g.acc)} points accuracy, NLL ${g.nll.toFixed(4)}, ECE ${g.ece.toFixed(4)}${pt ? `; PyTorch ${gain(pt).acc >= 0 ? '+' : ''}${pct(gain(pt).acc)} points, NLL ${gain(pt).nll.toFixed(4)}, ECE ${gain(pt).ece.toFixed(4)}` : ''}.`);
  const verdict = (x: { acc: number; nll: number }) => `accuracy ${x.acc > 0 ? 'yes' : 'NO'}, NLL ${x.nll < 0 ? 'yes' : 'NO'}`;
  const perSeed = (s: NonNullable<typeof tk>, i: number) => (s.distilled[i].accuracy > s.plain[i].accuracy ? 'yes' : 'no');
  lines.push(`Distilled beats plain on the mean: trainkit ${verdict(g)}${pt ? `; PyTorch ${verdict(gain(pt))}` : ''}; per seed (accuracy${pt ? ', trainkit/PyTorch' : ''}): ${students.map((s, i) => `${s.seed} ${perSeed(tk, i)}${pt ? `/${perSeed(pt, i)}` : ''}`).join(', ')}.`);
  if (pt) {
    const d = Math.abs(g.acc - gain(pt).acc);
    lines.push(`Gain in accuracy, trainkit − PyTorch: ${pct(d)} points (${d <= 0.003 ? 'within' : 'NOT within'} 0.3).`);
    const gap = Math.max(...(['ensemble', 'best', 'plain', 'distilled'] as const).map((k) => Math.abs(mean(tk[k].map((r) => r.accuracy)) - mean(pt[k].map((r) => r.accuracy)))));
    lines.push(`Largest trainkit − PyTorch accuracy gap over the four rows: ${pct(gap)} points (${gap <= 0.003 ? 'within' : 'NOT within'} 0.3).`);
  }
  lines.push(...otherSettings(runs.filter((r) => r.phase === 'student' && r.date > teacher.date && !same(r))), ...searchTable(dir));
  const md = lines.join('\n') + '\n';
  writeFileSync(join(dir, 'distill.md'), md);
  return md;
}
