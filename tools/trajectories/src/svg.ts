// Renders one test function's picture: contour lines, each optimizer's path, axes and a legend.
import { contourSegments, quantileLevels, sampleGrid } from './contours';
import type { TestFunction } from './functions';
import type { Run } from './run';
import { isOpen, markerPath, markerSteps, viewWindow } from './view';

const MARGIN = { left: 56, right: 200, top: 62, bottom: 44 };

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const n = (v: number): string => (Math.round(v * 10) / 10).toString();

/** Round tick values covering [lo, hi]: steps of 1, 2 or 5 × 10^k, about `target` of them. */
export function ticks(lo: number, hi: number, target = 6): number[] {
  const raw = (hi - lo) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)));
  return out;
}

/** What the legend says about a run. */
export function outcome(run: Run): string {
  if (run.diverged) return 'diverged';
  return run.stepsToTolerance === null ? `not within ${run.path.length - 1} steps` : `${run.stepsToTolerance} steps`;
}

/**
 * The SVG for one function: contour lines of f, then one `<path class="trajectory">` per run
 * (its colour, width and dashes, markers at steps 1, 2, 4, 8, …, a dot at its end), the start
 * and the minimum, axes with ticks and a legend with each optimizer's lr and steps to
 * tolerance. The view grows to contain every path (see `viewWindow`).
 */
export function renderSvg(fn: TestFunction, runs: readonly Run[], { width = 760, height = 480 } = {}): string {
  const view = viewWindow(fn, runs);
  const [xmin, xmax, ymin, ymax] = view;
  const w = width - MARGIN.left - MARGIN.right;
  const h = height - MARGIN.top - MARGIN.bottom;
  const sx = (x: number): number => MARGIN.left + ((x - xmin) / (xmax - xmin)) * w;
  const sy = (y: number): number => MARGIN.top + ((ymax - y) / (ymax - ymin)) * h;
  const clip = `plot-${fn.id}`;
  const out: string[] = [];
  const put = (s: string): number => out.push(s);

  put('<?xml version="1.0" encoding="UTF-8"?>');
  put(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="title-${fn.id}">`);
  put(`<title id="title-${fn.id}">${esc(`${fn.title}: ${runs.map((r) => `${r.contender.label} ${outcome(r)}`).join(', ')}`)}</title>`);
  put('<style>text{font-family:system-ui,sans-serif;font-size:12px;fill:#222}.t{font-size:15px;font-weight:600}.s{fill:#555}</style>');
  put(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  put(`<clipPath id="${clip}"><rect x="${MARGIN.left}" y="${MARGIN.top}" width="${w}" height="${h}"/></clipPath>`);
  put(`<text class="t" x="${MARGIN.left}" y="20">${esc(`${fn.title}: ${fn.formula}`)}</text>`);
  put(`<text class="s" x="${MARGIN.left}" y="37">${esc(`Paths start at ○ (${fn.start.join(', ')}) and stop once f − f* < ${fn.tolerance}; ✕ marks a global minimum.`)}</text>`);
  put(`<text class="s" x="${MARGIN.left}" y="52">Markers at steps 1, 2, 4, 8, … show how far each optimizer got by then.</text>`);

  // contours: a fine grid, levels at quantiles of f over the view
  const grid = sampleGrid(fn.value, view, 300, 240);
  put(`<g class="contours" clip-path="url(#${clip})" fill="none" stroke="#cfcfcf" stroke-width="0.8">`);
  for (const level of quantileLevels(grid, 14)) {
    const d = polylines(contourSegments(grid, level).map(([x1, y1, x2, y2]) => [`${n(sx(x1))} ${n(sy(y1))}`, `${n(sx(x2))} ${n(sy(y2))}`]))
      .map((line) => `M${line.join('L')}`)
      .join('');
    if (d) put(`<path class="contour" d="${d}"/>`);
  }
  put('</g>');
  axes(put, view, sx, sy, width, height);

  // paths, widest first, so a path that runs under another shows as its border
  put(`<g class="trajectories" clip-path="url(#${clip})" fill="none" stroke-linejoin="round" stroke-linecap="round">`);
  const order = runs.map((r, k) => ({ r, k })).sort((a, b) => b.r.contender.width - a.r.contender.width || a.k - b.k);
  for (const { r: run } of order) {
    const c = run.contender;
    const dash = c.dash ? ` stroke-dasharray="${c.dash}"` : '';
    put(`<path class="trajectory" data-optimizer="${esc(c.label)}" stroke="${c.color}" stroke-width="${c.width}"${dash} d="${pathData(run.path, sx, sy)}"/>`);
  }
  for (const run of runs) {
    const c = run.contender;
    const marks = markerSteps(run.path.length).map((t) => markerPath(c.marker, sx(run.path[t][0]), sy(run.path[t][1]))).join('');
    const paint = isOpen(c.marker) ? `fill="none" stroke="${c.color}" stroke-width="1.6"` : `fill="${c.color}" stroke="#fff" stroke-width="0.8"`;
    if (marks) put(`<path class="markers" data-optimizer="${esc(c.label)}" ${paint} d="${marks}"/>`);
    const [ex, ey] = run.path[run.path.length - 1];
    put(`<circle class="end" cx="${n(sx(ex))}" cy="${n(sy(ey))}" r="2.5" fill="${c.color}" stroke="none"/>`);
  }
  put('</g>');
  put(`<circle class="start" cx="${n(sx(fn.start[0]))}" cy="${n(sy(fn.start[1]))}" r="5" fill="#fff" stroke="#222" stroke-width="1.5"/>`);
  const [mx, my] = [sx(fn.minimum[0]), sy(fn.minimum[1])];
  put(`<path class="minimum" d="M${n(mx - 5)} ${n(my - 5)}L${n(mx + 5)} ${n(my + 5)}M${n(mx - 5)} ${n(my + 5)}L${n(mx + 5)} ${n(my - 5)}" stroke="#222" stroke-width="2"/>`);
  legend(put, runs, MARGIN.left + w + 16);
  put('</svg>');
  return out.join('\n') + '\n';
}

type Put = (s: string) => number;

/** The plot's frame, ticks and axis names. */
function axes(put: Put, [xmin, xmax, ymin, ymax]: readonly number[], sx: (x: number) => number, sy: (y: number) => number, width: number, height: number): void {
  const w = width - MARGIN.left - MARGIN.right;
  const h = height - MARGIN.top - MARGIN.bottom;
  put(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${w}" height="${h}" fill="none" stroke="#444"/>`);
  put('<g class="axes">');
  for (const x of ticks(xmin, xmax)) {
    put(`<line x1="${n(sx(x))}" y1="${MARGIN.top + h}" x2="${n(sx(x))}" y2="${MARGIN.top + h + 5}" stroke="#444"/>`);
    put(`<text x="${n(sx(x))}" y="${MARGIN.top + h + 18}" text-anchor="middle">${x}</text>`);
  }
  for (const y of ticks(ymin, ymax)) {
    put(`<line x1="${MARGIN.left - 5}" y1="${n(sy(y))}" x2="${MARGIN.left}" y2="${n(sy(y))}" stroke="#444"/>`);
    put(`<text x="${MARGIN.left - 8}" y="${n(sy(y) + 4)}" text-anchor="end">${y}</text>`);
  }
  put(`<text x="${MARGIN.left + w / 2}" y="${height - 6}" text-anchor="middle">x</text>`);
  put(`<text x="14" y="${MARGIN.top + h / 2}" text-anchor="middle">y</text>`);
  put('</g>');
}

