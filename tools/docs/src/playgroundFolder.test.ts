/**
 * The playground trains on your own images: in the built site (Debian's chromium driven by
 * playwright-core), a generated folder of class subfolders is picked with the page's folder
 * input; the worker decodes it (@trainkit/data/web), shows the class names and the unreadable
 * file it skipped, and trains to a validation accuracy well above chance.
 * Needs `npm run docs:build` first (`npm test` builds it in its Nx step).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchChromium } from '../../../scripts/browserPage';
import { root } from './entries';
import { serveStatic } from './staticServer';

const dist = join(root, 'docs', '.vitepress', 'dist');
const CLASSES = ['left', 'right', 'top'] as const;
const PER_CLASS = 20;

/** A 20×20 grey PNG: the class's half bright, the rest dark, plus a little seeded noise. */
async function image(cls: (typeof CLASSES)[number], k: number): Promise<Buffer> {
  const px = Buffer.alloc(20 * 20);
  for (let y = 0; y < 20; y++) {
    for (let x = 0; x < 20; x++) {
      const lit = cls === 'left' ? x < 10 : cls === 'right' ? x >= 10 : y < 10;
      const noise = ((x * 7 + y * 13 + k * 31) % 17) * 3;
      px[y * 20 + x] = lit ? 200 + noise : noise;
    }
  }
  return sharp(px, { raw: { width: 20, height: 20, channels: 1 } }).png().toBuffer();
}

let browser: Browser;
let server: Awaited<ReturnType<typeof serveStatic>>;
let dir: string;

beforeAll(async () => {
  if (!existsSync(join(dist, 'index.html'))) throw new Error('the site is not built: run `npm run docs:build` first');
  dir = join(mkdtempSync(join(tmpdir(), 'trainkit-playground-')), 'shapes');
  for (const cls of CLASSES) {
    mkdirSync(join(dir, cls), { recursive: true });
    for (let k = 0; k < PER_CLASS; k++) writeFileSync(join(dir, cls, `${k}.png`), await image(cls, k));
  }
  writeFileSync(join(dir, 'left', 'broken.png'), 'not an image');
  writeFileSync(join(dir, 'notes.txt'), 'ignored: outside the class folders');
  server = await serveStatic(dist);
  browser = await launchChromium(['--no-sandbox', '--disable-background-networking', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1']);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (dir !== undefined) rmSync(join(dir, '..'), { recursive: true, force: true });
});

describe('the playground with a folder of your own images', () => {
  test('a picked folder of class subfolders: class names shown, the broken file skipped, training runs to the end above chance', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
    });
    await page.goto(`${server.url}/playground.html`, { waitUntil: 'networkidle' });
    await page.getByTestId('folder').setInputFiles(dir);
    expect(await page.getByTestId('folder-name').textContent()).toBe('shapes');
    await page.getByTestId('model').selectOption('mlp');
    await page.getByTestId('optimizer').selectOption('adam');
    await page.locator('label:has-text("epochs") input').fill('15');
    await page.getByTestId('start').click();
    await page
      .waitForFunction(() => document.querySelector('[data-testid="status"]')?.textContent === 'finished', undefined, { timeout: 60_000, polling: 250 })
      .catch(async (e: Error) => {
        throw new Error(`${e.message}; status "${await page.getByTestId('status').textContent()}", message "${await page.getByTestId('message').textContent()}"; ${problems.join('; ')}`);
      });
    expect(await page.getByTestId('classes').textContent()).toBe('classes: left, right, top');
    expect(await page.getByTestId('message').textContent()).toMatch(/^(48|49) training images, (12|11) validation images, 3 classes, \d+ parameters; 1 unreadable file skipped$/);
    expect(Number(await page.getByTestId('step').textContent())).toBe(15 * 2); // 48 or 49 images in batches of 32
    expect(Number.parseFloat((await page.getByTestId('test-accuracy').textContent()) ?? '')).toBeGreaterThan(75);
    // back to the digits: the default data again
    await page.getByTestId('use-mnist').click();
    expect(await page.getByTestId('folder-name').count()).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  }, 90_000);
});
