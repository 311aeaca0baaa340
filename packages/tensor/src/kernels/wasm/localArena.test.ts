// The step arena without a thread pool: its fresh buffers live in the module's own memory, above
// the scratch region, so the kernels use them in place. A non-shared wasm memory detaches every
// array on it when it grows, so the region is reserved once (the memory grows to 2 GiB of address
// space) and the memory never grows again: an op whose scratch would pass 1 GiB is refused.
import { afterEach, describe, expect, test } from 'vitest';
import { Arena, keep } from '../../arena';
import { matmul } from '../../ops/matmul';
import { Tensor } from '../../tensor';
import { HEAP_BASE, POOL_MEMORY_BYTES, POOL_RESIDENT_BASE, heapView } from './heap';
import { arenaFloats, reserveArenaRegion, residentAt } from './resident';
import { currentRuntime, getThreads, localKernels, resetKernels } from './runtime';

const runs = localKernels() !== null && getThreads() === 1;

describe.runIf(runs)("the step arena in the kernels' own memory (no thread pool)", () => {
  afterEach(async () => {
    await resetKernels(); // a fresh runtime: the next test starts without the region
  });

  test('fresh buffers are zeros at 1 GiB and up, in place for the kernels; the memory is 2 GiB and stays that buffer', () => {
    const k = localKernels();
    if (k === null) throw new Error('no wasm kernels');
    expect(arenaFloats(8)).toBeNull(); // only an arena's run() reserves the region, never an op
    reserveArenaRegion();
    const a = arenaFloats(1000) as Float32Array;
    const b = arenaFloats(3) as Float32Array;
    expect(a.byteOffset).toBe(POOL_RESIDENT_BASE);
    expect(b.byteOffset).toBe(POOL_RESIDENT_BASE + 4000);
    expect(a.every((v) => v === 0)).toBe(true);
    expect(residentAt(k, a)).toBe(POOL_RESIDENT_BASE);
    const buffer = k.memory.buffer;
    expect(buffer.byteLength).toBe(POOL_MEMORY_BYTES);
    // ops in an arena write their results there, and the memory is not replaced by their scratch
    const arena = new Arena();
    const x = new Tensor(Float32Array.from({ length: 64 * 64 }, (_, i) => (i % 7) - 3), [64, 64]);
    const y = arena.run(() => matmul(x, x));
    expect(residentAt(k, y.data)).toBeGreaterThan(POOL_RESIDENT_BASE);
    expect(y.data[0]).toBe(Array.from({ length: 64 }, (_, j) => x.data[j] * x.data[j * 64]).reduce((s, v) => s + v, 0));
    expect(k.memory.buffer).toBe(buffer);
    expect(a.length).toBe(1000); // not detached
  });

  test('an op whose scratch passes 1 GiB is refused with a RangeError, and the arrays stay valid', () => {
    const k = localKernels() as NonNullable<ReturnType<typeof localKernels>>;
    reserveArenaRegion();
    const a = arenaFloats(16) as Float32Array;
    a.fill(2);
    expect(() => heapView(k, POOL_RESIDENT_BASE + 4)).toThrow(RangeError);
    expect(() => heapView(k, POOL_RESIDENT_BASE + 4)).toThrow(/more than the 1073741824 below the step arena's arrays/);
    expect(Array.from(a)).toEqual(Array(16).fill(2));
    expect(heapView(k, POOL_RESIDENT_BASE).length).toBe(POOL_MEMORY_BYTES / 4); // up to 1 GiB is fine
  });

  test('where an earlier op already took more than 1 GiB of scratch, or the region is full, the arena keeps ordinary arrays', () => {
    const k = localKernels() as NonNullable<ReturnType<typeof localKernels>>;
    heapView(k, POOL_RESIDENT_BASE + HEAP_BASE); // address space only: no page is written
    reserveArenaRegion();
    expect(arenaFloats(8)).toBeNull();
    expect(currentRuntime().localTop).toBe(-1);
    const arena = new Arena();
    const x = new Tensor(new Float32Array(16).fill(1), [4, 4]);
    expect(residentAt(k, arena.run(() => matmul(x, x)).data)).toBe(-1);
  });

  test('the region is full at 2 GiB: a buffer that does not fit is null, the next one that does fits', () => {
    reserveArenaRegion();
    expect(arenaFloats(2 ** 28 - 4)).not.toBeNull(); // 1 GiB − 16 bytes
    expect(arenaFloats(8)).toBeNull();
    expect(arenaFloats(4)).not.toBeNull();
  });

  test("an arena's first run() reserves the region before its ops; keep() of a result there takes a copy, and the arena keeps the buffer", () => {
    const k = localKernels() as NonNullable<ReturnType<typeof localKernels>>;
    const arena = new Arena();
    const x = new Tensor(Float32Array.from({ length: 16 }, (_, i) => i - 8), [4, 4]);
    const y = arena.run(() => matmul(x, x));
    const buffer = y.data;
    expect(residentAt(k, buffer)).toBeGreaterThanOrEqual(POOL_RESIDENT_BASE);
    const values = Array.from(buffer);
    expect(keep(y)).toBe(y);
    expect(residentAt(k, y.data)).toBe(-1);
    arena.reset();
    const z = arena.run(() => matmul(x, x)); // the same shape: the arena hands the same buffer out again
    expect(z.data).toBe(buffer);
    expect(Array.from(y.data)).toEqual(values);
  });
});
