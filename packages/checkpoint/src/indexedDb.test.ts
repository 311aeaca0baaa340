/**
 * indexedDbStore in a real browser (Debian's Chromium via playwright-core): the store's
 * contract, then exact resume across page loads — a run checkpoints 2 epochs into IndexedDB,
 * the page is loaded anew (only the database survives), and resuming to 4 epochs gives the
 * weights of an uninterrupted 4-epoch run, bit for bit.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type BrowserPage, openBrowserPage } from '../../../scripts/browserPage';
import { CheckpointError } from './errors';
import { indexedDbStore } from './indexedDb';

let browser: BrowserPage;

beforeAll(async () => {
  browser = await openBrowserPage({ entry: join(dirname(fileURLToPath(import.meta.url)), '__tests__', 'idbPage.ts') });
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

describe('indexedDbStore', () => {
  test('in Chromium: the store contract holds, and a run resumed after a page reload equals an uninterrupted one', async () => {
    const saved = await browser.visit('/?phase=save');
    expect(saved.error).toBeUndefined();
    expect(saved.problems).toEqual([]);
    expect(saved.resumedFrom).toBeNull();
    expect(saved.files).toContain('latest.safetensors');
    const resumed = await browser.visit('/?phase=resume');
    expect(resumed.error).toBeUndefined();
    expect(resumed).toMatchObject({ resumedFrom: 'latest.safetensors', same: true });
  }, 120_000);

  test('a run name that is empty or holds "/" is a CheckpointError', () => {
    expect(() => indexedDbStore({ run: '' })).toThrow(CheckpointError);
    expect(() => indexedDbStore({ run: 'a/b' })).toThrow('indexedDbStore: run must be a non-empty name without "/", got "a/b"');
  });

  test('where there is no IndexedDB (here, Node) prepare() says so and points to the directory store', async () => {
    await expect(indexedDbStore({ run: 'x' }).prepare()).rejects.toThrow(
      'indexeddb://trainkit-checkpoints/x: IndexedDB is not available in this runtime (in Node, use checkpoint({ dir }) from @trainkit/checkpoint/node)',
    );
  });
});
