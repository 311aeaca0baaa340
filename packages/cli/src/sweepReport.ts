import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SweepError, renderSweepReport } from '@trainkit/sweep';
import { openSweep } from '@trainkit/sweep/node';
import { choice, num, parse, positiveInt, text } from './args';
import { UsageError, onUserPath } from './errors';
import type { Io } from './train';

export const SWEEP_HELP = `Usage: trainkit sweep report <dir> [options]

Writes an HTML page (self-contained: inline SVG, no script) about the sweep directory <dir>
that runSweep({ dir }) wrote: the metric against each hyperparameter, the learning curves of
the trials (pruned ones grey, the best red), the best trials as a table, and the failed ones
with their errors (a NaN objective fails its trial).

  --metric NAME       the metric that ranks trials (default valLoss)
  --mode min|max      whether lower or higher is better (default: max for a metric named
                      …accuracy, min otherwise)
  --log LIST          comma-separated parameters drawn on a log axis (default: positive
                      numbers that span 100× or more)
  --top K             rows of the table of best trials (default 10)
  --title TEXT        the page's heading (default: Sweep <dir>)
  --out FILE          where the page goes (default <dir>/report.html)

Example:
  trainkit sweep report runs/lr-sweep --metric valAccuracy`;

/** `trainkit sweep report <dir>`: renders the sweep directory's trials as an HTML report. */
export async function sweep(args: readonly string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h') return (io.out(SWEEP_HELP), sub === undefined ? 2 : 0);
  if (sub !== 'report') throw new UsageError(`trainkit sweep: unknown subcommand ${JSON.stringify(sub)}; the subcommand is report (see trainkit sweep --help)`);
  const p = parse('sweep report', rest, { metric: { type: 'string' }, mode: { type: 'string' }, log: { type: 'string' }, top: { type: 'string' }, title: { type: 'string' }, out: { type: 'string' } });
  if (p.values.help === true) return (io.out(SWEEP_HELP), 0);
  if (p.positionals.length !== 1) throw new UsageError(`trainkit sweep report: expected one sweep directory, got ${p.positionals.length === 0 ? 'nothing' : p.positionals.join(' ')} (see trainkit sweep --help)`);
  const [dir] = p.positionals;
  if (!existsSync(dir)) throw new UsageError(`trainkit sweep report: no such directory: ${dir}`);
  const metric = text(p, 'metric') ?? 'valLoss';
  const mode = choice('sweep report', p, 'mode', ['min', 'max'] as const, /accuracy$/i.test(metric) ? 'max' : 'min');
  const top = num('sweep report', p, 'top', 10, positiveInt);
  const log = (text(p, 'log') ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const out = text(p, 'out') ?? join(dir, 'report.html');
  let html: string;
  let summary: string;
  try {
    const opened = openSweep(dir, { metric, mode });
    const trials = opened.trials();
    html = renderSweepReport(trials, { metric, mode, top, title: text(p, 'title') ?? `Sweep ${dir}`, scales: Object.fromEntries(log.map((k) => [k, 'log' as const])) });
    const best = opened.best();
    const failed = trials.filter((t) => t.status === 'failed').length;
    summary = `${trials.length} trials${failed > 0 ? ` (${failed} failed)` : ''}${best === undefined ? ', none completed' : `, best ${best.trialId} with ${metric} ${best.metrics![metric]}`}`;
  } catch (e) {
    if (e instanceof SweepError) throw new UsageError(`trainkit sweep report: ${e.message}`);
    throw e;
  }
  await onUserPath(`trainkit sweep report: cannot write ${text(p, 'out') === undefined ? 'the report' : '--out'} ${out}`, out, 'write', 'give --out a file in an existing folder you may write to', () => writeFile(out, html));
  io.out(`trainkit sweep report: wrote ${out} (${summary})`);
  return 0;
}
