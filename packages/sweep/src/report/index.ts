/**
 * The sweep report: one self-contained HTML page (inline SVG and CSS, no script, nothing
 * fetched) with the metric against each hyperparameter, the learning curves of every trial
 * (pruned ones greyed), a table of the best trials and one of the failed ones with their errors.
 */
import { SweepError } from '../errors';
import type { ConfigValue, SpaceSpec } from '../space';
import { type TrialRecord, latestRecords } from '../store';
import { type Objective, checkObjective, sweepOf } from '../sweep';
import { COLORS, type ParamScale, curvesChart, paramChart, valueAt } from './charts';
import { escapeHtml, formatNumber } from './svg';

export type { ParamScale } from './charts';
export { escapeHtml } from './svg';

/** Options of {@link renderSweepReport}. */
export interface SweepReportOptions extends Partial<Objective> {
  /** The page's heading (default `Sweep report`). */
  title?: string;
  /** The sweep's search space: log-uniform parameters get a log axis, choices one column per value. */
  space?: SpaceSpec;
  /** Axis kinds by parameter path, over the space's and the inferred ones. */
  scales?: Record<string, ParamScale>;
  /** Rows of the table of best trials (default 10). */
  top?: number;
}

const isParamLike = (v: unknown): v is { kind: string; then?: unknown; values?: ConfigValue[] } => typeof v === 'object' && v !== null && typeof (v as { kind?: unknown }).kind === 'string';

/** Axis kinds from a search space (logUniform → log, choice → categorical in the order of its values, uniform and int → linear). */
function scalesOfSpace(spec: unknown, prefix: string, out: Record<string, ParamScale>, orders: Record<string, ConfigValue[]>): void {
  for (const [key, value] of Object.entries(spec as Record<string, unknown>)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    let v = value;
    while (isParamLike(v) && v.kind === 'when') v = v.then;
    if (!isParamLike(v)) scalesOfSpace(v, path, out, orders);
    else out[path] = v.kind === 'logUniform' ? 'log' : v.kind === 'choice' ? 'categorical' : 'linear';
    if (isParamLike(v) && v.kind === 'choice' && Array.isArray(v.values)) orders[path] = v.values;
  }
}

/** Dotted paths of the leaves of the trials' configurations, in first-seen order. */
function configPaths(records: readonly TrialRecord[]): string[] {
  const paths = new Set<string>();
  const walk = (v: ConfigValue, prefix: string) => {
    if (typeof v === 'object' && v !== null) for (const [k, c] of Object.entries(v)) walk(c, prefix === '' ? k : `${prefix}.${k}`);
    else paths.add(prefix);
  };
  for (const r of records) walk(r.config, '');
  return [...paths];
}

/** Without a space: strings, booleans and nulls are categorical; positive numbers spanning 100× or more get a log axis. */
function inferScale(records: readonly TrialRecord[], path: string): ParamScale {
  const values = records.map((r) => valueAt(r.config, path)).filter((v) => v !== undefined);
  if (values.some((v) => typeof v !== 'number')) return 'categorical';
  const nums = values as number[];
  const [lo, hi] = [Math.min(...nums), Math.max(...nums)];
  return lo > 0 && hi / lo >= 100 ? 'log' : 'linear';
}

