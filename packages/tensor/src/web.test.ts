/**
 * The browser thread pool (@trainkit/tensor/web) in a real browser: Debian's Chromium driven
 * by playwright-core loads a cross-origin isolated page whose Web Worker starts a 2-thread
 * pool of nested Web Workers; the pooled conv2d/matmul results must equal one thread's bit
 * for bit. Without the isolation headers the pool must refuse with a message that says so.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type BrowserPage, openBrowserPage } from '../../../scripts/browserPage';
import { startThreadPool } from './web';

let browser: BrowserPage;

beforeAll(async () => {
  browser = await openBrowserPage({ entry: join(dirname(fileURLToPath(import.meta.url)), '__tests__', 'webPoolWorker.ts'), worker: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

describe('thread pool in a browser (Web Workers, @trainkit/tensor/web)', () => {
  test('a cross-origin isolated page: 2 threads give bit-identical conv2d and matmul results', async () => {
    const r = await browser.visit('/');
    expect(r.error).toBeUndefined();
    expect(r).toMatchObject({ backend: 'wasm', started: 2, threads: 2, afterStop: 1, difference: null });
  }, 90_000);

  test('without cross-origin isolation the pool refuses and says which headers are missing', async () => {
    const r = await browser.visit('/plain/');
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
