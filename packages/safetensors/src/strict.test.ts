import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { MAX_METADATA_ENTRIES, MAX_RANK, MAX_TENSORS, SafetensorsError, parseSafetensors, type ParseOptions } from './index';
import { rawFile } from './__tests__/rawFile';

// What the reference reader (the Rust safetensors crate, through serde_json) refuses, trainkit
// refuses too: numbers spelled other than as plain digits where integers are required, lone
// UTF-16 surrogates, empty tensor names, and headers over the limits. Each class has a generator
// and a law "accepted if and only if valid", with an oracle that does not share the parser's code.

/** Parses; returns the file or the SafetensorsError (any other exception fails the test). */
function attempt(bytes: Uint8Array, options?: ParseOptions): ReturnType<typeof parseSafetensors> | SafetensorsError {
  try {
    return parseSafetensors(bytes, options);
  } catch (e) {
    if (e instanceof SafetensorsError) return e;
    throw e;
  }
}

function refused(bytes: Uint8Array, problem: SafetensorsError['problem'], message: string | RegExp, options?: ParseOptions): SafetensorsError {
  const r = attempt(bytes, options);
  expect(r).toBeInstanceOf(SafetensorsError);
  expect((r as SafetensorsError).problem, (r as SafetensorsError).message).toBe(problem);
  expect((r as SafetensorsError).message).toMatch(message);
  return r as SafetensorsError;
}

const EMPTY = '{"dtype":"U8","shape":[0],"data_offsets":[0,0]}';
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const hex4 = (unit: number) => unit.toString(16).padStart(4, '0');

describe('integers in shape and data_offsets: only digits', () => {
  /** Spellings of `v`: plain digits (the only valid one), other JSON spellings of the same number, and text that is not JSON at all. */
  const spellings = (v: number): Array<{ text: string; kind: 'digits' | 'other JSON' | 'not JSON' }> => [
    { text: String(v), kind: 'digits' },
    ...[`${v}.0`, `${v}.000`, `${v}e0`, `${v}E+00`, `${v * 10}e-1`, `0.${v}e${String(v).length}`, `-${v}`, `${v}e400`, `${v + 1}${'0'.repeat(20)}`].map((text) => ({ text, kind: 'other JSON' as const })),
    ...[`0${v}`, `+${v}`, `${v}.`, `.${v}`, `${v}e`, `--${v}`].map((text) => ({ text, kind: 'not JSON' as const })),
  ];
  const cases = fc
    .record({ v: fc.nat(40), at: fc.constantFrom('shape', 'begin', 'end') })
    .chain(({ v, at }) => fc.record({ v: fc.constant(v), at: fc.constant(at), spelling: fc.constantFrom(...spellings(at === 'begin' ? 0 : v)) }));

  test.prop([cases], { numRuns: 600 })('a file is accepted if and only if every integer is written as plain digits', ({ v, at, spelling }) => {
    const shape = at === 'shape' ? spelling.text : String(v);
    const offsets = `[${at === 'begin' ? spelling.text : 0},${at === 'end' ? spelling.text : v}]`;
    const r = attempt(rawFile(`{"t":{"dtype":"U8","shape":[${shape}],"data_offsets":${offsets}}}`, new Uint8Array(v)));
    if (spelling.kind === 'digits') return void expect(r).not.toBeInstanceOf(SafetensorsError);
    expect(r).toBeInstanceOf(SafetensorsError);
    const e = r as SafetensorsError;
    if (spelling.kind === 'not JSON') return void expect(e.problem).toBe('header-json');
    const field = at === 'shape' ? 'shape' : 'data_offsets';
    expect(e.problem).toBe(at === 'shape' ? 'shape' : 'offsets');
    expect(e.message).toContain(`tensor "t": ${field} [`);
    expect(e.message).toContain(`has ${spelling.text.slice(0, 37)}`);
  });

  test.each([
    ['shape', '[2.0]', '[0,8]', 'shape [2.0] has 2.0'],
    ['shape', '[1e1]', '[0,40]', 'shape [1e1] has 1e1'],
    ['data_offsets', '[2]', '[0,0.8e1]', 'data_offsets [0,0.8e1] has 0.8e1'],
    ['data_offsets', '[2]', '[0,80e-1]', 'data_offsets [0,80e-1] has 80e-1'],
    ['data_offsets', '[2]', '[-0,8]', 'data_offsets [-0,8] has -0'],
    ['data_offsets', '[208]', '[0,832.0]', 'data_offsets [0,832.0] has 832.0'],
  ])('%s written as %s %s is refused, quoting the entry as written', (field, shape, offsets, message) => {
    const e = refused(rawFile(`{"t":{"dtype":"F32","shape":${shape},"data_offsets":${offsets}}}`, new Uint8Array(832)), field === 'shape' ? 'shape' : 'offsets', message);
    expect(e.message).toContain('expected non-negative integers written as digits only (no sign, fraction or exponent)');
  });

  test('a shape of 1e400 is quoted as written, not as null', () => {
    const e = refused(rawFile('{"t":{"dtype":"F32","shape":[1e400],"data_offsets":[0,4]}}', new Uint8Array(4)), 'shape', 'tensor "t": shape [1e400] has 1e400, expected');
    expect(e.message).not.toContain('null');
    refused(rawFile(`{"t":{"dtype":"F32","shape":[${'9'.repeat(30)}],"data_offsets":[0,4]}}`, new Uint8Array(4)), 'shape', /has 9{30}, which is 2\^53 or more/);
  });

  test(`a shape may have ${MAX_RANK} dimensions, not more`, () => {
    const shape = (n: number) => `[${Array(n).fill(0).join(',')}]`;
    expect(parseSafetensors(rawFile(`{"t":{"dtype":"F32","shape":${shape(MAX_RANK)},"data_offsets":[0,0]}}`)).tensors.get('t')!.shape).toHaveLength(MAX_RANK);
    refused(rawFile(`{"t":{"dtype":"F32","shape":${shape(MAX_RANK + 1)},"data_offsets":[0,0]}}`), 'shape', `has more than ${MAX_RANK} dimensions`);
  });
});

