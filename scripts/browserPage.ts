/**
 * For tests that must run in a real browser: bundles a TypeScript entry with esbuild (against
 * the packages' TypeScript sources), serves it from a local HTTP server and drives Debian's
 * Chromium with playwright-core. The script reports by setting `window.result` (a page) or by
 * posting a message from its Web Worker (`worker: true`: the page starts the bundle as a
 * worker and stores what it posts). `isolated` pages get the cross-origin isolation headers
 * that SharedArrayBuffer needs; paths under /plain/ never do.
 */
import { existsSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Launches Debian's Chromium (or `CHROMIUM_PATH`) headless through playwright-core, with a
 * clear error when it is not installed. Every browser test launches it this way.
 */
export async function launchChromium(args: readonly string[] = ['--no-sandbox']): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (.ci/run does this)`);
  return chromium.launch({ executablePath: CHROMIUM, args: [...args], headless: true });
}

export interface BrowserPageOptions {
  /** The script to bundle (absolute path). */
  entry: string;
  /** Run it as a dedicated Web Worker of the page instead of as the page's own script. */
  worker?: boolean;
  /** Chromium's command-line flags (default `--no-sandbox`), e.g. the ones that enable WebGPU. */
  args?: readonly string[];
}

export interface BrowserPage {
  /** Loads `path` (e.g. `/?phase=save`) in the same tab and storage as before, and returns what the script reported. */
  visit(path: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

function html(worker: boolean, script: string): string {
  const body = worker
    ? `const w = new Worker(${JSON.stringify(script)});
w.onmessage = (e) => { window.result = e.data; };
w.onerror = (e) => { window.result = { error: 'worker script failed: ' + e.message }; };
w.postMessage(location.search);`
    : `const s = document.createElement('script'); s.src = ${JSON.stringify(script)} + location.search; document.head.append(s);`;
  return `<!doctype html><meta charset="utf-8"><title>test</title><script>${body}</script>`;
}

/** A TypeScript entry bundled by esbuild for a page (one IIFE script, from the packages' TypeScript sources). */
export async function bundleForBrowser(entry: string): Promise<string> {
  const bundle = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    conditions: ['@trainkit/source'],
    write: false,
    logLevel: 'silent',
  });
  return bundle.outputFiles[0].text;
}

/** Bundles the entry, starts the server and the browser. Throws a clear error when Chromium is missing. */
export async function openBrowserPage(options: BrowserPageOptions): Promise<BrowserPage> {
  const code = await bundleForBrowser(options.entry);
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (!url.startsWith('/plain/')) {
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    }
    const dir = url.startsWith('/plain/') ? '/plain/' : '/';
    if (url.split('?')[0].endsWith('app.js')) res.setHeader('Content-Type', 'text/javascript').end(code);
    else res.setHeader('Content-Type', 'text/html').end(html(options.worker ?? false, `${dir}app.js`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let browser: Browser | null = null;
  let context: BrowserContext;
  let page: Page;
  try {
    browser = await launchChromium(options.args);
    context = await browser.newContext();
    page = await context.newPage();
  } catch (err) {
    await browser?.close();
    server.close();
    throw err;
  }
  return {
    async visit(path, timeoutMs = 60_000) {
      await page.goto(origin + path);
      await page.waitForFunction(() => (window as unknown as { result?: unknown }).result !== undefined, undefined, { timeout: timeoutMs });
      return page.evaluate(() => (window as unknown as { result: Record<string, unknown> }).result);
    },
    async close() {
      await browser?.close();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
