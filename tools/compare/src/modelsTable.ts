/**
 * Renders tools/compare/results/models.md from models.jsonl (written by modelsTrain.ts), the
 * table that docs/guide/resnet.md and vit.md include:
 *
 *   node --conditions=@trainkit/source --import tsx tools/compare/src/modelsTable.ts
 *
 * For each setup, one row per seed (the latest run of each seed and framework), the means and
 * standard deviations, the difference of the means against the setup's tolerance, and which
 * runs are still missing.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ModelRun {
  date: string;
  setup: string;
  seed: number;
  framework: 'trainkit' | 'torch';
  backend: string;
  accuracy: number;
  seconds: number;
  samplesPerSecond: number;
  /** Samples per second of the process's CPU time (user + system); absent in runs before it was recorded. */
  cpuSamplesPerSecond?: number;
}

export interface SetupInfo {
  name: string;
  title: string;
  recipe: string;
  /** Bound on |trainkit − PyTorch| of the mean test accuracy, in points. */
  tolerance: number;
  seeds: readonly number[];
  /** Training samples of one whole run (epochs × training split), for the time a missing run needs. */
  samples: number;
}

/** A measured rate (modelsTrain.ts --steps) from which the time of a missing run is estimated. */
export interface Throughput {
  setup: string;
  framework: 'trainkit' | 'torch';
  steps: number;
  cpuSamplesPerSecond?: number;
  date: string;
}

const pts = (x: number) => (100 * x).toFixed(2);
const meanOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** Sample standard deviation (n − 1), 0 for a single value. */
const stdOf = (xs: number[]) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, b) => a + (b - meanOf(xs)) ** 2, 0) / (xs.length - 1)));

/** The verdict on two sets of accuracies: the difference of the means in points and whether it is within the tolerance. */
export function verdict(trainkit: number[], torch: number[], tolerance: number): { difference: number; within: boolean } | null {
  if (trainkit.length === 0 || torch.length === 0) return null;
  const difference = 100 * (meanOf(trainkit) - meanOf(torch));
  return { difference, within: Math.abs(difference) <= tolerance };
}

/** The latest run of each (setup, seed, framework). */
function latest(runs: readonly ModelRun[]): Map<string, ModelRun> {
  const out = new Map<string, ModelRun>();
  for (const r of runs) {
    const key = `${r.setup}/${r.seed}/${r.framework}`;
    const prev = out.get(key);
    if (prev === undefined || prev.date <= r.date) out.set(key, r);
  }
  return out;
}

/** "seed 2 trainkit (about 55 CPU minutes at 54.7 samples per CPU second, measured over 30 steps)" */
function missingRun(setup: SetupInfo, seed: number, fw: 'trainkit' | 'torch', rates: readonly Throughput[]): string {
  const name = `seed ${seed} ${fw === 'torch' ? 'PyTorch' : 'trainkit'}`;
  const rate = rates.filter((r) => r.setup === setup.name && r.framework === fw && r.cpuSamplesPerSecond !== undefined).sort((a, b) => a.date.localeCompare(b.date)).pop();
  if (rate?.cpuSamplesPerSecond === undefined) return name;
  const minutes = setup.samples / rate.cpuSamplesPerSecond / 60;
  return `${name} (about ${minutes.toFixed(0)} CPU minutes at the ${rate.cpuSamplesPerSecond.toFixed(1)} samples per CPU second measured over ${rate.steps} steps)`;
}

