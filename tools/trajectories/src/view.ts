// What part of the plane a picture shows, and the markers that tell paths apart.
import type { TestFunction } from './functions';
import type { MarkerShape, Run } from './run';

/** [xmin, xmax, ymin, ymax] */
export type Window = [number, number, number, number];

/**
 * The function's window, grown to contain every path that did not diverge (plus a margin of
 * 4 % of the span on a side a path reaches), so no path leaves the axes. A diverged path is
 * left to the clip: it would stretch the view without limit.
 */
export function viewWindow(fn: TestFunction, runs: readonly Run[]): Window {
  let [xmin, xmax, ymin, ymax] = fn.window;
  let [lx, hx, ly, hy] = [xmin, xmax, ymin, ymax];
  for (const run of runs) {
    if (run.diverged) continue;
    for (const [x, y] of run.path) [lx, hx, ly, hy] = [Math.min(lx, x), Math.max(hx, x), Math.min(ly, y), Math.max(hy, y)];
  }
  const mx = 0.04 * (Math.max(xmax, hx) - Math.min(xmin, lx));
  const my = 0.04 * (Math.max(ymax, hy) - Math.min(ymin, ly));
  if (lx < xmin) xmin = lx - mx;
  if (hx > xmax) xmax = hx + mx;
  if (ly < ymin) ymin = ly - my;
  if (hy > ymax) ymax = hy + my;
  return [xmin, xmax, ymin, ymax];
}

/** The steps that get a marker: 1, 2, 4, 8, … up to the last step of the path. */
export function markerSteps(pathLength: number): number[] {
  const out: number[] = [];
  for (let t = 1; t < pathLength; t *= 2) out.push(t);
  return out;
}

const n = (v: number): string => (Math.round(v * 10) / 10).toString();

/** SVG path data for one marker of the given shape centred at (x, y), about `r` px in radius. */
export function markerPath(shape: MarkerShape, x: number, y: number, r = 3.5): string {
  const p = (dx: number, dy: number) => `${n(x + dx * r)} ${n(y + dy * r)}`;
  switch (shape) {
    case 'circle':
      return `M${p(-1, 0)}A${n(r)} ${n(r)} 0 1 0 ${p(1, 0)}A${n(r)} ${n(r)} 0 1 0 ${p(-1, 0)}Z`;
    case 'square':
      return `M${p(-0.85, -0.85)}L${p(0.85, -0.85)}L${p(0.85, 0.85)}L${p(-0.85, 0.85)}Z`;
    case 'triangle':
      return `M${p(0, -1.1)}L${p(1, 0.75)}L${p(-1, 0.75)}Z`;
    case 'diamond':
      return `M${p(0, -1.2)}L${p(1, 0)}L${p(0, 1.2)}L${p(-1, 0)}Z`;
    case 'cross':
      return `M${p(-1, -1)}L${p(1, 1)}M${p(-1, 1)}L${p(1, -1)}`;
    case 'plus':
      return `M${p(-1.2, 0)}L${p(1.2, 0)}M${p(0, -1.2)}L${p(0, 1.2)}`;
  }
}

/** Open shapes (lines only) are stroked; closed ones are filled with a white edge so they stand out on a path. */
export const isOpen = (shape: MarkerShape): boolean => shape === 'cross' || shape === 'plus';
