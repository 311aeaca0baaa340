// Renders one test function's picture: contour lines, each optimizer's path, axes and a legend.
import { contourSegments, geometricLevels, sampleGrid } from './contours';
import type { TestFunction } from './functions';
import type { Run } from './run';

const MARGIN = { left: 56, right: 200, top: 48, bottom: 44 };

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
 * (in the run's colour, with a dot at its end), the start and the minimum, axes with ticks and
 * a legend with each optimizer's lr and steps to tolerance.
 */
export function renderSvg(fn: TestFunction, runs: readonly Run[], { width = 760, height = 480 } = {}): string {
  const [xmin, xmax, ymin, ymax] = fn.window;
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

  // contours
  const grid = sampleGrid(fn.value, fn.window, 160, 120);
  put(`<g class="contours" clip-path="url(#${clip})" fill="none" stroke="#c8c8c8" stroke-width="0.8">`);
  for (const level of geometricLevels(grid, fn.minValue, 16)) {
    const d = polylines(contourSegments(grid, level).map(([x1, y1, x2, y2]) => [`${n(sx(x1))} ${n(sy(y1))}`, `${n(sx(x2))} ${n(sy(y2))}`]))
      .map((line) => `M${line.join('L')}`)
      .join('');
    if (d) put(`<path class="contour" d="${d}"/>`);
  }
  put('</g>');

  // axes
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

  // paths, start and minimum
  put(`<g class="trajectories" clip-path="url(#${clip})" fill="none" stroke-width="1.6" stroke-linejoin="round">`);
  const onTop = [...runs.filter((r) => !r.contender.dash), ...runs.filter((r) => r.contender.dash)]; // dashed paths stay visible
  for (const run of onTop) {
    const dash = run.contender.dash ? ` stroke-dasharray="${run.contender.dash}"` : '';
    put(`<path class="trajectory" data-optimizer="${esc(run.contender.label)}" stroke="${run.contender.color}"${dash} d="${pathData(run.path, sx, sy)}"/>`);
    const [ex, ey] = run.path[run.path.length - 1];
    put(`<circle class="end" cx="${n(sx(ex))}" cy="${n(sy(ey))}" r="2.5" fill="${run.contender.color}" stroke="none"/>`);
  }
  put('</g>');
  put(`<circle class="start" cx="${n(sx(fn.start[0]))}" cy="${n(sy(fn.start[1]))}" r="5" fill="#fff" stroke="#222" stroke-width="1.5"/>`);
  const [mx, my] = [sx(fn.minimum[0]), sy(fn.minimum[1])];
  put(`<path class="minimum" d="M${n(mx - 5)} ${n(my - 5)}L${n(mx + 5)} ${n(my + 5)}M${n(mx - 5)} ${n(my + 5)}L${n(mx + 5)} ${n(my - 5)}" stroke="#222" stroke-width="2"/>`);

  // legend
  const lx = MARGIN.left + w + 16;
  put(`<g class="legend"><text x="${lx}" y="${MARGIN.top + 4}" font-weight="600">optimizer (lr): steps</text>`);
  runs.forEach((run, k) => {
    const y = MARGIN.top + 26 + k * 36;
    const dash = run.contender.dash ? ` stroke-dasharray="${run.contender.dash}"` : '';
    put(`<line x1="${lx}" y1="${y - 4}" x2="${lx + 24}" y2="${y - 4}" stroke="${run.contender.color}" stroke-width="2.5"${dash}/>`);
    put(`<text x="${lx + 30}" y="${y}">${esc(`${run.contender.label} (${run.lr})`)}</text>`);
    put(`<text class="s" x="${lx + 30}" y="${y + 15}">${esc(outcome(run))}</text>`);
  });
  put('</g>');
  put('</svg>');
  return out.join('\n') + '\n';
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
