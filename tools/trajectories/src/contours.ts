// Contour lines by marching squares: sample f on a grid, and in every cell connect the points
// where f crosses the level along the cell's edges.

/** A line segment [x1, y1, x2, y2] in function coordinates. */
export type Segment = [number, number, number, number];

/** f sampled on an (nx+1)×(ny+1) grid over [xmin, xmax] × [ymin, ymax]; `values[j][i]` is f(x_i, y_j). */
export interface Grid {
  xs: number[];
  ys: number[];
  values: number[][];
}

export function sampleGrid(f: (x: number, y: number) => number, [xmin, xmax, ymin, ymax]: readonly number[], nx: number, ny: number): Grid {
  const xs = Array.from({ length: nx + 1 }, (_, i) => xmin + ((xmax - xmin) * i) / nx);
  const ys = Array.from({ length: ny + 1 }, (_, j) => ymin + ((ymax - ymin) * j) / ny);
  return { xs, ys, values: ys.map((y) => xs.map((x) => f(x, y))) };
}

/** Where along an edge from value a to value b the level is crossed (0…1). */
const cross = (a: number, b: number, level: number): number => (level - a) / (b - a);

/** The segments of the level set f = level. */
export function contourSegments(grid: Grid, level: number): Segment[] {
  const { xs, ys, values: v } = grid;
  const out: Segment[] = [];
  for (let j = 0; j + 1 < ys.length; j++) {
    for (let i = 0; i + 1 < xs.length; i++) {
      // corners counter-clockwise from bottom-left, and the points where each edge crosses
      const c = [v[j][i], v[j][i + 1], v[j + 1][i + 1], v[j + 1][i]];
      const above = c.map((x) => x > level);
      const [x0, x1, y0, y1] = [xs[i], xs[i + 1], ys[j], ys[j + 1]];
      const edge = (k: number): [number, number] => {
        const t = cross(c[k], c[(k + 1) % 4], level);
        if (k === 0) return [x0 + t * (x1 - x0), y0]; // bottom
        if (k === 1) return [x1, y0 + t * (y1 - y0)]; // right
        if (k === 2) return [x1 - t * (x1 - x0), y1]; // top
        return [x0, y1 - t * (y1 - y0)]; // left
      };
      const crossed = [0, 1, 2, 3].filter((k) => above[k] !== above[(k + 1) % 4]);
      if (crossed.length === 2) {
        const [a, b] = crossed.map(edge);
        out.push([a[0], a[1], b[0], b[1]]);
      } else if (crossed.length === 4) {
        // a saddle cell: the centre's side decides which corners the lines separate
        const centreAbove = (c[0] + c[1] + c[2] + c[3]) / 4 > level;
        const pairs = centreAbove === above[0] ? [[0, 1], [2, 3]] : [[3, 0], [1, 2]];
        for (const [p, q] of pairs) {
          const [a, b] = [edge(p), edge(q)];
          out.push([a[0], a[1], b[0], b[1]]);
        }
      }
    }
  }
  return out;
}

/**
 * `count` levels at evenly spaced quantiles of the sampled values (the middle of each of
 * `count` equal slices): the contours then divide the picture into bands of about equal
 * area, so they neither crowd into a smear on steep walls nor leave a flat valley blank.
 */
export function quantileLevels(grid: Grid, count: number): number[] {
  const sorted = grid.values.flat().sort((a, b) => a - b);
  const levels = Array.from({ length: count }, (_, k) => sorted[Math.floor(((k + 0.5) / count) * sorted.length)]);
  return levels.filter((v, k) => k === 0 || v > levels[k - 1]);
}
