/**
 * The built site in a real browser (Debian's chromium driven by playwright-core): the home
 * page and every guide render without console errors, no internal link is broken, and the
 * playground trains to > 85 % test accuracy within 60 s with a live loss chart.
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

/** Opens a page and collects everything that went wrong while it loaded. */
async function open(path: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
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

  test('the home page and every guide render with no console errors', async () => {
    for (const path of guidePages()) {
      const { page, problems } = await open(path);
      expect(problems, path).toEqual([]);
      const h1 = await page.locator('h1').first().textContent();
      expect(h1?.trim().length, `${path} has a title`).toBeGreaterThan(0);
      if (path === '/') await page.screenshot({ path: join(shots, 'home.png'), fullPage: true });
      // the pictures on the page loaded and have a size
      for (const img of await page.locator('main img').all()) {
        expect(await img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth > 0), `${path}: ${await img.getAttribute('src')}`).toBe(true);
      }
      await page.close();
    }
  }, 120_000);

  test('the playground trains an MLP to > 85% test accuracy within 60 s, with a live loss chart, and stops on request', async () => {
    const { page, problems } = await open('/playground.html');
    // enough epochs that training is still running when the test presses Stop
    await page.locator('label:has-text("epochs") input').fill('50');
    await page.getByTestId('start').click();
    const started = Date.now();
    await page.waitForFunction(
      () => {
        const text = document.querySelector('[data-testid="test-accuracy"]')?.textContent ?? '';
        return Number.parseFloat(text) > 85;
      },
      undefined,
      { timeout: 60_000, polling: 250 },
    );
    const seconds = (Date.now() - started) / 1000;
    const accuracy = await page.getByTestId('test-accuracy').textContent();
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
    // the loss chart has points: the train series' path has at least two
    const d = await page.locator('[data-testid="loss-chart"] path.series').first().getAttribute('d');
    expect((d ?? '').match(/[ML]/g)?.length ?? 0).toBeGreaterThan(1);
    await page.screenshot({ path: join(shots, 'playground.png'), fullPage: true });
    await page.getByTestId('stop').click();
    await page.waitForFunction(() => ['stopped', 'finished'].includes(document.querySelector('[data-testid="status"]')?.textContent ?? ''), undefined, { timeout: 15_000 });
    expect(problems).toEqual([]);
    writeFileSync(join(shots, 'playground-timing.txt'), `test accuracy ${accuracy} after ${seconds.toFixed(1)} s\n`);
    console.log(`playground: test accuracy ${accuracy} after ${seconds.toFixed(1)} s; 10 frames in ${frameMs.toFixed(0)} ms while training`);
    await page.close();
  }, 120_000);
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
