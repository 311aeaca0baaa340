import { fc, test } from '@fast-check/vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { PIXELS, parseClassFile } from './classFile';
import { packageDir } from './packageDir';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const image = (v: unknown = 0): unknown[] => new Array<unknown>(PIXELS).fill(v);
const file = (data: unknown): Uint8Array => utf8(JSON.stringify({ data }));

/** The reference: JSON.parse, drop empty arrays, pack the rest. */
function viaJsonParse(text: string): Uint8Array {
  const images = (JSON.parse(text) as { data: number[][] }).data.filter((im) => im.length > 0);
  const out = new Uint8Array(images.length * PIXELS);
  images.forEach((im, i) => out.set(im, i * PIXELS));
  return out;
}

describe('parseClassFile', () => {
  const pixels = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: PIXELS, maxLength: PIXELS });
  const images = fc.array(fc.oneof(pixels, fc.constant([])), { maxLength: 4 });

  test.prop([images, fc.constantFrom(0, 1, 2, '\t', '\r\n')], { numRuns: 40 })(
    'agrees with JSON.parse on any well-formed file, whatever its whitespace',
    (data, indent) => {
      const text = JSON.stringify({ data }, null, indent);
      const kept = data.filter((im) => im.length > 0).length;
      expect(parseClassFile(utf8(text), 'c.json', kept)).toEqual(viaJsonParse(text));
    },
  );

  test('agrees with JSON.parse on a real Fashion-MNIST class file', async () => {
    const bytes = await readFile(join(packageDir('fashion-mnist', 'test'), 'src', 'clothes', '5.json'));
    const packed = parseClassFile(bytes, '5.json', 7000);
    const reference = viaJsonParse(bytes.toString('utf8'));
    expect(Buffer.compare(packed, reference)).toBe(0); // (toEqual walks 5.5 MB element by element: slow)
  });

  test('drops empty arrays and packs the images into bytes', () => {
    const bytes = parseClassFile(file([image(1), [], image(255)]), 'c.json', 2);
    expect([bytes.length, bytes[0], bytes[PIXELS]]).toEqual([2 * PIXELS, 1, 255]);
  });

  test('rejects images that are not 784 integers in 0..255, naming the file and the position', () => {
    const bad = (data: unknown): (() => Uint8Array) => () => parseClassFile(file(data), 'c.json', 2);
    expect(bad([image(), image().slice(1)])).toThrow('loadFashionMnist: c.json: data[1] has 783 values, expected an array of 784 (28×28) pixels');
    expect(bad([image(), [...image(), 0]])).toThrow('data[1] has 785 values');
    expect(bad([image(), 'x'])).toThrow('loadFashionMnist: c.json: data[1] is "x", expected an array of 784 (28×28) pixels');
    expect(bad([[], image(), image(256)])).toThrow('loadFashionMnist: c.json: data[2][0] is 256, expected an integer in 0..255');
    expect(bad([image(0.5), image()])).toThrow('data[0][0] is 0.5, expected an integer in 0..255');
    expect(bad([image(1e3), image()])).toThrow('data[0][0] is 1000, expected');
    expect(bad([image(-1), image()])).toThrow('data[0][0] is -1, expected');
    expect(bad([image('7'), image()])).toThrow('data[0][0] is "7", expected');
    expect(bad([image(null), image()])).toThrow('data[0][0] is null, expected');
    expect(() => parseClassFile(utf8('{"data":[[007]]}'), 'c.json', 1)).toThrow('data[0][0] is 007, expected an integer in 0..255');
    expect(() => parseClassFile(utf8('{"data":[[1e2]]}'), 'c.json', 1)).toThrow('data[0][0] is 1e2, expected an integer in 0..255');
  });

  test('rejects a wrong image count, a wrong structure and malformed JSON', () => {
    const parse = (text: string, expected = 1): (() => Uint8Array) => () => parseClassFile(utf8(text), 'c.json', expected);
    expect(() => parseClassFile(file([image(), []]), 'c.json', 2)).toThrow('loadFashionMnist: c.json: expected 2 images (after dropping empty arrays), found 1');
    expect(() => parseClassFile(file([image(), image()]), 'c.json', 1)).toThrow('expected 1 images (after dropping empty arrays), found 2');
    expect(parse('[[1]]')).toThrow('loadFashionMnist: c.json: expected { at byte 0, found "["; a class file is {"data": [[784 pixels], ...]}');
    expect(parse('{"pixels": []}')).toThrow('expected "data" at byte 1, found "p"');
    expect(parse('{"data ": []}')).toThrow('expected "data" at byte 1, found " "');
    expect(parse('{"data": [', 0)).toThrow('c.json: data[0] is , expected an array of 784');
    expect(parse('{"data": []', 0)).toThrow('expected } at byte 11, found the end of the file');
    expect(parse('{"data": [[1 2]]}')).toThrow('expected , or ] in data[0] at byte 13, found "2"');
    expect(parse('{"data": [[]]}x', 0)).toThrow('unexpected "x" at byte 14, after the end of the object');
    expect(parse('{"data": [[] []]}', 0)).toThrow('expected , or ] after data[0] at byte 13, found "["');
    expect(parseClassFile(utf8(' { "data" : [ ] } \n'), 'c.json', 0)).toEqual(new Uint8Array(0));
  });
});
