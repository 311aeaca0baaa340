// defineOptimizer: an optimizer from its per-parameter update. The bookkeeping it does is
// assembled from the contract (./contract), groups (./groups), slots (./slots) and resident
// placement (./resident).
import { type DeviceHeldState, deviceBackend, firstNonFinite } from '@trainkit/tensor';
import { ConfigError, NonFiniteGradientError } from '../errors';
import type { Hyperparams, Optimizer, OptimizerOptions, OptimizerSpec, OptimizerState, ParamGroup, ParamRef, UpdateArgs } from './contract';
import { checkHyper, groupFinder, resolveGroups, savedHypers, scaleLr } from './groups';
import { type Placement, residentPlacement } from './resident';
import { type SlotRecord, checkSavedSlots, checkSavedSteps, checkSlotNames, checkSlotSize, copySlots, fitSlots, slotNamesFor } from './slots';

/**
 * Builds an optimizer from its per-parameter update: the helper handles parameter groups,
 * slots, step counts, validation and state (de)serialization, so a new optimizer is about
 * twenty lines.
 *
 * @example
 * export const signSgd = defineOptimizer({
 *   name: 'my-org/sign-sgd',
 *   defaults: { lr: 0.01 },
 *   validate: (h) => (h.lr > 1 ? `lr must be ≤ 1, got ${h.lr}` : undefined),
 *   update({ value, grad, hyper }) {
 *     for (let i = 0; i < value.length; i++) value[i] -= hyper.lr * Math.sign(grad[i]);
 *   },
 * });
 * const opt = signSgd({ lr: 0.001 });
 */
export function defineOptimizer<H extends Hyperparams>(spec: OptimizerSpec<H>): (options?: OptimizerOptions<H>) => Optimizer<H> {
  const where = `defineOptimizer("${spec.name}")`;
  if ((spec.update === undefined) === (spec.stepAll === undefined)) {
    throw new ConfigError(`${where}: give exactly one of update (per parameter) or stepAll (whole step)`);
  }
  if (typeof spec.defaults?.lr !== 'number') throw new ConfigError(`${where}: defaults must include a numeric lr`);
  if (spec.slots !== undefined && typeof spec.slots !== 'function') checkSlotNames(where, spec.slots, 'slots');
  return (options = {} as OptimizerOptions<H>) => createOptimizer(spec, options);
}

/** The mutable state of one optimizer instance. */
interface Live<H extends Hyperparams> {
  readonly spec: OptimizerSpec<H>;
  /** The groups, the default group last. */
  readonly groups: Array<ParamGroup<H>>;
  readonly group: (param: string) => ParamGroup<H>;
  stepCount: number;
  readonly paramSteps: Map<string, number>;
  readonly slots: Map<string, SlotRecord>;
  /** Resident-memory placement, for optimizers declared `resident`. */
  readonly placement: Placement | null;
  /** The parameter object each name was last stepped or adopted as (see `Optimizer.adopt`). */
  readonly owners: Map<string, WeakRef<object>>;
  /** The device holding newer state than this object's (parameters stepped there), if any. */
  held: DeviceHeldState | null;
}

function createOptimizer<H extends Hyperparams>(spec: OptimizerSpec<H>, options: OptimizerOptions<H>): Optimizer<H> {
  const groups = resolveGroups(spec, options);
  for (const g of groups) slotNamesFor(spec, g.hyper); // a slots function that fails does so here, not mid-training
  const live: Live<H> = {
    spec,
    groups,
    group: groupFinder(groups),
    stepCount: 0,
    paramSteps: new Map(),
    slots: new Map(),
    placement: spec.resident ? residentPlacement() : null,
    owners: new Map(),
    held: null,
  };
  const optimizer: Optimizer<H> = {
    name: spec.name,
    groups,
    get lr() {
      return groups[groups.length - 1].hyper.lr;
    },
    set lr(value: number) {
      scaleLr(spec.name, groups, value);
    },
    get stepCount() {
      return live.stepCount;
    },
    hyperFor: (name) => live.group(name).hyper,
    step: (params) => (params.some((p) => p.tensor !== undefined) ? deviceStep(live, optimizer, params) : step(live, params)),
    adopt: (params) => adopt(live, params, replaced(live, params)),
    stateDict: () => stateDict(live),
    loadStateDict: (state) => loadStateDict(live, state),
    sync: () => sync(live),
  };
  return optimizer;
}

