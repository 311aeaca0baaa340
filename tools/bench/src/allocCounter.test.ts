import { afterAll, describe, expect, test } from 'vitest';
import { installAllocationCounter } from './allocCounter';

const counter = installAllocationCounter();
const Original = Object.getPrototypeOf(new Float32Array(0)).constructor as Float32ArrayConstructor;
afterAll(() => counter.uninstall());

/** Bytes the counter records while `fn` runs. */
function counted(fn: () => unknown): number {
  counter.reset();
  counter.on = true;
  try {
    fn();
  } finally {
    counter.on = false;
  }
  return counter.bytes;
}

describe('the allocation counter', () => {
  test('counts the bytes of every new typed array and ArrayBuffer: constructors, from, slice, map and filter', () => {
    const a = new Float32Array(8);
    expect(counted(() => new Float32Array(10))).toBe(40);
    expect(counted(() => new Int32Array([1, 2, 3]))).toBe(12);
    expect(counted(() => Float64Array.from({ length: 4 }, () => 1))).toBe(32);
    expect(counted(() => new ArrayBuffer(100))).toBe(100);
    expect(counted(() => a.slice(2))).toBe(24);
    expect(counted(() => a.map((x) => x + 1))).toBe(32);
    expect(counted(() => a.filter((_, i) => i < 3))).toBe(12);
    expect(counted(() => new SharedArrayBuffer(24))).toBe(24);
    expect(counted(() => new BigInt64Array(2))).toBe(16);
  });

  test('counts views on existing memory as 0 bytes, and nothing while off', () => {
    const buffer = new ArrayBuffer(64);
    const a = new Float32Array(buffer);
    expect(counted(() => new Float32Array(buffer, 16, 4))).toBe(0);
    expect(counted(() => a.subarray(1, 3))).toBe(0);
    const shared = new SharedArrayBuffer(32);
    expect(counted(() => new Float32Array(shared, 8, 2))).toBe(0);
    counter.reset();
    void new Float32Array(1000);
    expect(counter.bytes).toBe(0);
  });

  test('still makes real typed arrays: instanceof, species and values are those of the built-ins', () => {
    const made = new Float32Array([1, 2, 3]);
    expect(made).toBeInstanceOf(Float32Array);
    expect(made.slice(1)).toBeInstanceOf(Float32Array);
    expect(Array.from(made.map((x) => x * 2))).toEqual([2, 4, 6]);
  });

  test('uninstall puts the built-in constructors back', () => {
    counter.uninstall();
    expect(globalThis.Float32Array).toBe(Original);
    expect(counted(() => new Float32Array(4))).toBe(0);
    installAllocationCounter();
    expect(globalThis.Float32Array).not.toBe(Original);
  });

  test('records where each allocation came from', () => {
    counted(() => new Uint8Array(5));
    expect([...counter.sites.keys()].some((s) => s.includes('allocCounter.test.ts'))).toBe(true);
  });
});
