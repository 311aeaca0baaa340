/**
 * Runs the browser image folder in Debian's Chromium (playwright-core): the page entry,
 * bundled from the TypeScript sources (bundleForBrowser), is served on 127.0.0.1 and driven with
 * `page.evaluate`.
 */
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { bundleForBrowser, launchChromium } from '../../../../../scripts/browserPage';
import type { WebImageFolderOptions } from '../options';
import type { DatasetData, FileBytes } from './pageEntry';

export type { DatasetData, FileBytes };

/** What the page returns: the result as plain data, or the error's message. */
export type PageResult =
  | { error: string }
  | { classes: string[]; report: { ignored: unknown[]; skipped: unknown[]; decoded: number }; progress: number; train: DatasetData; val?: DatasetData; test?: DatasetData };

export interface ImagePage {
  run(files: FileBytes[], options: Omit<WebImageFolderOptions, 'onProgress'>): Promise<PageResult>;
  /** Writes the files into the browser's sandboxed file system and loads them through their folder's entry, as a drop does. */
  runFromEntries(files: FileBytes[], options: Omit<WebImageFolderOptions, 'onProgress'>): Promise<{ paths: string[]; result: PageResult }>;
  close(): Promise<void>;
}

export async function openImagePage(): Promise<ImagePage> {
  const code = await bundleForBrowser(join(dirname(fileURLToPath(import.meta.url)), 'pageEntry.ts'));
  const server: Server = createServer((req, res) => {
    if ((req.url ?? '/').startsWith('/app.js')) res.writeHead(200, { 'content-type': 'text/javascript' }).end(code);
    else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><meta charset="utf-8"><title>imageFolder</title><script src="/app.js"></script>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  let browser: Browser | undefined;
  let page: Page;
  try {
    browser = await launchChromium(['--no-sandbox', '--disable-background-networking', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1']);
    page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true, undefined, { timeout: 30_000 });
  } catch (e) {
    await browser?.close();
    server.close();
    throw e;
  }
  return {
    run: (files, options) =>
      page.evaluate(
        (a: { files: FileBytes[]; options: WebImageFolderOptions }) => (window as unknown as { run(f: FileBytes[], o: WebImageFolderOptions): Promise<PageResult> }).run(a.files, a.options),
        { files, options },
      ),
    runFromEntries: (files, options) =>
      page.evaluate(
        (a: { files: FileBytes[]; options: WebImageFolderOptions }) =>
          (window as unknown as { runFromEntries(f: FileBytes[], o: WebImageFolderOptions): Promise<{ paths: string[]; result: PageResult }> }).runFromEntries(a.files, a.options),
        { files, options },
      ),
    async close() {
      await browser?.close();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
