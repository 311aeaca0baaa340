import type { Dtype, NativeArray, TensorInput } from '@trainkit/safetensors';
import { CheckpointError } from './errors';

/**
 * Trainer and plugin states are plain data with typed arrays inside (optimizer slots, EMA
 * weights). A checkpoint stores them as JSON in the metadata with every typed array moved out
 * into a tensor of the file, referenced as `{"$tensor": name}`, so nothing is lost:
 *
 * - typed arrays keep their type (Float32Array ↔ F32, Int32Array ↔ I32, BigInt64Array ↔ I64, …);
 * - NaN, ±Infinity and -0 become `{"$number": "NaN"}` etc. (JSON has no such numbers);
 * - bigints become `{"$bigint": "123"}`;
 * - object keys that start with `$` get one more `$`, so they never look like a marker.
 *
 * Anything else that is not plain data (a Map, a Date, a class instance, a function, a cycle)
 * is an error naming where it sits.
 */

const DTYPE_OF: Array<[new (n: number) => NativeArray, Dtype]> = [
  [Float32Array, 'F32'],
  [Float64Array, 'F64'],
  [Int8Array, 'I8'],
  [Uint8Array, 'U8'],
  [Int16Array, 'I16'],
  [Uint16Array, 'U16'],
  [Int32Array, 'I32'],
  [Uint32Array, 'U32'],
  [BigInt64Array, 'I64'],
  [BigUint64Array, 'U64'],
];

type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

/** Sets an own property, also for the key `__proto__` (plain assignment would change the prototype). */
function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Turns `value` into JSON-safe data, appending each typed array to `tensors` under a name
 * `prefix/path/to/it` (made unique against `taken`).
 */
export function encodeState(value: unknown, prefix: string, tensors: Array<[string, TensorInput]>, taken: Set<string>): JsonValue {
  const stack = new Set<object>();
  const walk = (v: unknown, path: string[]): JsonValue => {
    if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
    if (typeof v === 'number') return Number.isFinite(v) && !Object.is(v, -0) ? v : { $number: Object.is(v, -0) ? '-0' : String(v) };
    if (typeof v === 'bigint') return { $bigint: v.toString() };
    if (v === undefined) return null;
    const where = [prefix, ...path].join('.');
    if (typeof v !== 'object') throw new CheckpointError(`checkpoint: ${where} is a ${typeof v}; trainer and plugin states must be plain data`);
    if (ArrayBuffer.isView(v)) return tensorRef(v, path);
    if (stack.has(v)) throw new CheckpointError(`checkpoint: ${where} refers back to itself; trainer and plugin states must be plain data without cycles`);
    stack.add(v);
    try {
      if (Array.isArray(v)) return v.map((x, i) => walk(x, [...path, String(i)]));
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) {
        throw new CheckpointError(`checkpoint: ${where} is a ${(v as object).constructor?.name ?? 'non-plain object'}; trainer and plugin states must be plain objects, arrays, numbers, strings and typed arrays`);
      }
      const out: Record<string, JsonValue> = {};
      for (const [k, x] of Object.entries(v)) {
        if (x === undefined) continue;
        setOwn(out, k.startsWith('$') ? `$${k}` : k, walk(x, [...path, k]));
      }
      return out;
    } finally {
      stack.delete(v);
    }
  };
  const tensorRef = (v: ArrayBufferView, path: string[]): JsonValue => {
    const dtype = DTYPE_OF.find(([C]) => v instanceof C)?.[1];
    if (dtype === undefined) throw new CheckpointError(`checkpoint: ${[prefix, ...path].join('.')} is a ${v.constructor.name}, which checkpoints cannot store (use a Float32Array, Int32Array, …)`);
    let name = [prefix, ...path].join('/');
    for (let i = 2; taken.has(name); i++) name = `${[prefix, ...path].join('/')}#${i}`;
    taken.add(name);
    const data = v as NativeArray;
    tensors.push([name, { dtype, shape: [data.length], data }]);
    return { $tensor: name };
  };
  return walk(value, []);
}

/** Undoes {@link encodeState}: `resolve(name)` returns the typed array of a referenced tensor (each may be used once). */
export function decodeState(json: unknown, resolve: (name: string) => NativeArray): unknown {
  const walk = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map(walk);
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && typeof o[keys[0]] === 'string') {
      const s = o[keys[0]] as string;
      if (keys[0] === '$tensor') return resolve(s);
      if (keys[0] === '$number') return markerNumber(s);
      if (keys[0] === '$bigint') {
        if (!/^-?\d{1,400}$/.test(s)) throw new CheckpointError(`checkpoint: bad $bigint ${JSON.stringify(s.slice(0, 30))} in the trainer state`);
        return BigInt(s);
      }
    }
    const out: Record<string, unknown> = {};
    for (const k of keys) {
      if (k.startsWith('$') && !k.startsWith('$$')) throw new CheckpointError(`checkpoint: unknown marker ${JSON.stringify(k)} in the trainer state`);
      setOwn(out, k.startsWith('$') ? k.slice(1) : k, walk(o[k]));
    }
    return out;
  };
  return walk(json);
}

function markerNumber(s: string): number {
  const known: Record<string, number> = { NaN, Infinity, '-Infinity': -Infinity, '-0': -0 };
  if (!Object.hasOwn(known, s)) throw new CheckpointError(`checkpoint: bad $number ${JSON.stringify(s.slice(0, 30))} in the trainer state`);
  return known[s];
}
