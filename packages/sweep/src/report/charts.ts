/**
 * The report's charts: the metric against one hyperparameter (a scatter; log axis for
 * log-uniform parameters, one column per value for categorical ones) and the learning curves
 * of all trials but the failed ones, pruned ones greyed.
 */
import type { ConfigValue } from '../space';
import type { TrialRecord } from '../store';
import { type Scale, categoricalScale, chartSvg, escapeHtml, formatNumber, linearScale, logScale, plotX, plotY } from './svg';

/** How a parameter's axis is drawn. */
export type ParamScale = 'linear' | 'log' | 'categorical';

/** Colours of the marks: completed trials, pruned (grey), the best trial. */
export const COLORS = { completed: '#1f6feb', pruned: '#b0b4ba', best: '#d1242f' } as const;

/** A configuration's value at a dotted path (`net.width`), or undefined when absent. */
export function valueAt(config: ConfigValue, path: string): ConfigValue | undefined {
  let v: ConfigValue | undefined = config;
  for (const key of path.split('.')) v = typeof v === 'object' && v !== null ? v[key] : undefined;
  return v;
}

/** The y scale of a metric over all values given. */
function metricScale(values: readonly number[]): Scale {
  const finite = values.filter(Number.isFinite);
  return linearScale(Math.min(...finite), Math.max(...finite), plotY[0], plotY[1]);
}

/** A value as text for a categorical column or a tooltip. */
const label = (v: ConfigValue | undefined) => (typeof v === 'number' ? formatNumber(v) : typeof v === 'string' ? v : JSON.stringify(v ?? null));

/** The x scale of one parameter over the values the trials drew. */
function paramScale(kind: ParamScale, values: ReadonlyArray<ConfigValue | undefined>, order: readonly ConfigValue[]): Scale {
  if (kind === 'categorical') return categoricalScale([...new Set([...order, ...values].map(label))], plotX[0], plotX[1]);
  const nums = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (kind === 'log') return logScale(Math.min(...nums), Math.max(...nums), plotX[0], plotX[1]);
  return linearScale(Math.min(...nums), Math.max(...nums), plotX[0], plotX[1]);
}

/** Where in its column a point of a categorical parameter goes: spread by trial index, the same on every render. */
const jitter = (index: number) => ((((index * 0.618034) % 1) + 1) % 1 - 0.5) * 24;

/**
 * The final metric of each trial that has one against the parameter at `path`: completed trials
 * in blue, pruned ones grey (their metric is the one at the epoch they stopped), the best red.
 * Categorical columns come in `order` (a choice's values), then any other value drawn.
 */
export function paramChart(records: readonly TrialRecord[], path: string, kind: ParamScale, metric: string, bestId: string | undefined, order: readonly ConfigValue[] = []): string {
  const points = records.filter((r) => typeof r.metrics?.[metric] === 'number' && Number.isFinite(r.metrics[metric]) && valueAt(r.config, path) !== undefined);
  const x = paramScale(kind, points.map((r) => valueAt(r.config, path)), order);
  const y = metricScale(points.map((r) => r.metrics![metric]));
  const marks = points.map((r) => {
    const v = valueAt(r.config, path)!;
    const cx = kind === 'categorical' ? x.at(label(v)) + jitter(r.index) : x.at(v as number);
    const color = r.trialId === bestId ? COLORS.best : r.status === 'pruned' ? COLORS.pruned : COLORS.completed;
    const tip = `${r.trialId} (${r.status}): ${path} = ${label(v)}, ${metric} = ${formatNumber(r.metrics![metric])}`;
    return `<circle class="trial ${r.status}" cx="${cx.toFixed(1)}" cy="${y.at(r.metrics![metric]).toFixed(1)}" r="4" fill="${color}" fill-opacity="0.85"><title>${escapeHtml(tip)}</title></circle>`;
  });
  const xLabel = kind === 'log' ? `${path} (log scale)` : path;
  return chartSvg({ title: `${metric} against ${path}`, x, y, xLabel, yLabel: metric, marks: `<g class="marks">${marks.join('')}</g>`, className: 'param-chart' });
}

/**
 * Every trial's metric after each epoch as a line; pruned trials grey and drawn first, the best last
 * in red. Failed trials are left out (the table of failed trials lists them): the epochs of one
 * failed for a NaN objective often climb far before it, and would flatten every other curve.
 */
export function curvesChart(records: readonly TrialRecord[], metric: string, bestId: string | undefined): string {
  const curves = records
    .filter((r) => r.status !== 'failed')
    .map((r) => ({ r, pts: r.epochs.map((m, i) => [i + 1, m[metric]] as const).filter(([, v]) => typeof v === 'number' && Number.isFinite(v)) }))
    .filter((c) => c.pts.length > 0);
  const rank = (c: (typeof curves)[number]) => (c.r.trialId === bestId ? 2 : c.r.status === 'pruned' ? 0 : 1);
  curves.sort((a, b) => rank(a) - rank(b) || a.r.index - b.r.index);
  const maxEpoch = Math.max(1, ...curves.map((c) => c.pts.at(-1)![0]));
  const x = linearScale(1, maxEpoch, plotX[0], plotX[1]);
  const y = metricScale(curves.flatMap((c) => c.pts.map(([, v]) => v)));
  const marks = curves.map(({ r, pts }) => {
    const color = r.trialId === bestId ? COLORS.best : r.status === 'pruned' ? COLORS.pruned : COLORS.completed;
    const d = pts.map(([e, v]) => `${x.at(e).toFixed(1)},${y.at(v).toFixed(1)}`).join(' ');
    const end = pts.at(-1)!;
    const tip = `${r.trialId} (${r.status}, ${pts.length} epoch${pts.length === 1 ? '' : 's'}): ${metric} = ${formatNumber(end[1])}`;
    const dot = `<circle cx="${x.at(end[0]).toFixed(1)}" cy="${y.at(end[1]).toFixed(1)}" r="2.5" fill="${color}"/>`;
    return `<g class="curve ${r.status}" data-trial="${escapeHtml(r.trialId)}"><title>${escapeHtml(tip)}</title><polyline points="${d}" fill="none" stroke="${color}" stroke-width="${r.trialId === bestId ? 2.5 : 1.5}"/>${dot}</g>`;
  });
  return chartSvg({ title: `${metric} after each epoch, every trial`, x, y, xLabel: 'epoch', yLabel: metric, marks: `<g class="marks">${marks.join('')}</g>`, className: 'curves-chart' });
}
