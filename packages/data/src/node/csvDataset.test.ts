import { fc, test as fcTest } from '@fast-check/vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { csvDataset, csvFeatures } from './csvDataset';
import { TabularPreprocessing } from './tabular';

let dir = '';
let n = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trainkit-csv-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function csv(text: string): Promise<string> {
  const path = join(dir, `t${n++}.csv`);
  await writeFile(path, text);
  return path;
}

const rows = (x: Float32Array, width: number): number[][] => Array.from({ length: x.length / width }, (_, i) => Array.from(x.subarray(i * width, (i + 1) * width)));

describe('csvDataset', () => {
  test('numeric columns are standardised, categorical ones one-hot encoded (sorted categories), labels are sorted class indices', async () => {
    const path = await csv('age,color,kind\n1,red,b\n3,blue,a\n5,red,b\n7,green,c\n');
    const { train, preprocessing, report } = await csvDataset(path, { target: 'kind', categorical: ['color'] });
    expect(preprocessing.featureNames).toEqual(['age', 'color=blue', 'color=green', 'color=red']);
    expect(preprocessing.target.classes).toEqual(['a', 'b', 'c']);
    const z = (v: number): number => Math.fround((v - 4) / Math.sqrt(5)); // mean 4, population std √5
    expect(rows(train.x, 4)).toEqual([[z(1), 0, 0, 1], [z(3), 1, 0, 0], [z(5), 0, 0, 1], [z(7), 0, 1, 0]]);
    expect([Array.from(train.y), train.numClasses, report]).toEqual([[1, 0, 1, 2], 3, { rows: 4, dropped: [] }]);
  });

  test("encoding: 'index' gives one input per categorical column; numeric labels sort numerically; features picks and orders columns", async () => {
    const path = await csv('id,size,color,label\n1,2,red,10\n2,4,blue,9\n3,6,red,10\n');
    const { train, preprocessing } = await csvDataset(path, { target: 'label', features: ['color', 'size'], categorical: ['color'], encoding: 'index' });
    expect([preprocessing.featureNames, preprocessing.target.classes, Array.from(train.y)]).toEqual([['color', 'size'], ['9', '10'], [1, 0, 1]]);
    expect(rows(train.x, 2).map((r) => r[0])).toEqual([1, 0, 1]);
  });

  fcTest.prop([fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 4, maxLength: 40 }), fc.integer({ min: 0, max: 1000 })], { numRuns: 20 })(
    'statistics come from the training split only: the training column has mean 0 and std 1 (or is all 0 when constant), whatever the validation rows hold',
    async (values, seed) => {
      const path = await csv(`v,y\n${values.map((v, i) => `${v},${i % 2}`).join('\n')}\n`);
      const { train, val, preprocessing } = await csvDataset(path, { target: 'y', valFraction: 0.25, seed });
      const x = Array.from(train.x);
      const mean = x.reduce((a, b) => a + b, 0) / x.length;
      const variance = x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length;
      expect(Math.abs(mean)).toBeLessThan(1e-4);
      expect(variance === 0 ? 0 : Math.abs(variance - 1)).toBeLessThan(1e-3);
      expect(train.length + (val?.length ?? 0)).toBe(values.length);
      const f = preprocessing.features[0];
      const trainValues = Array.from(train.x, (z) => (f.kind === 'numeric' ? z * f.std + f.mean : NaN));
      expect(Math.abs(trainValues.reduce((a, b) => a + b, 0) / trainValues.length - (f.kind === 'numeric' ? f.mean : NaN))).toBeLessThan(1e-2);
    },
  );

  test('values near the float64 limit (1e308, 1e308, 1) are standardised without overflow: finite features with mean 0 and std 1, and the preprocessing round-trips through JSON', async () => {
    const z = (x: Float32Array, width: number, col: number): number[] => rows(x, width).map((r) => r[col]);
    const { train, preprocessing } = await csvDataset(await csv('a,b,y\n1e308,1.7e308,p\n1e308,-1.7e308,q\n1,-1.7e308,p\n'), { target: 'y' });
    for (const col of [0, 1]) {
      const values = z(train.x, 2, col);
      expect(values.every(Number.isFinite)).toBe(true);
      expect(Math.abs(values.reduce((a, b) => a + b, 0))).toBeLessThan(1e-6);
      expect(values.reduce((a, b) => a + b * b, 0) / 3).toBeCloseTo(1, 6);
    }
    expect(z(train.x, 2, 0)).toEqual([Math.fround(Math.SQRT1_2), Math.fround(Math.SQRT1_2), Math.fround(-Math.SQRT2)]);
    const restored = TabularPreprocessing.fromJSON(JSON.stringify(preprocessing));
    expect(Array.from(restored.transform([{ a: '1e308', b: '1.7e308' }]).data)).toEqual(Array.from(train.x.subarray(0, 2)));
  });

  test('a value that standardises beyond the float32 range is refused naming the row and column, not encoded as Infinity', async () => {
    const { preprocessing } = await csvDataset(await csv('a,y\n1,p\n1.000001,q\n'), { target: 'y' });
    expect(() => preprocessing.transform([{ a: 1e300 }])).toThrow(/^row 0, column "a": 1e\+300 lies [0-9.e+]+ standard deviations from the training mean 1\.0000005, beyond float32 inputs; drop or clip this value$/);
  });

  test('the preprocessing round-trips through toJSON / JSON text / fromJSON and transform encodes predict rows like the training rows', async () => {
    const path = await csv('age,color,kind\n1,red,b\n3,blue,a\n5,red,b\n');
    const { train, preprocessing } = await csvDataset(path, { target: 'kind', categorical: ['color'] });
    const restored = TabularPreprocessing.fromJSON(JSON.stringify(preprocessing));
    expect(restored.toJSON()).toEqual(preprocessing.toJSON());
    const x = restored.transform([{ age: '1', color: 'red' }, { age: 3, color: 'blue' }]);
    expect([x.shape, Array.from(x.data)]).toEqual([[2, 3], Array.from(train.x.subarray(0, 6))]);
    expect(() => restored.transform([{ age: 2, color: 'purple' }])).toThrow('row 0, column "color": category "purple" was never seen in training (seen: blue, red)');
    expect(() => TabularPreprocessing.fromJSON({ ...preprocessing.toJSON(), version: 2 as 1 })).toThrow('TabularPreprocessing.fromJSON: not a trainkit-tabular version 1 object');
    expect(() => TabularPreprocessing.fromJSON({ ...preprocessing.toJSON(), features: [{ name: 'a', kind: 'numeric', mean: 0, std: 0, fill: null }] })).toThrow('is neither a numeric');
  });

  test('csvFeatures encodes a new file with the fitted preprocessing; a label never seen in training is an error naming the line', async () => {
    const { train, preprocessing } = await csvDataset(await csv('age,color,kind\n1,red,b\n3,blue,a\n5,red,b\n'), { target: 'kind', categorical: ['color'] });
    const unlabelled = await csvFeatures(await csv('color,age\nred,1\nblue,3\n'), preprocessing);
    expect([unlabelled.x.shape, Array.from(unlabelled.x.data), unlabelled.y]).toEqual([[2, 3], Array.from(train.x.subarray(0, 6)), undefined]);
    const labelled = await csvFeatures(await csv('age,color,kind\n5,red,a\n'), preprocessing);
    expect(Array.from(labelled.y!)).toEqual([0]);
    const path = await csv('age,color,kind\n5,red,a\n7,blue,zebra\n');
    await expect(csvFeatures(path, preprocessing)).rejects.toThrow(`csvFeatures: ${path} line 3, column "kind": label "zebra" was never seen in training (classes: a, b)`);
    await expect(csvFeatures(await csv('age\n1\n'), preprocessing)).rejects.toThrow('lacks the feature column "color"');
  });

  describe('missing values', () => {
    const text = 'a,c,y\n1,x,p\n,x,p\n3,,q\n5,z,\n4,z,q\n';
    test("'error' (the default) names the line and the column", async () => {
      await expect(csvDataset(await csv(text), { target: 'y', categorical: ['c'] })).rejects.toThrow(/line 3, column "a": missing value \(set missing: 'drop', 'mean' or 'mode'/);
    });
    test("'drop' leaves out every row with a missing cell and reports each", async () => {
      const { train, report } = await csvDataset(await csv(text), { target: 'y', categorical: ['c'], missing: 'drop' });
      expect([train.length, report.dropped]).toEqual([2, [{ line: 3, column: 'a' }, { line: 4, column: 'c' }, { line: 5, column: 'y' }]]);
    });
    test("'mean' fills numbers with the training mean and categories with the mode; 'mode' fills numbers with the most frequent value; rows without a label are dropped", async () => {
      const mean = await csvDataset(await csv(text), { target: 'y', categorical: ['c'], missing: 'mean', encoding: 'index' });
      expect(mean.preprocessing.features.map((f) => f.fill)).toEqual([8 / 3, 'x']);
      expect([mean.train.length, mean.report.dropped]).toEqual([4, [{ line: 5, column: 'y' }]]);
      expect(rows(mean.train.x, 2)[1][0]).toBe(0); // the filled cell standardises to 0
      const mode = await csvDataset(await csv('a,y\n2,p\n2,p\n7,q\nNA,q\n'), { target: 'y', missing: 'mode' });
      expect(mode.preprocessing.features[0].fill).toBe(2);
    });
  });

  describe('bad input', () => {
    test('a ragged row is an error naming the file, the line and the field counts', async () => {
      const path = await csv('a,b,y\n1,2,p\n3,q\n');
      await expect(csvDataset(path, { target: 'y' })).rejects.toThrow(`csvDataset: ${path} line 3 has 2 fields but the header has 3 (a ragged row)`);
    });
    test('a non-numeric value in a numeric column names the line and the column', async () => {
      const path = await csv('a,y\n1,p\nabc,q\n');
      await expect(csvDataset(path, { target: 'y' })).rejects.toThrow(`csvDataset: ${path} line 3, column "a": "abc" is not a number (write numbers in decimal, like 12, -0.5 or 1e-3; list the column in categorical if it holds categories)`);
    });
    test('numeric cells are read in decimal syntax only: hex, binary, octal, Infinity and digit separators are refused naming the line and column; signs, fractions and exponents are read', async () => {
      const { train, preprocessing } = await csvDataset(await csv('a,y\n+1.5,p\n-.5,q\n2.,p\n1e1,q\n-2.5E-1,p\n 007 ,q\n'), { target: 'y' });
      const f = preprocessing.features[0];
      expect(Array.from(train.x, (z) => (f.kind === 'numeric' ? Math.round((z * f.std + f.mean) * 1e4) / 1e4 : NaN))).toEqual([1.5, -0.5, 2, 10, -0.25, 7]);
      for (const cell of ['0x10', '0b101', '0o17', 'Infinity', '-Infinity', 'inf', 'nan', '1_000', '1e', '.', '+', '1.2.3', '12abc']) {
        const path = await csv(`a,y\n1,p\n${cell},q\n`);
        await expect(csvDataset(path, { target: 'y' })).rejects.toThrow(`csvDataset: ${path} line 3, column "a": ${JSON.stringify(cell)} is not a number (write numbers in decimal`);
      }
      const huge = await csv('a,y\n1,p\n1e999,q\n');
      await expect(csvDataset(huge, { target: 'y' })).rejects.toThrow(`csvDataset: ${huge} line 3, column "a": "1e999" is beyond the range of 64-bit floats (±1.8e308); rescale the column`);
      expect(() => preprocessing.transform([{ a: '0x10' }])).toThrow('row 0, column "a": "0x10" is not a number');
    });
    test('hex-looking labels are not sorted as numbers: only decimal labels sort numerically', async () => {
      const { preprocessing } = await csvDataset(await csv('a,y\n1,0x10\n2,9\n3,0x2\n'), { target: 'y' });
      expect(preprocessing.target.classes).toEqual(['0x10', '0x2', '9']);
    });
    test('a validation label or category never seen in the training rows is an error naming the line', async () => {
      const path = await csv('a,c,y\n1,x,p\n2,x,p\n3,x,p\n4,x,p\n5,w,unseen\n');
      const attempt = (seed: number) => csvDataset(path, { target: 'y', categorical: ['c'], valFraction: 0.2, seed });
      let seed = 0;
      while ((await attempt(seed).then(() => 'ok', (e: Error) => e.message)) === 'ok') seed++; // a seed that puts line 6 into val
      await expect(attempt(seed)).rejects.toThrow(new RegExp(`${path} line 6, column "c": category "w" was never seen in training|${path} line 6, column "y": label "unseen" was never seen in training`));
    });
    test('valFraction never takes every row: at least one stays for training, and one row cannot be split at all', async () => {
      const { train, val } = await csvDataset(await csv('a,y\n1,p\n2,p\n'), { target: 'y', valFraction: 0.9 });
      expect([train.length, val?.length]).toEqual([1, 1]);
      const one = await csv('a,y\n1,p\n');
      await expect(csvDataset(one, { target: 'y', valFraction: 0.5 })).rejects.toThrow(`csvDataset: ${one} has 1 row, which cannot be split into training and validation rows (valFraction 0.5); give more rows or valFraction: 0`);
    });
    test('unknown columns, a missing file, an empty file and bad options are named', async () => {
      const path = await csv('a,y\n1,p\n');
      await expect(csvDataset(path, { target: 'z' })).rejects.toThrow(`csvDataset: target "z" is not a column of ${path} (columns: a, y)`);
      await expect(csvDataset(path, { target: 'y', features: ['b'] })).rejects.toThrow('csvDataset: feature "b" is not a column');
      await expect(csvDataset(path, { target: 'y', categorical: ['y'] })).rejects.toThrow('csvDataset: categorical column "y" is not one of the features (a)');
      await expect(csvDataset(join(dir, 'none.csv'), { target: 'y' })).rejects.toThrow(`csvDataset: file not found: ${join(dir, 'none.csv')}`);
      await expect(csvDataset(await csv(''), { target: 'y' })).rejects.toThrow('is empty; expected a header line and rows');
      await expect(csvDataset(await csv('a,a\n1,2\n'), { target: 'a' })).rejects.toThrow('header: column name "a" appears twice');
      await expect(csvDataset(path, { target: 'y', missing: 'zero' as 'drop' })).rejects.toThrow(`csvDataset: missing must be 'error', 'drop', 'mean' or 'mode', got "zero"`);
    });
  });
});
