/**
 * The built site in a real browser (Debian's chromium driven by playwright-core): the home
 * page and every guide render without console errors and fit a 390 px phone and a 1280 px
 * laptop without sideways scrolling, no internal link is broken, and the playground's default
 * run trains the CNN past 85 % test accuracy with live charts, and stops on request.
 * Screenshots and the playground's timing go to artifacts/docs-screenshots/ (git-ignored).
 * Needs `npm run docs:build` first (`npm test` builds it in its Nx step).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { root } from './entries';
import { brokenLinks } from './links';
import { serveStatic } from './staticServer';
import { launchChromium } from '../../../scripts/browserPage';

const dist = join(root, 'docs', '.vitepress', 'dist');
const shots = join(root, 'artifacts', 'docs-screenshots');
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
];

/** The hand-written pages: home, getting started, concepts, every package guide and guide, the playground, the API index. */
function guidePages(): string[] {
  const md = (dir: string) => readdirSync(join(root, 'docs', dir)).filter((f) => f.endsWith('.md')).map((f) => `/${dir}/${f.replace(/\.md$/, '.html')}`);
  return ['/', '/getting-started.html', '/concepts.html', ...md('packages'), ...md('guide'), '/playground.html', '/api/'];
}

let browser: Browser;
let server: Awaited<ReturnType<typeof serveStatic>>;