/**
 * A step of parameters that live on a device: the device's fused kernels update them there
 * (`DeviceBackend.step`), and the state stays there until {@link Optimizer.sync}.
 */
function deviceStep<H extends Hyperparams>(live: Live<H>, optimizer: Optimizer<H>, params: readonly ParamRef[]): void {
  const where = params.find((p) => p.tensor !== undefined)!;
  const device = where.tensor!.device;
  checkNames(live, params); // on a device too: two refs of one name would update its buffers twice
  const stray = params.find((p) => p.tensor?.device !== device);
  if (stray !== undefined) {
    throw new ConfigError(`${live.spec.name}: parameter "${stray.name}" is on ${stray.tensor?.device ?? 'cpu'} but "${where.name}" is on ${device}; one step updates parameters on one device (move the model with \`await model.to(device)\`)`);
  }
  live.groups.forEach((g, i) => checkHyper(live.spec, g.hyper, i === live.groups.length - 1 ? '' : ` (parameter group ${i})`));
  const backend = deviceBackend(device);
  if (backend.step === undefined) throw new ConfigError(`${live.spec.name}: device ${device} cannot run optimizer steps`);
  live.held = backend.step(optimizer, params.map((p) => ({ name: p.name, tensor: p.tensor!, ...(p.key === undefined ? {} : { key: p.key }) })));
  live.stepCount++; // the device counts its steps too (a sync writes back the same count); schedules read this one
}

/** Refuses a name passed twice to one step (parameters share optimizer state by name). */
function checkNames<H extends Hyperparams>(live: Live<H>, params: readonly ParamRef[]): void {
  const seen = new Set<string>();
  for (const p of params) {
    if (seen.has(p.name)) throw new ConfigError(`${live.spec.name}: parameter "${p.name}" is passed twice to one step; each parameter needs its own name (they share optimizer state by name)`);
    seen.add(p.name);
  }
}

/** Throws, naming the call that fixes it, while a device holds newer state than this object (stepped there, not synced). */
function assertStateHere<H extends Hyperparams>(live: Live<H>, what: string): void {
  if (live.held !== null) {
    throw new ConfigError(`${live.spec.name}: its state lives on ${live.held.device}, where it last stepped the parameters; \`await optimizer.sync()\` copies it back before ${what}`);
  }
}

/** Brings a device's newer state back (see {@link Optimizer.sync}). */
async function sync<H extends Hyperparams>(live: Live<H>): Promise<void> {
  const held = live.held;
  if (held === null) return;
  live.held = null;
  try {
    await held.sync();
  } catch (e) {
    if (!(e instanceof NonFiniteGradientError)) live.held = held; // a non-finite gradient: the state before it came back (DeviceHeldState.sync)
    throw e;
  }
}

/** The slot names of each parameter, asked once per group. */
function slotNamesOf<H extends Hyperparams>(live: Live<H>, params: readonly ParamRef[]): Array<readonly string[]> {
  const byGroup = new Map<ParamGroup<H>, readonly string[]>();
  return params.map((p) => {
    const g = live.group(p.name);
    let names = byGroup.get(g);
    if (names === undefined) {
      names = slotNamesFor(live.spec, g.hyper);
      byGroup.set(g, names);
    }
    return names;
  });
}

/** The names bound to another parameter object than the one each now arrives with. */
function replaced<H extends Hyperparams>(live: Live<H>, params: ReadonlyArray<{ readonly name: string; readonly key?: object }>): Set<string> {
  const out = new Set<string>();
  for (const p of params) {
    const owner = live.owners.get(p.name);
    if (p.key !== undefined && owner !== undefined && owner.deref() !== p.key) out.add(p.name);
  }
  return out;
}

/** Drops the state of the `fresh` names and binds every keyed name to its object. */
function adopt<H extends Hyperparams>(live: Live<H>, params: ReadonlyArray<{ readonly name: string; readonly key?: object }>, fresh: ReadonlySet<string>): void {
  for (const name of fresh) {
    live.slots.delete(name);
    live.paramSteps.delete(name);
  }
  for (const p of params) if (p.key !== undefined && live.owners.get(p.name)?.deref() !== p.key) live.owners.set(p.name, new WeakRef(p.key));
}

