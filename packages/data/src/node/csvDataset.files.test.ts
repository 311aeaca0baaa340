import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { csvDataset, csvFeatures } from './csvDataset';
import { detectDelimiter } from './csvRead';

let dir = '';
let n = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trainkit-csv-files-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function csv(text: string): Promise<string> {
  const path = join(dir, `t${n++}.csv`);
  await writeFile(path, text);
  return path;
}

describe('CSV files as spreadsheets and other tools write them', () => {
  test.each([
    ['semicolons (a spreadsheet where , is the decimal mark)', ';'],
    ['tabs', '\t'],
    ['pipes', '|'],
  ])('a file delimited by %s is read by detecting the delimiter from the header line; csvFeatures detects it too', async (_name, d) => {
    const path = await csv(`\ufeffsize${d}"colour${d}name"${d}kind\r\n1${d}red${d}a\r\n3${d}blue${d}b\r\n`);
    const { train, preprocessing } = await csvDataset(path, { target: 'kind', categorical: [`colour${d}name`] });
    expect([preprocessing.featureNames, preprocessing.target.classes, Array.from(train.y)]).toEqual([['size', `colour${d}name=blue`, `colour${d}name=red`], ['a', 'b'], [0, 1]]);
    const { y } = await csvFeatures(path, preprocessing);
    expect(Array.from(y!)).toEqual([0, 1]);
  });

  test('in a file delimited by ; (where , is the decimal mark) numbers written with a decimal comma are numbers, in training and in csvFeatures', async () => {
    const path = await csv('length;width;kind\n5,1;-0,5;a\n4,9;,5;b\n6;1,5e1;a\n');
    const { train, preprocessing } = await csvDataset(path, { target: 'kind' });
    const f = preprocessing.features;
    expect([f[0].kind === 'numeric' && f[0].mean, f[1].kind === 'numeric' && f[1].mean]).toEqual([(5.1 + 4.9 + 6) / 3, (-0.5 + 0.5 + 15) / 3]);
    expect(Array.from((await csvFeatures(path, preprocessing)).x.data)).toEqual(Array.from(train.x));
    await expect(csvDataset(await csv('a,b,kind\n"5,1",2,a\n'), { target: 'kind' })).rejects.toThrow('line 2, column "a": "5,1" is not a number');
  });

  test('a header with a comma keeps the comma as the delimiter, whatever else it holds; an unreadable file gives the comma (the reader names the problem)', async () => {
    expect(await detectDelimiter(await csv('a;b,c;d\n1;2,3;4\n'))).toBe(',');
    expect(await detectDelimiter(await csv('\n\n"a,b";c;d\n'))).toBe(';');
    expect(await detectDelimiter(await csv('only\n1\n'))).toBe(',');
    expect(await detectDelimiter(join(dir, 'missing.csv'))).toBe(',');
    await expect(csvDataset(join(dir, 'missing.csv'), { target: 'y' })).rejects.toThrow(`csvDataset: file not found: ${join(dir, 'missing.csv')}`);
  });

  test('numeric labels written two ways (1 and 1.0) are one class named by the shortest spelling, whatever the row order; new rows writing 1.0 or 2 map to those classes', async () => {
    const a = await csvDataset(await csv('x,y\n1,1.0\n2,1\n3,2.0\n4,10\n'), { target: 'y' });
    const b = await csvDataset(await csv('x,y\n2,1\n1,1.0\n4,10\n3,2.0\n'), { target: 'y' });
    expect([a.preprocessing.target.classes, Array.from(a.train.y), a.train.numClasses]).toEqual([['1', '2.0', '10'], [0, 0, 1, 2], 3]);
    expect(b.preprocessing.target.classes).toEqual(a.preprocessing.target.classes);
    const { y } = await csvFeatures(await csv('x,y\n1,1.00\n2,2\n3,1e1\n'), a.preprocessing);
    expect(Array.from(y!)).toEqual([0, 1, 2]);
    await expect(csvFeatures(await csv('x,y\n1,3\n'), a.preprocessing)).rejects.toThrow('label "3" was never seen in training (classes: 1, 2.0, 10)');
  });

  test('a row to evaluate with an empty label cell says the label is missing, not that the label "" was never seen', async () => {
    const a = await csvDataset(await csv('x,y\n1,a\n2,b\n'), { target: 'y', valFraction: 0 });
    await expect(csvFeatures(await csv('x,y\n1,a\n2,\n'), a.preprocessing)).rejects.toThrow(/line 3, column "y": the label is missing \(an empty target cell\); every row to evaluate needs its label \(classes: a, b\)/);
  });
});