describe('string escapes: surrogates come in pairs', () => {
  const high = fc.integer({ min: 0xd800, max: 0xdbff });
  const low = fc.integer({ min: 0xdc00, max: 0xdfff });
  const escape = (unit: number, upper: boolean) => `\\u${upper ? hex4(unit).toUpperCase() : hex4(unit)}`;
  /** One piece of a JSON string literal's text: plain characters, simple escapes, BMP escapes, escaped pairs, or a lone half of a pair. */
  const segment = fc.oneof(
    fc.constantFrom('a', 'Z', ' ', 'é', '🎉', '\\n', '\\"', '\\\\', '\\/', '\\t'),
    fc.tuple(fc.oneof(fc.integer({ min: 0x20, max: 0xd7ff }), fc.integer({ min: 0xe000, max: 0xffff })), fc.boolean()).map(([u, up]) => escape(u, up)),
    fc.tuple(high, low, fc.boolean()).map(([h, l, up]) => escape(h, up) + escape(l, up)),
    fc.tuple(high, fc.boolean()).map(([h, up]) => escape(h, up)),
    fc.tuple(low, fc.boolean()).map(([l, up]) => escape(l, up)),
  );
  const literal = fc.array(segment, { minLength: 1, maxLength: 6 }).map((s) => s.join(''));

  test.prop([literal, fc.constantFrom('tensor name', 'metadata key', 'metadata value')], { numRuns: 1500 })(
    'a string is accepted if and only if it decodes to well-formed UTF-16, and then decodes as JSON.parse does',
    (text, place) => {
      const decoded = JSON.parse(`"${text}"`) as string; // the oracle: JSON.parse decodes lone surrogates without complaint
      const header = place === 'tensor name' ? `{"${text}":${EMPTY}}` : place === 'metadata key' ? `{"__metadata__":{"${text}":"v"}}` : `{"__metadata__":{"k":"${text}"}}`;
      const r = attempt(rawFile(header));
      if (LONE_SURROGATE.test(decoded)) {
        expect(r).toBeInstanceOf(SafetensorsError);
        expect((r as SafetensorsError).problem).toBe('header-json');
        return void expect((r as SafetensorsError).message).toMatch(/lone (high|low) surrogate "\\u[0-9a-fA-F]{4}"/);
      }
      expect(r).not.toBeInstanceOf(SafetensorsError);
      const file = r as ReturnType<typeof parseSafetensors>;
      if (place === 'tensor name') expect([...file.tensors.keys()]).toEqual([decoded]);
      else expect({ ...file.metadata }).toEqual(place === 'metadata key' ? { [decoded]: 'v' } : { k: decoded });
    },
  );

  test.each([
    ['a lone high surrogate', '"\\ud800"', 'lone high surrogate "\\ud800" (not followed by a low surrogate escape) (character 2)'],
    ['a pair in the wrong order', '"\\udc00\\ud800"', 'lone low surrogate "\\udc00" (not after a high surrogate) (character 2)'],
    ['a high surrogate before a plain escape', '"\\uD83C\\u0041"', 'lone high surrogate "\\uD83C"'],
  ])('%s in a tensor name is refused', (_, name, message) => {
    refused(rawFile(`{${name}:${EMPTY}}`), 'header-json', message);
  });

  test('a lone surrogate in metadata is refused; a real pair is kept', () => {
    refused(rawFile('{"__metadata__":{"k":"x\\ud800y"}}'), 'header-json', 'lone high surrogate "\\ud800"');
    expect(parseSafetensors(rawFile('{"__metadata__":{"k":"\\ud83c\\udf89"}}')).metadata.k).toBe('🎉');
  });
});

