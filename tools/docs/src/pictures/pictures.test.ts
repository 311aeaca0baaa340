// Every picture the docs generators make (this package's and those other workspaces contribute
// through pictures.ts) is committed exactly as the generator makes it now, and so is the
// playground's digit file: `npm run pictures` regenerates them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { expect, test } from 'vitest';
import { encodeSlice } from '../../../../docs/.vitepress/theme/playground/sliceFormat';
import { root } from '../entries';
import { readMnistRaw } from '../mnistIdx';
import { SLICE_FILE } from '../playgroundData';
import { builtIn, contributed } from './main';

const committed = (file: string) => readFileSync(join(root, 'docs', 'public', 'pictures', file));

test('every generated picture is committed byte for byte as its generator makes it now', async () => {
  const all = [...builtIn, ...(await contributed())];
  expect(all.map((p) => p.file)).toEqual(expect.arrayContaining(['training-curves.svg', 'mnist-grid.png']));
  for (const p of all) {
    const content = await p.generate();
    const bytes = typeof content === 'string' ? Buffer.from(content) : Buffer.from(content.buffer, content.byteOffset, content.byteLength);
    expect(bytes.equals(committed(p.file)), `docs/public/pictures/${p.file} is stale: run npm run pictures -- ${p.file}`).toBe(true);
  }
}, 60_000);

test("the playground's digit file holds the first 4,000 training and 1,000 test digits of MNIST", () => {
  const train = readMnistRaw('train', 4000);
  const testSet = readMnistRaw('test', 1000);
  const expected = encodeSlice({ rows: 28, cols: 28, trainLabels: train.labels, testLabels: testSet.labels, trainPixels: train.pixels, testPixels: testSet.pixels });
  expect(Buffer.from(gunzipSync(readFileSync(SLICE_FILE))).equals(Buffer.from(expected))).toBe(true);
});
