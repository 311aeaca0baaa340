import type { TestFunction } from './functions';
import type { Contender, Run } from './run';
import { outcome } from './svg';

/** Markdown table: one row per optimizer, one column per function, "steps (lr …)" in each cell. */
export function stepsTable(functions: readonly TestFunction[], runs: ReadonlyMap<string, readonly Run[]>): string {
  const head = `| optimizer | ${functions.map((f) => `${f.title} (f − f* < ${f.tolerance})`).join(' | ')} |`;
  const rule = `| --- | ${functions.map(() => '---:').join(' | ')} |`;
  const labels = runs.get(functions[0].id)?.map((r) => r.contender.label) ?? [];
  const rows = labels.map((label, k) => `| ${label} | ${functions.map((f) => cell(runs.get(f.id)?.[k])).join(' | ')} |`);
  return [head, rule, ...rows].join('\n');
}

const cell = (run: Run | undefined): string => (run ? `${outcome(run)} (lr ${run.lr})` : '');

/** Markdown table of steps to tolerance over a grid of learning rates (how sensitive each method is). */
export function sensitivityTable(fn: TestFunction, contenders: readonly Contender[], grid: readonly number[], steps: (c: Contender, lr: number) => Run): string {
  const head = `| ${fn.title} | ${grid.map((lr) => `lr ${lr}`).join(' | ')} |`;
  const rule = `| --- | ${grid.map(() => '---:').join(' | ')} |`;
  const rows = contenders.map((c) => {
    const cells = grid.map((lr) => {
      const run = steps(c, lr);
      return run.diverged ? 'div.' : run.stepsToTolerance === null ? '–' : String(run.stepsToTolerance);
    });
    return `| ${c.label} | ${cells.join(' | ')} |`;
  });
  return [head, rule, ...rows].join('\n');
}
