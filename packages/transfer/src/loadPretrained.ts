import { type Checkpoint, decodeCheckpoint } from '@trainkit/checkpoint';
import type { ParamSelector } from '@trainkit/core';
import type { LoadReport, Module } from '@trainkit/nn';
import { type Tensor, formatShape, sameShape } from '@trainkit/tensor';
import { TransferError } from './errors';

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

function matches(selector: ParamSelector, name: string): boolean {
  // a /g or /y regex keeps state between calls: tested without it, or every other name would be skipped
  if (selector instanceof RegExp && (selector.global || selector.sticky)) return new RegExp(selector.source, selector.flags.replace('g', '')).test(name);
  return typeof selector === 'function' ? selector(name) : selector instanceof RegExp ? selector.test(name) : selector.includes(name);
}

function stateOf(source: PretrainedSource): Readonly<Record<string, Tensor>> {
  if (source instanceof Uint8Array) return decodeCheckpoint(source).model;
  const c = source as Checkpoint;
  if (c !== null && typeof c === 'object' && 'model' in c && 'trainer' in c && 'metadata' in c) return c.model;
  return source as Readonly<Record<string, Tensor>>;
}

/**
 * Loads pretrained weights into a model matched by name and shape — typically a backbone trained
 * on one task into a model with a new head — and reports what happened: keys loaded, keys of the
 * model not in the source (`missing`), keys of the source the model lacks (`unexpected`), and
 * shape mismatches. Strict by default: any difference is an error listing all of them (with
 * the fix); pass `exclude` for the keys you mean to drop, or `strict: false` to load what matches.
 * Sources of any dtype (a PyTorch export in F16, BF16, F64, …) load as float32.
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
  const own = model.stateDict();
  const state: Record<string, Tensor> = Object.create(null) as Record<string, Tensor>;
  const excluded: string[] = [];
  for (const [key, t] of Object.entries(stateOf(source))) {
    const name = rename ? rename(key) : key;
    if (exclude !== undefined && (matches(exclude, key) || matches(exclude, name))) excluded.push(key);
    else if (Object.hasOwn(state, name)) throw new TransferError(`loadPretrained: two source keys map to "${name}" (rename made them collide)`);
    else state[name] = t;
  }
  const report: TransferReport = { loaded: [], missing: [], unexpected: [], mismatched: [], excluded };
  for (const key of Object.keys(own)) {
    if (!Object.hasOwn(state, key)) report.missing.push(key);
    else if (!sameShape(state[key].shape, own[key].shape)) report.mismatched.push({ key, expected: own[key].shape, got: state[key].shape });
  }
  for (const key of Object.keys(state)) if (!Object.hasOwn(own, key)) report.unexpected.push(key);
  // under strict, the excluded layers are expected to be missing: they are the ones being replaced
  const unexplained = { ...report, missing: report.missing.filter((k) => exclude === undefined || !matches(exclude, k)) };
  if (strict && (unexplained.missing.length > 0 || report.unexpected.length > 0 || report.mismatched.length > 0)) throw new TransferError(strictMessage(model, unexplained));
  report.loaded = model.loadStateDict(state, { strict: false }).loaded;
  return report;
}

function strictMessage(model: Module, r: TransferReport): string {
  const parts: string[] = [];
  if (r.mismatched.length) parts.push(`shape mismatches: ${r.mismatched.map((m) => `${m.key} (model ${formatShape(m.expected)}, pretrained ${formatShape(m.got)})`).join(', ')}`);
  if (r.missing.length) parts.push(`missing from the pretrained weights: ${r.missing.join(', ')}`);
  if (r.unexpected.length) parts.push(`not in the model: ${r.unexpected.join(', ')}`);
  const differing = [...new Set([...r.mismatched.map((m) => m.key), ...r.unexpected].map((k) => k.split('.').slice(0, -1).join('.')))].filter((p) => p !== '');
  const hint = differing.length > 0 ? `exclude the layers you replace ({ exclude: /^(${differing.map((p) => p.replace(/\./g, '\\.')).join('|')})\\./ }) or pass { strict: false } to load what matches` : 'pass { strict: false } to load what matches';
  return `loadPretrained: the pretrained weights do not fit this ${model.constructor.name} — ${parts.join('; ')}; ${hint}`;
}
