/**
 * The sweep report in a real browser (Debian's Chromium via playwright-core): the page a toy
 * sweep writes loads with no console error and no failed request, and every chart is drawn
 * with its marks where the page says.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchChromium } from '../../../../scripts/browserPage';
import { asha } from '../asha';
import { runSweep } from '../runSweep';
import { toySpace, toyTrial } from '../__tests__/toyTrial';
import { renderSweepReport } from './index';

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

describe('sweep report in Chromium', () => {
  test('the report of an ASHA sweep renders with no console errors; the curves of pruned trials are drawn grey', async () => {
    const sweep = await runSweep({ space: toySpace, trial: toyTrial, trials: 9, seed: 3, metric: 'valAccuracy', mode: 'max', scheduler: asha({ maxEpochs: 9 }) });
    const html = renderSweepReport(sweep.trials(), { metric: 'valAccuracy', mode: 'max', space: toySpace, title: 'Toy <sweep>' });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
    await page.setContent(html, { waitUntil: 'load' });
    const drawn = await page.evaluate(() => ({
      title: document.title,
      charts: [...document.querySelectorAll('svg')].map((s) => {
        const box = s.getBoundingClientRect();
        return { width: box.width, height: box.height, marks: s.querySelectorAll('.marks > *').length };
      }),
      prunedStrokes: [...document.querySelectorAll('.curve.pruned polyline')].map((p) => getComputedStyle(p).stroke),
      rows: document.querySelectorAll('table.top-trials tbody tr').length,
    }));
    await page.close();
    expect(problems).toEqual([]);
    expect(drawn.title).toBe('Toy <sweep>');
    expect(drawn.charts).toHaveLength(3);
    for (const c of drawn.charts) expect(c.width > 300 && c.height > 150 && c.marks > 0).toBe(true);
    const pruned = sweep.trials().filter((r) => r.status === 'pruned').length;
    expect(pruned).toBeGreaterThan(0);
    expect(drawn.prunedStrokes).toEqual(Array.from({ length: pruned }, () => 'rgb(176, 180, 186)'));
    expect(drawn.rows).toBe(9);
  }, 60_000);
});