beforeAll(async () => {
  if (!existsSync(join(dist, 'index.html'))) throw new Error('the site is not built: run `npm run docs:build` first');
  mkdirSync(shots, { recursive: true });
  server = await serveStatic(dist);
  browser = await launchChromium(ARGS);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** The two widths every page must fit: a phone and a laptop. */
const WIDTHS = [390, 1280] as const;

/** Opens a page and collects everything that went wrong while it loaded. */
async function open(path: string, width = 1280): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()} for ${r.url()}`);
  });
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
  await page.goto(server.url + path, { waitUntil: 'networkidle' });
  return { page, problems };
}

describe('the built docs site', () => {
  test('no internal link or fragment of any page (API reference included) is broken', () => {
    expect(brokenLinks(dist)).toEqual([]);
  });

  test('the browser bundle has no Node built-ins', () => {
    const assets = join(dist, 'assets');
    const js = readdirSync(assets, { recursive: true }).map(String).filter((f) => f.endsWith('.js'));
    expect(js.length).toBeGreaterThan(0);
    for (const f of js) expect(readFileSync(join(assets, f), 'utf8'), f).not.toMatch(/\bfrom\s*["']node:|require\(["']node:|\bfrom\s*["'](fs|path|os|worker_threads)["']/);
  });

  // One visit per page: loading each page once per check (three passes) took 3 of the suite's
  // 4 minutes. The page is loaded at the laptop width, then narrowed to the phone width; the
  // theme's layout is CSS media queries and resize listeners, so both widths are measured live.
  test('every page (home, guides, playground, API index) renders with no console errors and fits a 390 px phone and a 1280 px laptop without sideways scrolling or clipped code', async () => {
    for (const path of guidePages()) {
      const { page, problems } = await open(path, WIDTHS[1]);
      expect(problems, path).toEqual([]);
      const h1 = await page.locator('h1').first().textContent();
      expect(h1?.trim().length, `${path} has a title`).toBeGreaterThan(0);
      // the pictures on the page loaded and have a size
      for (const img of await page.locator('main img').all()) {
        expect(await img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth > 0), `${path}: ${await img.getAttribute('src')}`).toBe(true);
      }
      for (const width of [...WIDTHS].reverse()) {
        await page.setViewportSize({ width, height: 900 });
        await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
        const fit = await page.evaluate(() => ({
          scrollWidth: document.scrollingElement?.scrollWidth ?? 0,
          innerWidth: window.innerWidth,
          scrollingCode: [...document.querySelectorAll('.vp-doc pre')].filter((p) => p.scrollWidth > p.clientWidth + 1).map((p) => p.textContent?.slice(0, 60)),
        }));
        expect(fit.innerWidth, `${path}: the window was resized to ${width} px`).toBe(width);
        expect(fit.scrollWidth, `${path} at ${width} px`).toBeLessThanOrEqual(fit.innerWidth);
        expect(fit.scrollingCode, `${path} at ${width} px: code blocks wider than the column`).toEqual([]);
        if (['/', '/getting-started.html', '/install.html', '/packages/core.html', '/playground.html'].includes(path)) {
          await page.screenshot({ path: join(shots, `${path === '/' ? 'home' : path.replace(/^\/|\.html$/g, '').replace(/\//g, '-')}-${width}.png`), fullPage: true });
        }
      }
      expect(problems, `${path} after resizing`).toEqual([]);
      await page.close();
    }
  }, 240_000);

  test('the playground lays out its stat cards in full rows and its two charts side by side at 1280 px, stacked at 390 px', async () => {
    for (const width of WIDTHS) {
      const { page } = await open('/playground.html', width);
      const layout = await page.evaluate(() => {
        const tops = [...document.querySelectorAll('.tk-stats > div')].map((d) => Math.round(d.getBoundingClientRect().top));
        const rows = [...new Set(tops)].map((t) => tops.filter((x) => x === t).length);
        const charts = [...document.querySelectorAll('.tk-charts > div')].map((d) => d.getBoundingClientRect());
        const column = document.querySelector('.tk-playground')?.getBoundingClientRect().width ?? 0;
        return { rows, chartTops: charts.map((c) => Math.round(c.top)), chartWidths: charts.map((c) => c.width / column) };
      });
      expect(new Set(layout.rows).size, `${width} px: every row of stat cards is full (${layout.rows})`).toBe(1);
      if (width === 1280) {
        expect(layout.chartTops[0]).toBe(layout.chartTops[1]);
        for (const w of layout.chartWidths) expect(w).toBeGreaterThan(0.45);
      } else {
        expect(layout.chartTops[1]).toBeGreaterThan(layout.chartTops[0]);
        for (const w of layout.chartWidths) expect(w).toBeGreaterThan(0.95);
      }
      await page.close();
    }
  }, 60_000);

  test('the playground\'s default run trains the CNN past 85% test accuracy with live charts, keeps the page responsive and runs to the end', async () => {
    const { page, problems } = await open('/playground.html');
    expect(await page.getByTestId('model').inputValue()).toBe('cnn');
    await page.getByTestId('start').click();
    const started = Date.now();
    await page.waitForFunction(() => Number.parseFloat(document.querySelector('[data-testid="test-accuracy"]')?.textContent ?? '') > 85, undefined, { timeout: 120_000, polling: 250 });
    const to85 = (Date.now() - started) / 1000;
    // the page stays responsive while the worker trains: ten animation frames in well under a second
    const frameMs = await page.evaluate(
      () =>
        new Promise<number>((resolve) => {
          const t0 = performance.now();
          let n = 0;
          const tick = () => (++n === 10 ? resolve(performance.now() - t0) : requestAnimationFrame(tick));
          requestAnimationFrame(tick);
        }),
    );
    expect(frameMs).toBeLessThan(1000);
    // both charts have a training curve with points
    for (const chart of ['loss-chart', 'accuracy-chart']) {
      const d = await page.locator(`[data-testid="${chart}"] path.series`).first().getAttribute('d');
      expect((d ?? '').match(/[ML]/g)?.length ?? 0, chart).toBeGreaterThan(1);
    }
    await page.waitForFunction(() => document.querySelector('[data-testid="status"]')?.textContent === 'finished', undefined, { timeout: 240_000, polling: 500 });
    const total = (Date.now() - started) / 1000;
    const accuracy = await page.getByTestId('test-accuracy').textContent();
    await page.screenshot({ path: join(shots, 'playground-finished-1280.png'), fullPage: true });
    expect(problems).toEqual([]);
    const form = await page.evaluate(() => [...document.querySelectorAll('.tk-controls select, .tk-controls input[type="number"]')].map((e) => (e as HTMLInputElement).value).join(', '));
    const line = `default run (${form}): > 85% test accuracy after ${to85.toFixed(1)} s, finished after ${total.toFixed(1)} s at ${accuracy}; 10 frames in ${frameMs.toFixed(0)} ms while training`;
    writeFileSync(join(shots, 'playground-timing.txt'), `${line}\n`);
    console.log(`playground: ${line}`);
    await page.close();
  }, 300_000);

  test('the playground trains on the GPU when the browser has WebGPU (Chromium on its SwiftShader adapter), and says so beside samples/s', async () => {
    // a browser of its own: the others run with --disable-gpu, this one with WebGPU on the software adapter
    const gpuBrowser = await launchChromium([...ARGS.filter((a) => a !== '--disable-gpu'), '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-webgpu-adapter=swiftshader']);
    try {
      const page = await gpuBrowser.newPage({ viewport: { width: 1280, height: 900 } });
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('console', (m) => void (m.type() === 'error' ? problems.push(`console error: ${m.text()}`) : undefined));
      await page.goto(server.url + '/playground.html', { waitUntil: 'networkidle' });
      await page.getByTestId('model').selectOption('mlp');
      await page.getByTestId('device').selectOption('webgpu');
      await page.locator('label:has-text("epochs") input').fill('1');
      await page.getByTestId('start').click();
      await page.waitForFunction(() => ['finished', 'error'].includes(document.querySelector('[data-testid="status"]')?.textContent ?? ''), undefined, { timeout: 120_000, polling: 500 });
      expect(await page.getByTestId('message').textContent()).not.toMatch(/not on the GPU|error/);
      expect(await page.getByTestId('status').textContent()).toBe('finished');
      expect(await page.locator('.tk-stats span:has-text("samples/s")').textContent()).toBe('samples/s (GPU)');
      expect(Number(await page.getByTestId('samples-per-sec').textContent())).toBeGreaterThan(0);
      expect(Number.parseFloat((await page.getByTestId('test-accuracy').textContent()) ?? '')).toBeGreaterThan(50);
      expect(problems).toEqual([]);
    } finally {
      await gpuBrowser.close();
    }
  }, 180_000);

  test('the playground stops a long run on request', async () => {
    const { page, problems } = await open('/playground.html');
    await page.getByTestId('model').selectOption('mlp');
    await page.locator('label:has-text("epochs") input').fill('50');
    await page.getByTestId('start').click();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="step"]')?.textContent ?? 0) > 20, undefined, { timeout: 60_000, polling: 250 });
    await page.getByTestId('stop').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="status"]')?.textContent === 'stopped', undefined, { timeout: 15_000 });
    expect(problems).toEqual([]);
    await page.close();
  }, 90_000);
});

describe('the link checker', () => {
  test('finds a missing page, a missing asset and a missing fragment', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trainkit-links-'));
    try {
      mkdirSync(join(dir, 'guide'));
      writeFileSync(join(dir, 'index.html'), '<h1 id="top">x</h1><a href="/guide/a.html#there">ok</a><a href="/gone.html">bad</a><img src="/pic.svg"><a href="https://example.org">ext</a>');
      writeFileSync(join(dir, 'guide', 'a.html'), '<h2 id="there">a</h2><a href="../index.html#top">ok</a><a href="./b#nowhere">bad</a>');
      writeFileSync(join(dir, 'guide', 'b.html'), '<p>b</p>');
      expect(brokenLinks(dir)).toEqual([
        'guide/a.html: ./b#nowhere (no element with id "nowhere")',
        'index.html: /gone.html (no such page or file)',
        'index.html: /pic.svg (no such page or file)',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
