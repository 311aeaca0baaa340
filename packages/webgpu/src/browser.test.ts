/**
 * The WebGPU kernels in a real browser: Debian's Chromium with its software WebGPU adapter
 * (SwiftShader, through `--use-webgpu-adapter=swiftshader`), on a page served from
 * http://127.0.0.1 (navigator.gpu needs a secure context), runs the GEMM and conv2d checks of
 * __tests__/browserOps.ts against the CPU ops, and trains a small ResNet-8 and ViT there against CPU training.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type BrowserPage, openBrowserPage } from '../../../scripts/browserPage';

const WEBGPU_FLAGS = ['--no-sandbox', '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-webgpu-adapter=swiftshader', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1'];
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(chromium)) console.log(`skipping the WebGPU browser test: no Chromium at ${chromium}`);

let browser: BrowserPage;

describe.skipIf(!existsSync(chromium))('WebGPU kernels in Chromium (navigator.gpu on the SwiftShader adapter)', () => {
  beforeAll(async () => {
    browser = await openBrowserPage({ entry: join(dirname(fileURLToPath(import.meta.url)), '__tests__', 'browserOps.ts'), args: WEBGPU_FLAGS });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
  });

  test('GEMM (both kernels, every transpose) and conv2d with its gradients equal the CPU ops, and 2 GPU training steps of ResNet-8 and a ViT, in the Trainer’s session and in a user’s own loop on device tensors, leave the CPU steps’ state dicts, within 1e-4 relative', async () => {
    const r = await browser.visit('/plain/', 90_000);
    expect(r.error).toBeUndefined();
    expect(r.adapter).toMatch(/swiftshader/i);
    const errors = r.errors as Record<string, number>;
    expect(Object.keys(errors)).toHaveLength(16);
    for (const [what, e] of Object.entries(errors)) expect(e, what).toBeLessThanOrEqual(1e-4);
  }, 120_000);
});
