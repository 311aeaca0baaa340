// Per-parameter slots: which ones a configuration needs, keeping each parameter's record to
// exactly those, size checks, and copying them out of and back into the optimizer state.
import { ConfigError } from '../errors';
import type { Hyperparams, OptimizerSpec, SlotNames } from './contract';

/** One parameter's slots by slot name. */
export type SlotRecord = Record<string, Float32Array>;

/** Throws unless `names` is a list of distinct non-empty strings. */
export function checkSlotNames(optimizer: string, names: unknown, source: string): asserts names is readonly string[] {
  const ok = Array.isArray(names) && names.every((k, i) => typeof k === 'string' && k !== '' && names.indexOf(k) === i);
  if (!ok) throw new ConfigError(`${optimizer}: ${source} must be a list of distinct non-empty slot names, got ${JSON.stringify(names)}`);
}

/** The slot names an optimizer keeps for a parameter whose group has these hyperparameters. */
export function slotNamesFor<H extends Hyperparams>(spec: OptimizerSpec<H>, hyper: Readonly<H>): readonly string[] {
  return namesFrom(spec.name, spec.slots, hyper);
}

/** Resolves {@link SlotNames} for these hyperparameters (a function's answer is checked). */
export function namesFrom<H>(owner: string, slots: SlotNames<H> | undefined, hyper: Readonly<H>): readonly string[] {
  if (slots === undefined) return [];
  if (typeof slots !== 'function') return slots;
  const names = slots(hyper);
  checkSlotNames(owner, names, 'slots(hyperparameters)');
  return names;
}

/** Throws when a parameter's size differs from that of the state kept for it. */
export function checkSlotSize(optimizer: string, param: string, size: number, record: SlotRecord | undefined): void {
  if (record === undefined) return;
  for (const k in record) {
    const kept = record[k].length;
    if (kept !== size) throw new ConfigError(`${optimizer}: parameter "${param}" has ${size} values but its optimizer state has ${kept}`);
  }
}

/** Whether `record` holds exactly the slots in `names`. */
function holdsExactly(record: SlotRecord, names: readonly string[]): boolean {
  let count = 0;
  for (const k in record) {
    if (!names.includes(k)) return false;
    count++;
  }
  return count === names.length;
}

/**
 * `record` made to hold exactly the slots in `names`: itself when it already does, else a new
 * record that keeps the arrays still named and adds the others zero-filled (a configuration
 * that starts to need a slot, e.g. `amsgrad` switched on, starts it from zero, as a fresh
 * optimizer would).
 */
export function fitSlots(record: SlotRecord | undefined, names: readonly string[], size: number): SlotRecord {
  if (record !== undefined && holdsExactly(record, names)) return record;
  const fitted: SlotRecord = {};
  for (const k of names) fitted[k] = record?.[k] ?? new Float32Array(size);
  return fitted;
}

/** Copies of every parameter's slots, for a state dict (never aliasing live buffers). */
export function copySlots(slots: ReadonlyMap<string, SlotRecord>): Record<string, SlotRecord> {
  const out: Record<string, SlotRecord> = {};
  for (const [param, record] of slots) {
    out[param] = {};
    for (const [k, arr] of Object.entries(record)) out[param][k] = arr.slice();
  }
  return out;
}

/**
 * Checks saved slots before anything is applied: every slot `namesOf(param)` names must be a
 * Float32Array, all of one length. Slots the configuration does not use are ignored (a state
 * saved when every slot was always allocated, e.g. Adam's `vmax` without `amsgrad`, loads).
 */
export function checkSavedSlots(optimizer: string, saved: Record<string, SlotRecord>, namesOf: (param: string) => readonly string[], paramSteps: Readonly<Record<string, number>>): void {
  for (const [param, record] of Object.entries(saved)) {
    let size = -1;
    const names = namesOf(param);
    for (const k of names) {
      const arr: unknown = record?.[k];
      if (arr === undefined || arr === null) throw new ConfigError(`${optimizer}: saved state of "${param}" lacks slot "${k}"`);
      if (!(arr instanceof Float32Array)) throw new ConfigError(`${optimizer}: saved slot "${k}" of "${param}" is ${Array.isArray(arr) ? 'an Array' : `a ${(arr as object).constructor?.name ?? typeof arr}`}, expected a Float32Array`);
      if (size !== -1 && arr.length !== size) throw new ConfigError(`${optimizer}: saved slot "${k}" of "${param}" has ${arr.length} values, its other slots ${size}`);
      const bad = arr.findIndex((v) => !Number.isFinite(v));
      if (bad !== -1) throw new ConfigError(`${optimizer}: saved slot "${k}" of "${param}" holds ${arr[bad]} at element ${bad}; the state is corrupt (the next step would turn the parameter into NaN)`);
      size = arr.length;
    }
    // slots without a step count would restart bias corrections and buffers as at step 1
    if (names.length > 0 && paramSteps[param] === undefined) throw new ConfigError(`${optimizer}: saved state of "${param}" has slots but no step count in paramSteps`);
  }
}

/** Checks a saved state's step counts: the optimizer's and each parameter's, integers ≥ 0. */
export function checkSavedSteps(optimizer: string, step: unknown, paramSteps: unknown): asserts paramSteps is Record<string, number> {
  if (!Number.isSafeInteger(step) || (step as number) < 0) throw new ConfigError(`${optimizer}: saved step must be an integer ≥ 0, got ${JSON.stringify(step)}`);
  if (paramSteps === null || typeof paramSteps !== 'object') throw new ConfigError(`${optimizer}: saved paramSteps must be an object of per-parameter step counts, got ${JSON.stringify(paramSteps)}`);
  for (const [param, t] of Object.entries(paramSteps)) {
    if (!Number.isSafeInteger(t) || t < 0) throw new ConfigError(`${optimizer}: saved step count of "${param}" must be an integer ≥ 0, got ${JSON.stringify(t)}`);
  }
}
