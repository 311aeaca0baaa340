import { type Checkpoint, decodeCheckpoint } from '@trainkit/checkpoint';
import { type ParamSelector, isParamSelector, selectsParam } from '@trainkit/core';
import { type LoadReport, Module } from '@trainkit/nn';
import { Tensor, formatShape, sameShape } from '@trainkit/tensor';
import { TransferError } from './errors';
import { describeValue } from './select';

/** Where pretrained weights come from: a safetensors file's bytes, a decoded checkpoint, or a state dict. */
export type PretrainedSource = Uint8Array | Checkpoint | Readonly<Record<string, Tensor>>;

/** Options of {@link loadPretrained}. */
export interface LoadPretrainedOptions {
  /**
   * Require an exact match (default true): every key of the model loaded, every (not excluded)
   * key of the source used, every shape equal. With `false`, what matches loads and the report
   * lists the rest.
   */
  strict?: boolean;
  /**
   * Keys to leave out, such as the old head: a pattern, a list of names or a predicate. Matching
   * source keys are not loaded, and matching model keys may be missing even under `strict`.
   * @example { exclude: /^fc\./ }
   */
  exclude?: ParamSelector;
  /** Renames source keys before matching, e.g. `(k) => k.replace(/^module\./, '')` for a model saved from DataParallel. */
  rename?: (key: string) => string;
}

/** What {@link loadPretrained} did: {@link LoadReport} plus the source keys left out by `exclude`. */
export interface TransferReport extends LoadReport {
  excluded: string[];
}

function stateOf(source: PretrainedSource): Readonly<Record<string, Tensor>> {
  if (source instanceof Uint8Array) return decodeCheckpoint(source).model;
  if (source instanceof Module) throw new TransferError(`loadPretrained: the source is a ${source.constructor.name} (a module); pass its weights: loadPretrained(model, pretrained.stateDict())`);
  if (source === null || typeof source !== 'object') throw new TransferError(`loadPretrained: source must be a safetensors file’s bytes, a decoded checkpoint or a state dict, got ${kindOf(source)}`);
  const c = source as Checkpoint;
  const state = 'model' in c && 'trainer' in c && 'metadata' in c ? c.model : (source as Readonly<Record<string, Tensor>>);
  for (const [key, t] of Object.entries(state)) {
    if (!(t instanceof Tensor)) throw new TransferError(`loadPretrained: source key "${key}" is not a Tensor (got ${kindOf(t)}); pass a state dict of tensors, a decoded checkpoint or a safetensors file’s bytes`);
  }
  return state;
}

function kindOf(v: unknown): string {
  if (v === null || typeof v !== 'object') return v === null ? 'null' : typeof v;
  return (v as object).constructor?.name ?? 'object';
}

/** Keys a source may lack (BatchNorm's `num_batches_tracked`): the ones `Module.loadStateDict` lets a module keep, as PyTorch's loader does. */
function optionalKeys(model: Module): Set<string> {
  const out = new Set<string>();
  for (const [path, m] of model.namedModules()) {
    // protected in Module; the same list Module.loadStateDict consults
    for (const k of (m as unknown as { optionalStateKeys(): readonly string[] }).optionalStateKeys()) out.add(path === '' ? k : `${path}.${k}`);
  }
  return out;
}

/** The keys about to load whose values are NaN or ±Infinity, with the first bad value: a damaged file or a diverged run. */
function nonFinite(own: Readonly<Record<string, Tensor>>, state: Readonly<Record<string, Tensor>>): string[] {
  const bad: string[] = [];
  for (const key of Object.keys(own)) {
    const t = Object.hasOwn(state, key) && sameShape(state[key].shape, own[key].shape) ? state[key] : undefined;
    const i = t === undefined ? -1 : t.data.findIndex((v) => !Number.isFinite(v));
    if (t !== undefined && i !== -1) bad.push(`${key} (${t.data[i]} at index ${i})`);
  }
  return bad;
}

/**
 * Loads pretrained weights into a model matched by name and shape — typically a backbone trained
 * on one task into a model with a new head — and reports what happened: keys loaded, keys of the
 * model not in the source (`missing`), keys of the source the model lacks (`unexpected`), and
 * shape mismatches. Strict by default: any difference is an error listing all of them (with
 * the fix); pass `exclude` for the keys you mean to drop, or `strict: false` to load what matches.
 * Sources of any dtype (a PyTorch export in F16, BF16, F64, …) load as float32.
 * BatchNorm's `num_batches_tracked` may be absent (as `Module.loadStateDict` allows); a NaN or
 * ±Infinity among the values to load is an error naming the key, and a refused load changes nothing.
 *
 * @param model - the model to fill (its parameters and buffers are overwritten in place).
 * @param source - a safetensors file's bytes, a decoded checkpoint (`readCheckpoint`), or a state dict.
 * @param options - `strict`, `exclude`, `rename`.
 * @example
 * const model = mnistCnn();                                   // same backbone, new random head
 * const report = loadPretrained(model, await readCheckpoint('mnist.safetensors'), { exclude: /^fc\./ });
 * report.missing; // ['fc.weight', 'fc.bias']: the new head keeps its fresh initialization
 */
