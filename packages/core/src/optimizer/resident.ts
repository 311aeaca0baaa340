// Resident memory: an optimizer declared `resident` keeps each parameter, its gradient and its
// slots together in one block of WebAssembly memory, so its fused kernel updates them in place.
import { allocResident } from '@trainkit/tensor';
import type { ParamRef } from './contract';
import type { SlotRecord } from './slots';

/** A parameter's arrays after placement: its new value and gradient. */
export type Moved = ReadonlyMap<string, readonly [Float32Array, Float32Array]>;

/**
 * Where each parameter of one optimizer lives. A parameter is placed when its value sits in a
 * block this placement made and every slot its configuration needs sits in the same block; a
 * parameter whose slots were replaced (a state load that did not fit in place, a slot that a
 * changed configuration now needs) is placed again, in a fresh block, on its next step.
 */
export interface Placement {
  /**
   * Moves every parameter not yet placed (values, gradient and the slots it keeps copied)
   * into a fresh block and returns their new value and gradient arrays by name. Nothing moves
   * (null) when the wasm kernels are off or no ref can `move`: the update then runs on the
   * arrays it was given. Sizes must have been checked.
   */
  place(params: readonly ParamRef[], slotNames: ReadonlyArray<readonly string[]>, slots: Map<string, SlotRecord>): Moved | null;
}

/** The resident-memory placement of one optimizer instance. */
export function residentPlacement(): Placement {
  /** Parameters placed in resident memory, with the memory their slots are in. */
  const placed = new Map<string, ArrayBufferLike>();

  const isHome = (p: ParamRef, names: readonly string[], record: SlotRecord | undefined): boolean => {
    const home = placed.get(p.name);
    return home !== undefined && home === p.value.buffer && record !== undefined && names.every((k) => record[k]?.buffer === home);
  };

  return {
    place(params, slotNames, slots) {
      const fresh = params.flatMap((p, i) => (p.move !== undefined && !isHome(p, slotNames[i], slots.get(p.name)) ? [i] : []));
      if (fresh.length === 0) return null;
      const blocks = allocResident(fresh.map((i) => Array<number>(2 + slotNames[i].length).fill(params[i].value.length)));
      if (blocks === null) return null;
      const moved = new Map<string, readonly [Float32Array, Float32Array]>();
      fresh.forEach((i, b) => {
        const p = params[i];
        const [value, grad, ...slotArrays] = blocks[b];
        const old = slots.get(p.name);
        const record: SlotRecord = {};
        slotNames[i].forEach((k, j) => {
          record[k] = slotArrays[j];
          if (old?.[k] !== undefined) record[k].set(old[k]);
        });
        slots.set(p.name, record);
        (p.move as NonNullable<ParamRef['move']>)(value, grad);
        placed.set(p.name, value.buffer);
        moved.set(p.name, [value, grad]);
      });
      return moved;
    },
  };
}
