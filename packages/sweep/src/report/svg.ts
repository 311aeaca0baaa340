/**
 * The drawing kit of the sweep report: HTML escaping, axis scales (linear, log, categorical
 * columns) and an SVG frame with labelled axes. Plain strings; nothing here touches the DOM.
 */

/** Escapes text for HTML and SVG content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** How a chart axis maps values to pixels. */
export interface Scale {
  readonly kind: 'linear' | 'log' | 'categorical';
  /** Pixel position of a value (numbers for linear and log, any value's label for categorical). */
  at(value: number | string): number;
  /** Tick positions and labels. */
  ticks(): Array<{ at: number; label: string }>;
}

/** A short label for a tick or a table cell: 0.001 → 1e-3, 0.25 → 0.25, 12 → 12. */
export function formatNumber(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a < 1e-2 || a >= 1e5) return v.toExponential(Math.abs(Number(v.toExponential(0)) - v) < a * 1e-9 ? 0 : 1).replace('e+', 'e');
  return String(Number(v.toPrecision(3)));
}

/** Round ticks (1, 2 or 5 × 10^k) covering [lo, hi]. */
function niceTicks(lo: number, hi: number, count = 5): number[] {
  const span = hi - lo || Math.abs(hi) || 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Number(t.toPrecision(12)));
  return out;
}

/** A linear scale from the data range [lo, hi] (padded by 5 %) to pixels [p0, p1]. */
export function linearScale(lo: number, hi: number, p0: number, p1: number): Scale {
  const pad = hi > lo ? (hi - lo) * 0.05 : Math.abs(lo) * 0.05 || 0.5;
  const [a, b] = [lo - pad, hi + pad];
  const at = (v: number | string) => p0 + ((Number(v) - a) / (b - a)) * (p1 - p0);
  return { kind: 'linear', at, ticks: () => niceTicks(a, b).map((t) => ({ at: at(t), label: formatNumber(t) })) };
}

/** A log10 scale from [lo, hi] (both > 0) to pixels, with ticks at powers of ten. */
export function logScale(lo: number, hi: number, p0: number, p1: number): Scale {
  const [a, b] = [Math.log10(lo) - 0.1, Math.log10(hi) + 0.1];
  const at = (v: number | string) => p0 + ((Math.log10(Number(v)) - a) / (b - a)) * (p1 - p0);
  const ticks = () => {
    const powers: number[] = [];
    for (let k = Math.ceil(a); k <= Math.floor(b); k++) powers.push(k);
    const ks = powers.length > 0 ? powers : [Math.round((a + b) / 2)];
    return ks.map((k) => ({ at: at(10 ** k), label: `1e${k}` }));
  };
  return { kind: 'log', at, ticks };
}

/** One column per category, in the order given. */
export function categoricalScale(categories: readonly string[], p0: number, p1: number): Scale {
  const width = (p1 - p0) / Math.max(categories.length, 1);
  const at = (v: number | string) => p0 + width * (categories.indexOf(String(v)) + 0.5);
  return { kind: 'categorical', at, ticks: () => categories.map((c) => ({ at: at(c), label: c })) };
}

/** The plot area of every chart. */
export const FRAME = { width: 380, height: 250, left: 58, right: 14, top: 14, bottom: 44 } as const;
export const plotX = [FRAME.left, FRAME.width - FRAME.right] as const;
export const plotY = [FRAME.height - FRAME.bottom, FRAME.top] as const;

/** An SVG chart: frame, x and y ticks, axis labels (class `axis-label`) and the given marks. */
export function chartSvg(options: { title: string; x: Scale; y: Scale; xLabel: string; yLabel: string; marks: string; className: string }): string {
  const { x, y } = options;
  const [x0, x1] = plotX;
  const [y0, y1] = plotY;
  // tick marks are stroked; their labels are not (a stroke blurs small text)
  const xTicks = x.ticks().map((t) => ({
    line: `<line x1="${t.at.toFixed(1)}" x2="${t.at.toFixed(1)}" y1="${y0}" y2="${y0 + 4}"/>`,
    text: `<text x="${t.at.toFixed(1)}" y="${y0 + 16}" text-anchor="middle">${escapeHtml(t.label)}</text>`,
  }));
  const yTicks = y.ticks().filter((t) => t.at >= y1 - 0.5 && t.at <= y0 + 0.5).map((t) => ({
    line: `<line x1="${x0 - 4}" x2="${x0}" y1="${t.at.toFixed(1)}" y2="${t.at.toFixed(1)}"/>`,
    text: `<text x="${x0 - 6}" y="${(t.at + 4).toFixed(1)}" text-anchor="end">${escapeHtml(t.label)}</text>`,
  }));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="${options.className}" viewBox="0 0 ${FRAME.width} ${FRAME.height}" width="${FRAME.width}" height="${FRAME.height}" role="img" aria-label="${escapeHtml(options.title)}">`,
    `<title>${escapeHtml(options.title)}</title>`,
    `<g class="axes" fill="#333" font-size="10"><g stroke="#555"><path d="M${x0} ${y1}V${y0}H${x1}" fill="none"/>${xTicks.map((t) => t.line).join('')}${yTicks.map((t) => t.line).join('')}</g>${[...xTicks, ...yTicks].map((t) => t.text).join('')}</g>`,
    `<text class="axis-label" x="${((x0 + x1) / 2).toFixed(1)}" y="${FRAME.height - 6}" text-anchor="middle" font-size="12">${escapeHtml(options.xLabel)}</text>`,
    `<text class="axis-label" transform="translate(14 ${((y0 + y1) / 2).toFixed(1)}) rotate(-90)" text-anchor="middle" font-size="12">${escapeHtml(options.yLabel)}</text>`,
    options.marks,
    '</svg>',
  ].join('\n');
}