export function renderSetup(setup: SetupInfo, runs: readonly ModelRun[], rates: readonly Throughput[] = []): string {
  const last = latest(runs.filter((r) => r.setup === setup.name));
  const get = (seed: number, fw: 'trainkit' | 'torch') => last.get(`${setup.name}/${seed}/${fw}`);
  const cell = (r: ModelRun | undefined) => (r === undefined ? 'not run yet' : `${pts(r.accuracy)} %`);
  const time = (r: ModelRun | undefined) =>
    r === undefined ? '—' : `${r.seconds.toFixed(0)} s (${r.samplesPerSecond.toFixed(0)}/s${r.cpuSamplesPerSecond === undefined ? '' : `, ${r.cpuSamplesPerSecond.toFixed(0)}/CPU s`})`;
  const lines = [
    `### ${setup.title}`,
    '',
    `${setup.recipe}; both start from trainkit's initial weights for the seed, test accuracy on the full test split.`,
    '',
    '| seed | trainkit | PyTorch | trainkit time (samples/s, per CPU s) | PyTorch time (samples/s, per CPU s) |',
    '| ---: | ---: | ---: | ---: | ---: |',
  ];
  const acc: Record<'trainkit' | 'torch', number[]> = { trainkit: [], torch: [] };
  const missing: string[] = [];
  for (const seed of setup.seeds) {
    const [a, b] = [get(seed, 'trainkit'), get(seed, 'torch')];
    lines.push(`| ${seed} | ${cell(a)} | ${cell(b)} | ${time(a)} | ${time(b)} |`);
    for (const [fw, r] of [['trainkit', a], ['torch', b]] as const) {
      if (r === undefined) missing.push(missingRun(setup, seed, fw, rates));
      else acc[fw].push(r.accuracy);
    }
  }
  const summary = (xs: number[]) => (xs.length === 0 ? '—' : `${pts(meanOf(xs))} ± ${pts(stdOf(xs))} % (${xs.length} seed${xs.length === 1 ? '' : 's'})`);
  lines.push(`| mean ± std | ${summary(acc.trainkit)} | ${summary(acc.torch)} | | |`, '');
  const v = verdict(acc.trainkit, acc.torch, setup.tolerance);
  const complete = missing.length === 0;
  if (v === null) lines.push(`No comparison yet: ${missing.join(', ')} not run.`);
  else {
    const sign = v.difference >= 0 ? '+' : '−';
    const what = `trainkit − PyTorch = ${sign}${Math.abs(v.difference).toFixed(2)} points (bound ±${setup.tolerance})`;
    lines.push(complete ? `${what}: **${v.within ? 'within' : 'outside'} the bound**.` : `${what} over the seeds run so far; not final: ${missing.join(', ')} not run yet.`);
  }
  lines.push(...extraSeeds(setup, last));
  const backends = [...new Set([...last.values()].map((r) => `${r.framework === 'torch' ? 'PyTorch' : 'trainkit'}: ${r.backend}`))].sort();
  if (backends.length > 0) lines.push('', `Runs: ${backends.join('; ')}.`);
  return lines.join('\n') + '\n';
}

/**
 * Seeds run beyond the setup's own (both frameworks finished), as a line of their own: the table
 * and its verdict stay on the setup's seeds, and the wider estimate is reported beside them.
 */
function extraSeeds(setup: SetupInfo, last: ReadonlyMap<string, ModelRun>): string[] {
  const seeds = [...new Set([...last.values()].map((r) => r.seed))].filter((s) => !setup.seeds.includes(s)).sort((a, b) => a - b);
  const both = seeds.filter((s) => last.has(`${setup.name}/${s}/trainkit`) && last.has(`${setup.name}/${s}/torch`));
  if (both.length === 0) return [];
  const all = [...setup.seeds, ...both];
  const accs = (fw: string) => all.map((s) => last.get(`${setup.name}/${s}/${fw}`)?.accuracy).filter((a): a is number => a !== undefined);
  const [tk, pt] = [accs('trainkit'), accs('torch')];
  const per = both.map((s) => `seed ${s}: trainkit ${pts(last.get(`${setup.name}/${s}/trainkit`)!.accuracy)} %, PyTorch ${pts(last.get(`${setup.name}/${s}/torch`)!.accuracy)} %`).join('; ');
  const v = verdict(tk, pt, setup.tolerance);
  if (v === null) return [];
  const sign = v.difference >= 0 ? '+' : '−';
  return [
    '',
    `More seeds (${per}). Over all ${Math.min(tk.length, pt.length)} seeds: trainkit ${pts(meanOf(tk))} ± ${pts(stdOf(tk))} %, PyTorch ${pts(meanOf(pt))} ± ${pts(stdOf(pt))} %, trainkit − PyTorch = ${sign}${Math.abs(v.difference).toFixed(2)} points (${v.within ? 'within' : 'outside'} ±${setup.tolerance}).`,
  ];
}

export function parseRuns(text: string, source: string): ModelRun[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      try {
        return JSON.parse(l) as ModelRun;
      } catch (e) {
        throw new Error(`${source}:${i + 1}: not a JSON line (${(e as Error).message})`);
      }
    });
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { SETUPS } = await import('./modelsSetup');
  const results = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');
  const jsonl = join(results, 'models.jsonl');
  const read = <T>(path: string): T[] => (existsSync(path) ? (parseRuns(readFileSync(path, 'utf8'), path) as T[]) : []);
  const runs = read<ModelRun>(jsonl);
  const rates = read<Throughput>(join(results, 'models.throughput.jsonl'));
  // each setup in a region of its own, so a guide can include just its model (<!--@include: …/models.md#resnet8-fashion-->)
  const sections = Object.entries(SETUPS).map(([name, s]) =>
    `<!-- #region ${name} -->\n${renderSetup({ name, title: s.title, recipe: s.recipe, tolerance: s.tolerance, seeds: [0, 1, 2], samples: s.epochs * 60_000 }, runs, rates)}<!-- #endregion ${name} -->\n`);
  const head = '<!-- written by tools/compare/src/modelsTable.ts from models.jsonl (tools/compare/src/modelsTrain.ts); do not edit -->\n';
  writeFileSync(join(results, 'models.md'), head + '\n' + sections.join('\n'));
  console.log(`wrote ${join(results, 'models.md')} from ${runs.length} runs`);
}
