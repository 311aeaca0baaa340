/**
 * ONNX Runtime Web in a real browser: a local server on 127.0.0.1 serves onnxruntime-web's
 * wasm build straight from node_modules, the `.onnx` files and inputs a test hands it, and a
 * page that runs them; Debian's Chromium (through playwright-core) opens that page.
 */
import { readFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, normalize } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../../../scripts/browserPage';

// the package's entry lies in its dist/ folder, next to the wasm files
const ORT_DIST = dirname(createRequire(import.meta.url).resolve('onnxruntime-web'));

const TYPES: Record<string, string> = { '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };

/**
 * The page: loads ORT's wasm build (one thread, the wasm execution provider) and offers
 * `runOnnx(name, sampleShape, batchSizes)`, which fetches `/files/<name>.onnx` and the float32
 * samples `/files/<name>.input`, runs them in batches of each size and returns every batch's
 * output dims and the outputs one after another.
 */
const PAGE = `<!doctype html><meta charset="utf-8"><title>onnxruntime-web</title>
<script type="module">
import * as ort from '/ort/ort.wasm.min.mjs';
ort.env.wasm.wasmPaths = '/ort/';
ort.env.wasm.numThreads = 1;
const bytes = async (url) => new Uint8Array(await (await fetch(url)).arrayBuffer());
window.runOnnx = async (name, sampleShape, batchSizes) => {
  const session = await ort.InferenceSession.create(await bytes('/files/' + name + '.onnx'), { executionProviders: ['wasm'] });
  const raw = await bytes('/files/' + name + '.input');
  const x = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  const size = sampleShape.reduce((a, b) => a * b, 1);
  const count = x.length / size;
  const results = [];
  for (const n of batchSizes) {
    const dims = [];
    const values = [];
    for (let start = 0; start < count; start += n) {
      const m = Math.min(n, count - start);
      const feed = { input: new ort.Tensor('float32', x.slice(start * size, (start + m) * size), [m, ...sampleShape]) };
      const y = (await session.run(feed)).output;
      dims.push([...y.dims]);
      values.push(...y.data);
    }
    results.push({ batchSize: n, dims, values });
  }
  await session.release();
  return results;
};
window.ortReady = true;
</script>`;

/** One batch size's run: each batch's output dims, and all outputs in order. */
export interface WebRun {
  batchSize: number;
  dims: number[][];
  values: number[];
}

export interface OrtWebPage {
  /** Serves `bytes` as the model `name` and `input` (float32 samples) as its input. */
  put(name: string, bytes: Uint8Array, input: Float32Array): void;
  run(name: string, sampleShape: readonly number[], batchSizes: readonly number[]): Promise<WebRun[]>;
  close(): Promise<void>;
}

/** Starts the server and Chromium, and waits until ORT Web has loaded in the page. */
export async function openOrtWebPage(): Promise<OrtWebPage> {
  const files = new Map<string, Uint8Array>();
  const server: Server = createServer((req, res) => {
    const path = normalize(decodeURIComponent((req.url ?? '/').split('?')[0]));
    // cross-origin isolated, as ORT's threaded wasm build expects
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    let body: Uint8Array | string | undefined;
    if (path === '/') body = PAGE;
    else if (path.startsWith('/files/')) body = files.get(path.slice('/files/'.length));
    else if (path.startsWith('/ort/') && !path.includes('..')) body = readOrUndefined(join(ORT_DIST, path.slice('/ort/'.length)));
    if (body === undefined) res.writeHead(404).end();
    else res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? (path === '/' ? 'text/html' : 'application/octet-stream') }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let browser: Browser | undefined;
  let page: Page;
  try {
    browser = await launchChromium(['--no-sandbox', '--disable-background-networking', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1']);
    page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => (window as unknown as { ortReady?: boolean }).ortReady === true, undefined, { timeout: 30_000 }).catch((e: Error) => {
      throw new Error(`onnxruntime-web did not load in the page: ${problems.join('; ') || e.message}`);
    });
  } catch (e) {
    await browser?.close();
    server.close();
    throw e;
  }
  return {
    put(name, bytes, input) {
      files.set(`${name}.onnx`, bytes);
      files.set(`${name}.input`, new Uint8Array(input.buffer, input.byteOffset, input.byteLength));
    },
    run: (name, sampleShape, batchSizes) =>
      page.evaluate(
        (a: { name: string; shape: number[]; sizes: number[] }) => (window as unknown as { runOnnx(n: string, s: number[], b: number[]): Promise<WebRun[]> }).runOnnx(a.name, a.shape, a.sizes),
        { name, shape: [...sampleShape], sizes: [...batchSizes] },
      ),
    async close() {
      await browser?.close();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function readOrUndefined(file: string): Uint8Array | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}
