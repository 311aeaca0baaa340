/** One line of a chart: a label and its points `[x, y]` (non-finite y values are skipped). */
export interface ChartSeries {
  label: string;
  points: ReadonlyArray<readonly [number, number]>;
  /** CSS colour; default from a colour-blind-safe palette by position. */
  color?: string;
  /** Draw dashed (e.g. validation). */
  dashed?: boolean;
  /** Draw a dot at every point; default: when the series has at most 30 points. */
  dots?: boolean;
}

/** Options of {@link lineChartSvg}. */
export interface LineChartOptions {
  series: readonly ChartSeries[];
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Pixel size of the whole SVG; default 360 × 260. */
  width?: number;
  height?: number;
  /** Fixed x range; default: the data's range. */
  xDomain?: readonly [number, number];
  /** Fixed y range (e.g. `[0, 1]` for accuracy); default: the data's range, widened to round ticks. */
  yDomain?: readonly [number, number];
  /** Formats y tick labels; default: up to 3 significant decimals. */
  formatY?: (y: number) => string;
  /** Where the legend goes inside the plot; default `top-right` (use `bottom-right` for rising curves). */
  legend?: 'top-right' | 'bottom-right';
}

/** Relative span below which a range counts as flat (10 ulps or so; a 3-digit axis label could not tell its ends apart anyway). */
const FLAT = 1e-12;

const PALETTE = ['#2563eb', '#ea580c', '#059669', '#9333ea', '#dc2626', '#0891b2'];

export const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
/** Coordinates rounded to 0.1 px: compact and byte-stable across runs. */
export const px = (v: number) => (Math.round(v * 10) / 10).toString();

/** About `count` round tick values covering [lo, hi] (steps of 1, 2 or 5 × 10^k). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  // counted by index, not by `t += step`: when step is below the resolution of t (a span of a
  // few ulps), adding it would leave t where it was and never reach hi
  const first = Math.ceil(lo / step - 1e-9);
  const steps = Math.floor(hi / step + 1e-9) - first;
  const ticks: number[] = [];
  for (let k = 0; k <= steps; k++) {
    const t = Number(((first + k) * step).toPrecision(12));
    if (ticks.length === 0 || t > ticks[ticks.length - 1]) ticks.push(t);
  }
  return ticks;
}

/** Whether [lo, hi] is too narrow to label: equal, or differing only in the last digits of a double (a flat curve's rounding noise). */
function isFlat(lo: number, hi: number): boolean {
  return hi - lo <= FLAT * Math.max(Math.abs(lo), Math.abs(hi));
}

function defaultFormat(y: number): string {
  return Number(y.toPrecision(3)).toString();
}

/**
 * Draws line series into one chart and returns it as a standalone SVG document (a string;
 * no DOM needed, so it works in Node, in a Worker and in the browser). Output is a pure
 * function of the input: the same history always gives the same bytes.
 *
 * @example
 * const svg = lineChartSvg({ title: 'loss', series: [{ label: 'train', points: [[1, 0.9], [2, 0.5]] }] });
 */