export function loadPretrained(model: Module, source: PretrainedSource, options: LoadPretrainedOptions = {}): TransferReport {
  const { strict = true, exclude, rename } = options;
  if (exclude !== undefined && !isParamSelector(exclude)) throw new TransferError(`loadPretrained: exclude must be a RegExp, a list of names or a predicate, got ${describeValue(exclude)}; e.g. { exclude: /^fc\\./ }`);
  const own = model.stateDict();
  const state: Record<string, Tensor> = Object.create(null) as Record<string, Tensor>;
  const excluded: string[] = [];
  const excludedNames = new Set<string>(); // the model keys the excluded source keys would have filled
  const from = new Map<string, string>(); // the source key each name came from
  for (const [key, t] of Object.entries(stateOf(source))) {
    const name = rename ? rename(key) : key;
    if (exclude !== undefined && (selectsParam(exclude, key) || selectsParam(exclude, name))) {
      excluded.push(key);
      excludedNames.add(name);
    }
    else if (Object.hasOwn(state, name)) throw new TransferError(`loadPretrained: source keys "${from.get(name)}" and "${key}" both map to "${name}" (rename made them collide); nothing was loaded`);
    else {
      state[name] = t;
      from.set(name, key);
    }
  }
  const report: TransferReport = { loaded: [], missing: [], unexpected: [], mismatched: [], excluded };
  const optional = optionalKeys(model);
  for (const key of Object.keys(own)) {
    if (!Object.hasOwn(state, key)) {
      if (!optional.has(key)) report.missing.push(key);
    }
    else if (!sameShape(state[key].shape, own[key].shape)) report.mismatched.push({ key, expected: own[key].shape, got: state[key].shape });
  }
  for (const key of Object.keys(state)) if (!Object.hasOwn(own, key)) report.unexpected.push(key);
  // under strict, the excluded layers are expected to be missing: they are the ones being replaced
  const unexplained = { ...report, missing: report.missing.filter((k) => exclude === undefined || !(selectsParam(exclude, k) || excludedNames.has(k))) };
  if (strict && (unexplained.missing.length > 0 || report.unexpected.length > 0 || report.mismatched.length > 0)) throw new TransferError(strictMessage(model, unexplained));
  const bad = nonFinite(own, state);
  if (bad.length > 0) throw new TransferError(`loadPretrained: the pretrained weights hold non-finite values — ${bad.join(', ')}; the checkpoint is damaged or was saved after training diverged`);
  report.loaded = model.loadStateDict(state, { strict: false }).loaded;
  return report;
}

function strictMessage(model: Module, r: TransferReport): string {
  const parts: string[] = [];
  if (r.mismatched.length) parts.push(`shape mismatches: ${r.mismatched.map((m) => `${m.key} (model ${formatShape(m.expected)}, pretrained ${formatShape(m.got)})`).join(', ')}`);
  if (r.missing.length) parts.push(`missing from the pretrained weights: ${r.missing.join(', ')}`);
  if (r.unexpected.length) parts.push(`not in the model: ${r.unexpected.join(', ')}`);
  const differing = [...new Set([...r.mismatched.map((m) => m.key), ...r.unexpected].map((k) => k.split('.').slice(0, -1).join('.')))].filter((p) => p !== '');
  const hint = renameHint(r.missing, r.unexpected) ?? (differing.length > 0 ? `exclude the layers you replace ({ exclude: /^(${differing.map((p) => p.replace(/\./g, '\\.')).join('|')})\\./ }) or pass { strict: false } to load what matches` : 'pass { strict: false } to load what matches');
  return `loadPretrained: the pretrained weights do not fit this ${model.constructor.name} — ${parts.join('; ')}; ${hint}`;
}

/**
 * The `rename` that lines the keys up when they differ by a prefix: one the source's keys carry
 * and the model's lack (`module.` of a model saved from DataParallel, a `backbone.` or `model.`
 * wrapper), or the reverse. Null unless it explains at least half of the keys on its side.
 */
function renameHint(missing: readonly string[], unexpected: readonly string[]): string | null {
  const prefix = (keys: readonly string[], others: ReadonlySet<string>): string | null => {
    const count = new Map<string, number>();
    for (const k of keys) {
      for (let i = k.indexOf('.'); i !== -1; i = k.indexOf('.', i + 1)) if (others.has(k.slice(i + 1))) count.set(k.slice(0, i + 1), (count.get(k.slice(0, i + 1)) ?? 0) + 1);
    }
    const [p, n] = [...count].sort((a, b) => b[1] - a[1])[0] ?? ['', 0];
    return n > 0 && n * 2 >= keys.length ? p : null;
  };
  const strip = prefix(unexpected, new Set(missing));
  if (strip !== null) return `the pretrained keys carry a prefix the model's lack ("${strip}"${strip === 'module.' ? ', as saved from DataParallel' : ''}): pass { rename: (k) => k.replace(/^${strip.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}/, '') }`;
  const add = prefix(missing, new Set(unexpected));
  return add === null ? null : `the model's keys carry a prefix the pretrained ones lack ("${add}"): pass { rename: (k) => '${add}' + k }`;
}
