import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { applyDelta, decodeBase64 } from './embedded';
import { wasmModuleBase64 } from './module.generated';
import { wasmModuleRelaxedDelta } from './moduleRelaxed.generated';

type Encode = (base: Uint8Array, target: Uint8Array) => Uint8Array;
const { encodeDelta } = (await import(new URL('../../../assembly/delta.mjs', import.meta.url).href)) as { encodeDelta: Encode };

const bytes = fc.uint8Array({ maxLength: 400 });
/** A target made from a base the way a rebuild changes it: some spans kept, some replaced, some moved. */
const edited = bytes.chain((base) =>
  fc
    .array(
      fc.oneof(
        fc.tuple(fc.nat(base.length), fc.nat(64)).map(([at, n]) => base.subarray(at, at + n)),
        fc.uint8Array({ maxLength: 8 })
      ),
      { maxLength: 12 }
    )
    .map((parts) => {
      const target = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      parts.reduce((at, p) => (target.set(p, at), at + p.length), 0);
      return [base, target] as const;
    })
);

describe('the embedded kernels: each build but the plain one is a delta against its base build', () => {
  test('applyDelta(base, encodeDelta(base, target)) is target, for any base and target (unrelated or edited)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.tuple(bytes, bytes), edited), ([base, target]) => {
        expect(applyDelta(base, encodeDelta(base, target))).toEqual(target);
      })
    );
  });

  test('a delta applied to another base, truncated, or with a copy past its base is refused with an error, never other bytes', () => {
    const base = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) % 251);
    const target = Uint8Array.from([...base.subarray(10, 200), 1, 2, 3, ...base.subarray(0, 50)]);
    const delta = encodeDelta(base, target);
    const changed = base.slice();
    changed[20] ^= 1;
    expect(() => applyDelta(changed, delta)).toThrow(/its base changed/);
    expect(() => applyDelta(base.subarray(0, 150), delta)).toThrow(/does not fit its base build/);
    expect(() => applyDelta(base, delta.subarray(0, delta.length - 2))).toThrow(/corrupt build/);
    expect(() => applyDelta(base, Uint8Array.of(0x80))).toThrow(/ends inside a number/);
  });

  test('the relaxed build decodes from the plain one into a valid module, 20× smaller than embedding it whole', () => {
    const plain = decodeBase64(wasmModuleBase64);
    const delta = decodeBase64(wasmModuleRelaxedDelta);
    const relaxed = applyDelta(plain, delta);
    expect(relaxed.length).toBeGreaterThan(20 * delta.length);
    expect(Array.from(relaxed.subarray(0, 8))).toEqual([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  });
});