/** The best `top` trials that have the metric, best first (completed before pruned on ties). */
function topRows(records: readonly TrialRecord[], objective: Objective, top: number, paths: readonly string[]): string {
  const sign = objective.mode === 'min' ? 1 : -1;
  const scored = records.filter((r) => typeof r.metrics?.[objective.metric] === 'number' && !Number.isNaN(r.metrics[objective.metric]));
  scored.sort((a, b) => sign * (a.metrics![objective.metric] - b.metrics![objective.metric]) || a.index - b.index);
  const cell = (v: ConfigValue | undefined) => escapeHtml(v === undefined ? '–' : typeof v === 'number' ? formatNumber(v) : typeof v === 'string' ? v : JSON.stringify(v));
  const head = ['rank', 'trial', ...paths, 'status', 'epochs', objective.metric].map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const rows = scored.slice(0, top).map((r, i) => {
    const cells = [String(i + 1), escapeHtml(r.trialId), ...paths.map((p) => cell(valueAt(r.config, p))), escapeHtml(r.status), String(r.epochs.length), formatNumber(r.metrics![objective.metric])];
    return `<tr class="${escapeHtml(r.status)}">${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
  });
  return `<table class="top-trials"><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** The failed trials with the error of their last run (why a NaN objective failed, say); empty without any. */
function failedRows(records: readonly TrialRecord[]): string {
  const failed = records.filter((r) => r.status === 'failed');
  if (failed.length === 0) return '';
  const rows = failed.map((r) => {
    const cells = [r.trialId, String(r.attempt), String(r.epochs.length), r.error === null ? '–' : `${r.error.name}: ${r.error.message}`];
    return `<tr class="failed">${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`;
  });
  const head = ['trial', 'attempt', 'epochs', 'error'].map((h) => `<th>${h}</th>`).join('');
  return `\n<h2>Failed trials</h2><table class="failed-trials"><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1f2328;max-width:1220px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}.charts{display:flex;flex-wrap:wrap;gap:12px}
svg{max-width:100%;height:auto;border:1px solid #d0d7de;border-radius:6px;background:#fff}
table{border-collapse:collapse}td,th{border-bottom:1px solid #d0d7de;padding:4px 10px;text-align:left}
tr.pruned td{color:#6e7781}tr.failed td{color:#cf222e}.key span{display:inline-block;width:10px;height:10px;border-radius:50%;margin:0 4px 0 12px}`;

/**
 * Renders a sweep's records as one self-contained HTML page: the objective's metric against
 * every hyperparameter (final value of each trial; log axis for log-uniform parameters, a
 * column per value for categorical ones), the learning curves of all trials (pruned ones
 * grey, the best in red), the top-k table, and the failed trials with their errors (a trial whose
 * objective was NaN says so there). Every configuration string is HTML-escaped.
 *
 * @throws {@link SweepError} when the metric is missing or no trial reported it
 * @example
 * writeFileSync('report.html', renderSweepReport(openSweep(dir, { metric: 'valLoss' }).trials(), { metric: 'valLoss', space }));
 */
export function renderSweepReport(records: readonly TrialRecord[], options: SweepReportOptions): string {
  const objective = checkObjective(options, 'renderSweepReport');
  const top = options.top ?? 10;
  if (!Number.isInteger(top) || top < 1) throw new SweepError(`renderSweepReport: top must be an integer ≥ 1, got ${top}`);
  const trials = latestRecords(records);
  const seen = new Set(trials.flatMap((r) => [...Object.keys(r.metrics ?? {}), ...r.epochs.flatMap((m) => Object.keys(m))]));
  if (trials.length > 0 && !seen.has(objective.metric)) {
    throw new SweepError(`renderSweepReport: no trial reported the metric "${objective.metric}"; the trials report ${[...seen].map((m) => JSON.stringify(m)).join(', ') || 'no metrics'}`);
  }
  const scales: Record<string, ParamScale> = {};
  const orders: Record<string, ConfigValue[]> = {};
  if (options.space !== undefined) scalesOfSpace(options.space, '', scales, orders);
  Object.assign(scales, options.scales);
  const paths = configPaths(trials);
  const unknown = Object.keys(options.scales ?? {}).filter((k) => trials.length > 0 && !paths.includes(k));
  if (unknown.length > 0) throw new SweepError(`renderSweepReport: scales names ${unknown.map((k) => JSON.stringify(k)).join(', ')}, not a parameter of the trials (${paths.join(', ')})`);
  const best = sweepOf(trials, objective).best();
  const counts = ['completed', 'pruned', 'failed'].map((s) => `${trials.filter((r) => r.status === s).length} ${s}`).join(', ');
  const title = escapeHtml(options.title ?? 'Sweep report');
  const summary = best === undefined ? 'No trial completed.' : `Best: ${escapeHtml(best.trialId)}, ${escapeHtml(objective.metric)} = ${formatNumber(best.metrics![objective.metric])} (${objective.mode === 'min' ? 'lower' : 'higher'} is better).`;
  const key = `<p class="key">Trials:<span style="background:${COLORS.completed}"></span>completed<span style="background:${COLORS.pruned}"></span>pruned (stopped early)<span style="background:${COLORS.best}"></span>best</p>`;
  const charts = paths.map((p) => paramChart(trials, p, scales[p] ?? inferScale(trials, p), objective.metric, best?.trialId, orders[p]));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title><style>${STYLE}</style></head>
<body><h1>${title}</h1>
<p>${trials.length} trials: ${counts}. ${summary}</p>${key}
<h2>${escapeHtml(objective.metric)} against each hyperparameter</h2><div class="charts">${charts.join('\n')}</div>
<h2>Learning curves</h2><div class="charts">${curvesChart(trials, objective.metric, best?.trialId)}</div>
<h2>Top ${top} trials</h2>${topRows(trials, objective, top, paths)}${failedRows(trials)}
</body></html>
`;
}