describe('tensor names', () => {
  const name = fc.oneof(
    fc.constant(''),
    fc.string({ unit: 'grapheme', maxLength: 6 }),
    fc.constantFrom('__proto__', 'constructor', 'toString', '0', '10', 'a"b', 'a\\b', '\n', '\u0000', 'ünïcødé', '🎉', ' '),
  );
  /** A name written plainly, or with every UTF-16 unit as a \u escape: two spellings of one name. */
  const spelled = fc.tuple(name, fc.boolean()).map(([n, escaped]) => ({ name: n, text: escaped ? `"${Array.from({ length: n.length }, (_, i) => `\\u${hex4(n.charCodeAt(i))}`).join('')}"` : JSON.stringify(n) }));
  const names = fc.tuple(fc.array(spelled, { maxLength: 5 }), fc.option(fc.tuple(fc.nat(), fc.boolean()))).map(([list, copy]) => {
    if (copy === null || list.length === 0) return list;
    const [at, escaped] = copy;
    const n = list[at % list.length].name; // the same name again, perhaps spelled the other way
    return [...list, { name: n, text: escaped ? `"${Array.from({ length: n.length }, (_, i) => `\\u${hex4(n.charCodeAt(i))}`).join('')}"` : JSON.stringify(n) }];
  });

  test.prop([names], { numRuns: 1000 })('a header is accepted if and only if every name is non-empty and no name repeats (however spelled); names come back in order', (list) => {
    const r = attempt(rawFile(`{${list.map((n) => `${n.text}:${EMPTY}`).join(',')}}`));
    const valid = list.every((n) => n.name !== '') && new Set(list.map((n) => n.name)).size === list.length;
    if (valid) return void expect([...(r as ReturnType<typeof parseSafetensors>).tensors.keys()]).toEqual(list.map((n) => n.name));
    expect(r).toBeInstanceOf(SafetensorsError);
    expect(['header-structure', 'header-json']).toContain((r as SafetensorsError).problem);
    expect((r as SafetensorsError).message).toMatch(/an empty name|duplicate key/);
  });

  test('an empty name is refused, saying where it is', () => {
    refused(rawFile(`{"":${EMPTY}}`), 'header-structure', 'safetensors: a tensor has an empty name (the key "" at character 1 of the header)');
    refused(rawFile(`{"a":${EMPTY},"\\u0061":${EMPTY}}`), 'header-json', /duplicate key "a" \(character 53\)/);
  });
});