export function lineChartSvg(options: LineChartOptions): string {
  const width = options.width ?? 360;
  const height = options.height ?? 260;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="11">\n${chartBody(options, 0, 0, width, height)}</svg>\n`;
}

/**
 * The plotted ranges. x: `xDomain`, else the data's range. y: `yDomain`, else the data's range
 * widened to the nearest round ticks, so the axis starts and ends on a labelled value.
 */
export function domains(points: ReadonlyArray<readonly [number, number]>, options: Pick<LineChartOptions, 'xDomain' | 'yDomain'>): { xMin: number; xMax: number; yMin: number; yMax: number; yTicks: number[] } {
  const xs = points.length > 0 ? points.map((p) => p[0]) : [0, 1];
  const ys = points.length > 0 ? points.map((p) => p[1]) : [0, 1];
  let [xMin, xMax] = options.xDomain ?? [xs.reduce((a, b) => Math.min(a, b)), xs.reduce((a, b) => Math.max(a, b))];
  if (xMin === xMax) [xMin, xMax] = [xMin - 1, xMax + 1];
  if (options.yDomain !== undefined) {
    const [yMin, yMax] = options.yDomain;
    return { xMin, xMax, yMin, yMax, yTicks: niceTicks(yMin, yMax, 5).filter((t) => t >= yMin && t <= yMax) };
  }
  let yMin = ys.reduce((a, b) => Math.min(a, b));
  let yMax = ys.reduce((a, b) => Math.max(a, b));
  if (isFlat(yMin, yMax)) {
    const mid = (yMin + yMax) / 2;
    const pad = Math.abs(mid) * 0.1 || 1;
    [yMin, yMax] = [mid - pad, mid + pad];
  }
  const inner = niceTicks(yMin, yMax, 5);
  const step = inner.length > 1 ? inner[1] - inner[0] : yMax - yMin;
  const round = (v: number) => Number(v.toPrecision(15)); // drops float noise such as 0.30000000000000004
  const lo = Math.floor(yMin / step + 1e-9);
  const hi = Math.ceil(yMax / step - 1e-9);
  const yTicks = Array.from({ length: hi - lo + 1 }, (_, k) => round((lo + k) * step));
  return { xMin, xMax, yMin: yTicks[0], yMax: yTicks[yTicks.length - 1], yTicks };
}

/** The chart's elements inside the box (x0, y0, w, h), without the <svg> wrapper. */
export function chartBody(options: LineChartOptions, x0: number, y0: number, w: number, h: number): string {
  const series = options.series.map((s, i) => ({ ...s, color: s.color ?? PALETTE[i % PALETTE.length], points: s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)) }));
  const all = series.flatMap((s) => s.points);
  const fmtY = options.formatY ?? defaultFormat;
  const left = x0 + 52;
  const right = x0 + w - 12;
  const top = y0 + (options.title ? 28 : 12);
  const bottom = y0 + h - (options.xLabel ? 40 : 26);
  const { xMin, xMax, yMin, yMax, yTicks } = domains(all, options);
  const sx = (x: number) => left + ((x - xMin) / (xMax - xMin)) * (right - left);
  const sy = (y: number) => bottom - ((y - yMin) / (yMax - yMin)) * (bottom - top);
  const out: string[] = [];
  out.push(`<rect x="${px(x0)}" y="${px(y0)}" width="${px(w)}" height="${px(h)}" fill="#ffffff"/>`);
  if (options.title) out.push(`<text x="${px((left + right) / 2)}" y="${px(y0 + 17)}" text-anchor="middle" font-size="13" font-weight="600" fill="#111827">${esc(options.title)}</text>`);
  // grid and ticks
  for (const t of yTicks) {
    out.push(`<line x1="${px(left)}" x2="${px(right)}" y1="${px(sy(t))}" y2="${px(sy(t))}" stroke="#e5e7eb"/>`);
    out.push(`<text x="${px(left - 6)}" y="${px(sy(t) + 4)}" text-anchor="end" fill="#4b5563">${esc(fmtY(t))}</text>`);
  }
  for (const t of niceTicks(xMin, xMax, 6)) {
    if (t < xMin || t > xMax) continue;
    out.push(`<line x1="${px(sx(t))}" x2="${px(sx(t))}" y1="${px(bottom)}" y2="${px(bottom + 4)}" stroke="#6b7280"/>`);
    out.push(`<text x="${px(sx(t))}" y="${px(bottom + 16)}" text-anchor="middle" fill="#4b5563">${esc(defaultFormat(t))}</text>`);
  }
  out.push(`<path d="M${px(left)} ${px(top)}V${px(bottom)}H${px(right)}" fill="none" stroke="#6b7280"/>`);
  if (options.xLabel) out.push(`<text x="${px((left + right) / 2)}" y="${px(y0 + h - 8)}" text-anchor="middle" fill="#374151">${esc(options.xLabel)}</text>`);
  if (options.yLabel) out.push(`<text transform="translate(${px(x0 + 13)} ${px((top + bottom) / 2)}) rotate(-90)" text-anchor="middle" fill="#374151">${esc(options.yLabel)}</text>`);
  // lines (a single point becomes a dot)
  for (const s of series) {
    if (s.points.length === 0) continue;
    const d = s.points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${px(sx(x))} ${px(sy(y))}`).join('');
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    out.push(`<path class="series" data-label="${esc(s.label)}" d="${d}" fill="none" stroke="${s.color}" stroke-width="2" stroke-linejoin="round"${dash}/>`);
    if (s.dots ?? s.points.length <= 30) for (const [x, y] of s.points) out.push(`<circle cx="${px(sx(x))}" cy="${px(sy(y))}" r="2.5" fill="${s.color}"/>`);
  }
  // legend, top right inside the plot, as wide as its longest label (about 6 px per character)
  const legendWidth = 32 + 6.2 * Math.max(0, ...series.map((s) => s.label.length));
  const legendTop = options.legend === 'bottom-right' ? bottom - 8 - 15 * series.length : top;
  series.forEach((s, i) => {
    const ly = legendTop + 12 + i * 15;
    const lx = right - legendWidth;
    // a single point is shown as a dot in the legend too
    if (s.points.length === 1) out.push(`<circle cx="${px(lx + 9)}" cy="${px(ly - 4)}" r="3" fill="${s.color}"/>`);
    else out.push(`<line x1="${px(lx)}" x2="${px(lx + 18)}" y1="${px(ly - 4)}" y2="${px(ly - 4)}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    out.push(`<text x="${px(lx + 24)}" y="${px(ly)}" fill="#111827">${esc(s.label)}</text>`);
  });
  return out.join('\n') + '\n';
}