/** One entry per optimizer: a line sample in its style with its marker, its lr and its outcome. */
function legend(put: Put, runs: readonly Run[], lx: number): void {
  put(`<g class="legend"><text x="${lx}" y="${MARGIN.top + 4}" font-weight="600">optimizer (lr): steps</text>`);
  runs.forEach((run, k) => {
    const c = run.contender;
    const y = MARGIN.top + 26 + k * 36;
    const dash = c.dash ? ` stroke-dasharray="${c.dash}"` : '';
    put(`<line x1="${lx}" y1="${y - 4}" x2="${lx + 24}" y2="${y - 4}" stroke="${c.color}" stroke-width="${Math.min(c.width, 3)}"${dash}/>`);
    const paint = isOpen(c.marker) ? `fill="none" stroke="${c.color}" stroke-width="1.6"` : `fill="${c.color}" stroke="#fff" stroke-width="0.8"`;
    put(`<path ${paint} d="${markerPath(c.marker, lx + 12, y - 4)}"/>`);
    put(`<text x="${lx + 30}" y="${y}">${esc(`${c.label} (${run.lr})`)}</text>`);
    put(`<text class="s" x="${lx + 30}" y="${y + 15}">${esc(outcome(run))}</text>`);
  });
  put('</g>');
}

/** SVG path data for a polyline, dropping points closer than 0.4 px to the last one kept. */
function pathData(points: ReadonlyArray<[number, number]>, sx: (x: number) => number, sy: (y: number) => number): string {
  const parts: string[] = [];
  let last: [number, number] | null = null;
  points.forEach(([x, y], k) => {
    const p: [number, number] = [sx(x), sy(y)];
    if (last && k < points.length - 1 && Math.hypot(p[0] - last[0], p[1] - last[1]) < 0.4) return;
    parts.push(`${last ? 'L' : 'M'}${n(p[0])} ${n(p[1])}`);
    last = p;
  });
  return parts.join('');
}

/** Joins segments (pairs of "x y" pixel strings) that share end points into polylines. */
function polylines(segments: ReadonlyArray<[string, string]>): string[][] {
  const at = new Map<string, number[]>(); // point → segments touching it
  segments.forEach(([a, b], k) => [a, b].forEach((p) => at.set(p, [...(at.get(p) ?? []), k])));
  const used = new Uint8Array(segments.length);
  const extend = (line: string[]): void => {
    for (;;) {
      const end = line[line.length - 1];
      const next = (at.get(end) ?? []).find((k) => !used[k]);
      if (next === undefined) return;
      used[next] = 1;
      const [a, b] = segments[next];
      line.push(a === end ? b : a);
    }
  };
  const lines: string[][] = [];
  segments.forEach(([a, b], k) => {
    if (used[k]) return;
    used[k] = 1;
    const forward = [a, b];
    extend(forward);
    const backward = [a];
    extend(backward);
    lines.push([...backward.reverse().slice(0, -1), ...forward]);
  });
  return lines;
}
