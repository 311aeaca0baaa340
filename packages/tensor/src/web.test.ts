/**
 * The browser thread pool (@trainkit/tensor/web) in a real browser: Debian's Chromium driven
 * by playwright-core loads a cross-origin isolated page whose Web Worker starts a 2-thread
 * pool of nested Web Workers; the pooled conv2d/matmul results must equal one thread's bit
 * for bit. Without the isolation headers the pool must refuse with a message that says so.
 */
import { existsSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startThreadPool } from './web';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const here = dirname(fileURLToPath(import.meta.url));
const PAGE = `<!doctype html><title>pool</title><script>
const w = new Worker('/worker.js');
w.onmessage = (e) => { window.result = e.data; };
w.onerror = (e) => { window.result = { error: 'worker script failed: ' + e.message }; };
w.postMessage('go');
</script>`;

let server: Server;
let origin = '';
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (.ci/run does this)`);
  const bundle = await build({ entryPoints: [join(here, '__tests__', 'webPoolWorker.ts')], bundle: true, format: 'iife', platform: 'browser', target: 'es2022', write: false });
  const worker = bundle.outputFiles[0].text;
  server = createServer((req, res) => {
    const isolated = !req.url?.startsWith('/plain');
    if (isolated) {
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    }
    if (req.url?.endsWith('worker.js')) res.setHeader('Content-Type', 'text/javascript').end(worker);
    else res.setHeader('Content-Type', 'text/html').end(PAGE.replace("'/worker.js'", isolated ? "'/worker.js'" : "'/plain/worker.js'"));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], headless: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

async function resultOf(path: string): Promise<Record<string, unknown>> {
  const page = await browser.newPage();
  try {
    await page.goto(origin + path);
    await page.waitForFunction(() => (window as unknown as { result?: unknown }).result !== undefined, undefined, { timeout: 60_000 });
    return await page.evaluate(() => (window as unknown as { result: Record<string, unknown> }).result);
  } finally {
    await page.close();
  }
}

describe('thread pool in a browser (Web Workers, @trainkit/tensor/web)', () => {
  test('a cross-origin isolated page: 2 threads give bit-identical conv2d and matmul results', async () => {
    const r = await resultOf('/');
    expect(r.error).toBeUndefined();
    expect(r).toMatchObject({ backend: 'wasm', started: 2, threads: 2, afterStop: 1, difference: null });
  }, 90_000);

  test('without cross-origin isolation the pool refuses and says which headers are missing', async () => {
    const r = await resultOf('/plain/');
    expect(r.error).toBe(
      'startThreadPool: SharedArrayBuffer needs a cross-origin isolated page: serve it with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp',
    );
  }, 90_000);

  test('where there are no Web Workers (here, Node) it points to the Node pool', async () => {
    await expect(startThreadPool(2)).rejects.toThrow('startThreadPool: this runtime has no Web Workers (in Node, use startThreadPool from @trainkit/tensor/node)');
  });

  test("on a page's main thread it refuses, since that thread may not block", async () => {
    const g = globalThis as { document?: unknown };
    g.document = {};
    try {
      await expect(startThreadPool(2)).rejects.toThrow("startThreadPool: call it inside a Web Worker: a page's main thread may not block");
    } finally {
      delete g.document;
    }
  });
});
