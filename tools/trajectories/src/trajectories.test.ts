import { describe, expect, test } from 'vitest';
import { CONTENDERS } from './contenders';
import { contourSegments, quantileLevels, sampleGrid } from './contours';
import { FUNCTIONS, illConditioned } from './functions';
import { runOn } from './run';
import { renderSvg, ticks } from './svg';
import { stepsTable } from './table';
import { markerSteps, viewWindow } from './view';

/** Checks that every tag closes in order and every & starts an entity; returns the element names. */
function wellFormed(xml: string): string[] {
  const names: string[] = [];
  const stack: string[] = [];
  for (const [, close, name, , selfClose] of xml.replace(/^<\?xml[^>]*\?>/, '').matchAll(/<(\/?)([A-Za-z][\w:-]*)([^>]*?)(\/?)>/g)) {
    if (close) expect(stack.pop(), `</${name}> closes the open element`).toBe(name);
    else if (!selfClose) stack.push(name);
    if (!close) names.push(name);
  }
  expect(stack).toEqual([]);
  expect(xml).not.toMatch(/&(?!amp;|lt;|gt;|quot;)/);
  return names;
}

describe('the trajectory pictures', () => {
  test.each(FUNCTIONS.map((f) => [f.id, f] as const))('%s: well-formed SVG with one path per optimizer, a legend and axes', (_, fn) => {
    // Arrange: short runs keep the test quick
    const runs = CONTENDERS.map((c) => runOn(fn, c, { maxSteps: 60 }));
    // Act
    const svg = renderSvg(fn, runs);
    // Assert
    const elements = wellFormed(svg);
    expect(elements[0]).toBe('svg');
    expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
    const paths = [...svg.matchAll(/<path class="trajectory" data-optimizer="([^"]+)"[^>]* d="([^"]+)"/g)];
    expect(paths.map((m) => m[1]).sort()).toEqual(CONTENDERS.map((c) => c.label).sort());
    for (const [, , d] of paths) expect(d).toMatch(/^M-?[\d.]+ -?[\d.]+(L-?[\d.]+ -?[\d.]+)*$/);
    expect(svg.match(/<path class="contour"/g)?.length).toBeGreaterThan(5);
    for (const c of CONTENDERS) expect(svg).toContain(`>${c.label} (${c.lr[fn.id]})</text>`);
    const [xmin, xmax] = viewWindow(fn, runs);
    for (const t of ticks(xmin, xmax)) expect(svg).toContain(`>${t}</text>`);
  });

  test.each(FUNCTIONS.map((f) => [f.id, f] as const))('%s: every path of the picture lies inside the drawn view', (_, fn) => {
    const runs = CONTENDERS.map((c) => runOn(fn, c, { maxSteps: 20000, stopAtTolerance: true }));
    const [xmin, xmax, ymin, ymax] = viewWindow(fn, runs);
    for (const run of runs) {
      const outside = run.path.filter(([x, y]) => x < xmin || x > xmax || y < ymin || y > ymax);
      expect(outside, run.contender.label).toEqual([]);
    }
  });

  test('optimizers whose paths coincide stay apart: each has its own colour, marker and line style, wider lines underneath', () => {
    const styles = CONTENDERS.map((c) => `${c.width}/${c.dash ?? 'solid'}`);
    expect(new Set(CONTENDERS.map((c) => c.color)).size).toBe(CONTENDERS.length);
    expect(new Set(CONTENDERS.map((c) => c.marker)).size).toBe(CONTENDERS.length);
    expect(new Set(styles).size).toBe(CONTENDERS.length);
    // AdaGrad follows RMSProp's path on the quadratic: it is drawn first and wider, so it shows as a border
    const svg = renderSvg(illConditioned, CONTENDERS.map((c) => runOn(illConditioned, c, { maxSteps: 200, stopAtTolerance: true })));
    const drawn = [...svg.matchAll(/<path class="trajectory" data-optimizer="([^"]+)"[^>]* stroke-width="([\d.]+)"/g)].map((m) => [m[1], Number(m[2])] as const);
    const at = (label: string) => drawn.findIndex(([l]) => l === label);
    expect(at('AdaGrad')).toBeLessThan(at('RMSProp'));
    expect(drawn[at('AdaGrad')][1]).toBeGreaterThan(drawn[at('RMSProp')][1] + 2);
  });

  test('markers sit at steps 1, 2, 4, 8, … of the path', () => {
    expect(markerSteps(206)).toEqual([1, 2, 4, 8, 16, 32, 64, 128]);
    expect(markerSteps(1)).toEqual([]);
  });

  test('steps to tolerance: plain SGD on ½(x² + 50y²) needs the steps x shrinking by (1 − lr) per step predicts', () => {
    // x_t = −8·0.975^t dominates once y has died out: ½x_t² < 1e-3 first holds at t = 205
    const run = runOn(illConditioned, CONTENDERS[0], { maxSteps: 1000, stopAtTolerance: true });
    const predicted = Math.ceil(Math.log(Math.sqrt(2e-3) / 8) / Math.log(1 - 0.025));
    expect(predicted).toBe(205);
    expect(run.stepsToTolerance).toBe(predicted);
    expect(run.path).toHaveLength(run.stepsToTolerance! + 1);
  });

  test('a learning rate beyond 2/curvature is reported as diverged', () => {
    const run = runOn(illConditioned, { ...CONTENDERS[0], lr: { [illConditioned.id]: 0.5 } }, { maxSteps: 1000 });
    expect(run.diverged).toBe(true);
    expect(stepsTable([illConditioned], new Map([[illConditioned.id, [run]]]))).toContain('| SGD | diverged (lr 0.5) |');
  });

  test('marching squares puts the level set of x² + y² = 1 on the unit circle', () => {
    const grid = sampleGrid((x, y) => x * x + y * y, [-2, 2, -2, 2], 80, 80);
    const segments = contourSegments(grid, 1);
    expect(segments.length).toBeGreaterThan(40);
    for (const [x1, y1, x2, y2] of segments) {
      expect(Math.hypot(x1, y1)).toBeCloseTo(1, 2);
      expect(Math.hypot(x2, y2)).toBeCloseTo(1, 2);
    }
  });

  test('quantile levels cut the picture into bands of about equal area (no smear on steep walls, no blank valley)', () => {
    const grid = sampleGrid((x, y) => (1 - x) ** 2 + 100 * (y - x * x) ** 2, [-1.5, 1.5, -0.5, 1.5], 200, 200);
    const levels = quantileLevels(grid, 10);
    const values = grid.values.flat();
    levels.forEach((level, k) => {
      const below = values.filter((v) => v < level).length / values.length;
      expect(below).toBeCloseTo((k + 0.5) / 10, 2);
    });
  });

  test('ticks are round numbers spanning the window', () => {
    expect(ticks(-9, 3)).toEqual([-8, -6, -4, -2, 0, 2]);
    expect(ticks(-1.5, 1.5)).toEqual([-1.5, -1, -0.5, 0, 0.5, 1, 1.5]);
  });
});
