/**
 * The "Install and first script" page, tried the three ways it describes: docs/examples/first-script.ts
 * run by Node, bundled by esbuild for the plain page docs/examples/first-page.html, and built
 * by Vite. Both browser builds run in Chromium and must print what Node prints, line for line.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build as esbuild } from 'esbuild';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchChromium } from '../../../scripts/browserPage';
import { root } from './entries';
import { EXAMPLES_DIR, runExample } from './examples';
import { serveStatic } from './staticServer';

const script = join(EXAMPLES_DIR, 'first-script.ts');
const page = readFileSync(join(EXAMPLES_DIR, 'first-page.html'), 'utf8');

let work: string;
let browser: Browser;
let nodeLines: string[];

beforeAll(async () => {
  // inside the repository, so that a copy of the script resolves @trainkit/* as the original does
  const cache = join(root, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  work = mkdtempSync(join(cache, 'first-page-'));
  const run = await runExample(script);
  expect(run.problem).toBeNull();
  nodeLines = run.stdout.trim().split('\n');
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/**
 * `vite build` in `dir`, run as a user runs it: its own process, with a config file. A build
 * that has not finished in 90 s is killed and fails the test with what it printed (it takes
 * about a second; one CI run once saw an in-process build never return).
 */
async function viteBuild(dir: string): Promise<void> {
  const vite = join(createRequire(import.meta.url).resolve('vite/package.json'), '..', 'bin', 'vite.js');
  writeFileSync(join(dir, 'vite.config.mjs'), "export default { logLevel: 'warn', resolve: { conditions: ['@trainkit/source'] } };\n");
  try {
    await promisify(execFile)(process.execPath, [vite, 'build', '--outDir', 'dist'], { cwd: dir, timeout: 90_000, killSignal: 'SIGKILL' });
  } catch (e) {
    const { stdout = '', stderr = '', killed } = e as { stdout?: string; stderr?: string; killed?: boolean };
    throw new Error(`vite build ${killed ? 'did not finish in 90 s' : 'failed'}:\n${stdout}${stderr}`);
  }
}

/** Serves `dir`, opens its index.html, and returns the lines the script wrote into <pre id="log"> once it says "done". */
async function linesOnPage(dir: string): Promise<string[]> {
  const server = await serveStatic(dir);
  const tab = await browser.newPage().catch(async (e: unknown) => {
    await server.close();
    throw e;
  });
  try {
    const errors: string[] = [];
    tab.on('pageerror', (e) => errors.push(e.message));
    await tab.goto(`${server.url}/index.html`);
    await tab.waitForFunction(() => document.getElementById('log')?.textContent?.includes('done') || false, undefined, { timeout: 60_000 });
    expect(errors).toEqual([]);
    return ((await tab.textContent('#log')) ?? '').trim().split('\n');
  } finally {
    await tab.close();
    await server.close();
  }
}

describe('the first script', () => {
  test('runs in Node and prints ten epochs of falling loss, then "done"', () => {
    expect(nodeLines).toHaveLength(11);
    expect(nodeLines.at(-1)).toBe('done');
    const losses = nodeLines.slice(0, 10).map((l) => Number(/loss (\d\.\d{4})/.exec(l)?.[1]));
    expect(losses[9]).toBeLessThan(losses[0] / 2);
  });

  test('bundled by esbuild for a plain HTML page, it prints in Chromium exactly what Node prints', async () => {
    const dir = join(work, 'esbuild');
    mkdirSync(dir, { recursive: true });
    // what the page tells a user to run: esbuild first-script.ts --bundle --format=esm --outfile=first-script.js
    const out = await esbuild({ entryPoints: [script], bundle: true, format: 'esm', platform: 'browser', conditions: ['@trainkit/source'], outfile: join(dir, 'first-script.js'), logLevel: 'silent' });
    expect(out.errors).toEqual([]);
    writeFileSync(join(dir, 'index.html'), page);
    expect(await linesOnPage(dir)).toEqual(nodeLines);
  }, 120_000);

  test('built by Vite from the same page (script src pointing at the .ts), it prints in Chromium exactly what Node prints', async () => {
    const dir = join(work, 'vite');
    mkdirSync(dir, { recursive: true });
    copyFileSync(script, join(dir, 'first-script.ts'));
    writeFileSync(join(dir, 'index.html'), page.replace('./first-script.js', './first-script.ts'));
    await viteBuild(dir);
    expect(await linesOnPage(join(dir, 'dist'))).toEqual(nodeLines);
  }, 120_000);
});