/** Throws, changing nothing, when a parameter's gradient or state does not fit it or its gradient is not finite. */
function checkParam<H extends Hyperparams>(live: Live<H>, p: ParamRef, fresh: boolean): void {
  const optimizer = live.spec.name;
  if (p.grad.length !== p.value.length) throw new ConfigError(`${optimizer}: parameter "${p.name}" has ${p.value.length} values but ${p.grad.length} gradients`);
  checkSlotSize(optimizer, p.name, p.value.length, fresh ? undefined : live.slots.get(p.name));
  const bad = firstNonFinite(p.grad);
  if (bad !== -1) throw new NonFiniteGradientError(optimizer, p.name, live.stepCount + 1, bad, p.grad[bad]);
}

function step<H extends Hyperparams>(live: Live<H>, params: readonly ParamRef[]): void {
  assertStateHere(live, 'a cpu step'); // stepping the older cpu state would silently undo the device's steps
  checkNames(live, params);
  // hyperparameters set by hand between steps (groups[i].hyper.beta1 = 1) are checked as at construction
  live.groups.forEach((g, i) => checkHyper(live.spec, g.hyper, i === live.groups.length - 1 ? '' : ` (parameter group ${i})`));
  const names = slotNamesOf(live, params);
  const fresh = replaced(live, params);
  for (const p of params) checkParam(live, p, fresh.has(p.name)); // everything first, so a bad gradient leaves every parameter untouched
  adopt(live, params, fresh);
  live.stepCount++;
  const moved = live.placement?.place(params, names, live.slots) ?? null;
  const args = params.map((p, i): UpdateArgs<H> => {
    const t = (live.paramSteps.get(p.name) ?? 0) + 1;
    live.paramSteps.set(p.name, t);
    const slots = fitSlots(live.slots.get(p.name), names[i], p.value.length);
    live.slots.set(p.name, slots);
    const [value, grad] = moved?.get(p.name) ?? [p.value, p.grad];
    return { name: p.name, value, grad, slots, hyper: live.group(p.name).hyper, step: t };
  });
  if (live.spec.update) for (const a of args) live.spec.update(a);
  else live.spec.stepAll?.(args);
}

function stateDict<H extends Hyperparams>(live: Live<H>): OptimizerState {
  assertStateHere(live, 'stateDict()');
  const paramSteps: Record<string, number> = {};
  for (const [k, v] of live.paramSteps) paramSteps[k] = v;
  return { name: live.spec.name, step: live.stepCount, groups: live.groups.map((g) => ({ ...g.hyper })), paramSteps, slots: copySlots(live.slots) };
}

/**
 * The saved slots `names` as live arrays: written into the arrays in use when they all fit
 * (so resident memory stays resident), copied otherwise. Slots not named are left behind.
 */
function adoptSlots(here: SlotRecord | undefined, saved: SlotRecord, names: readonly string[]): SlotRecord {
  const fits = here !== undefined && names.every((k) => here[k]?.length === saved[k].length);
  const record: SlotRecord = {};
  for (const k of names) {
    if (fits) here[k].set(saved[k]);
    record[k] = fits ? here[k] : saved[k].slice();
  }
  return record;
}

/** Validates the whole state first (name, groups, every slot the loaded configuration uses), then applies it. */
function loadStateDict<H extends Hyperparams>(live: Live<H>, state: OptimizerState): void {
  const { spec, groups } = live;
  if (state === null || typeof state !== 'object') throw new ConfigError(`${spec.name}: loadStateDict expects an OptimizerState object`);
  if (state.name !== spec.name) throw new ConfigError(`${spec.name}: cannot load state saved by "${state.name}"`);
  const hypers = savedHypers(spec, groups, state.groups);
  const namesOf = (param: string) => slotNamesFor(spec, hypers[groups.indexOf(live.group(param))]);
  const saved = state.slots ?? {};
  const steps = state.paramSteps ?? {};
  checkSavedSteps(spec.name, state.step, steps);
  checkSavedSlots(spec.name, saved, namesOf, steps);

  live.held?.drop(); // the loaded state replaces what the device held
  live.held = null;
  hypers.forEach((hyper, i) => (groups[i].hyper = hyper));
  live.stepCount = state.step;
  live.paramSteps.clear();
  for (const [k, v] of Object.entries(steps)) live.paramSteps.set(k, v);
  const loaded = Object.entries(saved).map(([param, record]) => [param, adoptSlots(live.slots.get(param), record, namesOf(param))] as const);
  live.slots.clear();
  live.owners.clear(); // the loaded state belongs to whatever parameters next bear its names
  for (const [param, record] of loaded) live.slots.set(param, record);
}
