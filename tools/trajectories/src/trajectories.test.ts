import { describe, expect, test } from 'vitest';
import { CONTENDERS } from './contenders';
import { contourSegments, sampleGrid } from './contours';
import { FUNCTIONS, illConditioned } from './functions';
import { runOn } from './run';
import { renderSvg, ticks } from './svg';
import { stepsTable } from './table';

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
    for (const t of ticks(fn.window[0], fn.window[1])) expect(svg).toContain(`>${t}</text>`);
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

  test('ticks are round numbers spanning the window', () => {
    expect(ticks(-9, 3)).toEqual([-8, -6, -4, -2, 0, 2]);
    expect(ticks(-1.5, 1.5)).toEqual([-1.5, -1, -0.5, 0, 0.5, 1, 1.5]);
  });
});