describe('entry counts: the limits', () => {
  const near = (limit: number) => fc.integer({ min: -2, max: 2 }).map((d) => Math.max(0, limit + d));
  const counts = fc.record({ maxTensors: fc.nat(12), maxMetadataEntries: fc.nat(12) }).chain((limits) => fc.record({ limits: fc.constant(limits), tensors: near(limits.maxTensors), entries: near(limits.maxMetadataEntries) }));

  test.prop([counts], { numRuns: 500 })('a header is accepted if and only if it holds at most maxTensors tensors and maxMetadataEntries metadata entries', ({ limits, tensors, entries }) => {
    const meta = Array.from({ length: entries }, (_, i) => `"k${i}":"v"`).join(',');
    const header = `{"__metadata__":{${meta}}${Array.from({ length: tensors }, (_, i) => `,"t${i}":${EMPTY}`).join('')}}`;
    const r = attempt(rawFile(header), limits);
    if (tensors <= limits.maxTensors && entries <= limits.maxMetadataEntries) return void expect((r as ReturnType<typeof parseSafetensors>).tensors.size).toBe(tensors);
    expect(r).toBeInstanceOf(SafetensorsError);
    expect((r as SafetensorsError).problem).toBe('limit');
    const [limit, what] = entries > limits.maxMetadataEntries ? ['maxMetadataEntries', `__metadata__ has more than ${limits.maxMetadataEntries} entries`] : ['maxTensors', `the header has more than ${limits.maxTensors} tensors`];
    expect((r as SafetensorsError).message).toContain(what);
    expect((r as SafetensorsError).message).toContain(`pass a larger ${limit} to read it`);
  });

  test(`by default a file holds at most ${MAX_TENSORS} tensors and ${MAX_METADATA_ENTRIES} metadata entries`, () => {
    const tensors = (n: number) => rawFile(`{${Array.from({ length: n }, (_, i) => `"t${i}":${EMPTY}`).join(',')}}`);
    expect(parseSafetensors(tensors(MAX_TENSORS)).tensors.size).toBe(MAX_TENSORS);
    refused(tensors(MAX_TENSORS + 1), 'limit', `the header has more than 100000 tensors (the maxTensors limit; the next is "t100000" at character `);
    expect(parseSafetensors(tensors(MAX_TENSORS + 1), { maxTensors: Infinity }).tensors.size).toBe(MAX_TENSORS + 1);
    const metadata = (n: number) => rawFile(`{"__metadata__":{${Array.from({ length: n }, (_, i) => `"k${i}":""`).join(',')}}}`);
    expect(Object.keys(parseSafetensors(metadata(MAX_METADATA_ENTRIES)).metadata)).toHaveLength(MAX_METADATA_ENTRIES);
    refused(metadata(MAX_METADATA_ENTRIES + 1), 'limit', '__metadata__ has more than 10000 entries (the maxMetadataEntries limit; the next is "k10000"');
  });

  test.each([
    [-1, 'got -1'],
    [NaN, 'got NaN'],
    ['5', 'got "5"'],
  ])('a limit of %j is refused as an option', (bad, got) => {
    expect(() => parseSafetensors(rawFile('{}'), { maxTensors: bad as number })).toThrow(`parseSafetensors: maxTensors must be a non-negative number (Infinity for no limit), ${got}`);
  });
});

describe('messages quote the JSON as written', () => {
  test.each([
    ['a dtype that is an object', '{"t":{"dtype": {"F32": null},"shape":[1],"data_offsets":[0,4]}}', 'dtype', 'tensor "t" has unknown dtype {"F32": null} (known: BOOL'],
    ['a dtype that is a number', '{"t":{"dtype":7.50,"shape":[1],"data_offsets":[0,4]}}', 'dtype', 'tensor "t" has unknown dtype 7.50 (known:'],
    ['a metadata value that is a number', '{"__metadata__":{"epoch":3.0}}', 'header-structure', '__metadata__["epoch"] must be a string, got 3.0'],
    ['metadata that is a list', '{"__metadata__":[1e400, -0]}', 'header-structure', '__metadata__ must be an object of strings, got [1e400, -0]'],
    ['an entry that is a list', '{"t":[1e400]}', 'header-structure', 'tensor "t" must be an object {dtype, shape, data_offsets}, got [1e400]'],
    ['a long value', `{"t":{"dtype":"F32","shape":"${'x'.repeat(1000)}","data_offsets":[0,4]}}`, 'shape', `shape must be a list of non-negative integers, got "${'x'.repeat(36)}...`],
  ] as const)('%s', (_, header, problem, message) => {
    const e = refused(rawFile(header, new Uint8Array(4)), problem, message);
    expect(e.message.length).toBeLessThan(260);
  });
});
