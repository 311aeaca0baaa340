import { type Data, toDatasetOrder } from '@trainkit/core';
import type { Module } from '@trainkit/nn';
import { Rng, Tensor, ValueError, formatShape, noGrad, softmax } from '@trainkit/tensor';
import { Dropout, Dropout2d } from './dropout';
import { checkP, dropoutOp } from './dropoutOp';
import { mcSource } from './mcData';
import type { DropoutPluginOptions } from './plugin';

/** Options of {@link predictMc}. */
export interface McDropoutOptions {
  /** Forward passes per example, each with fresh dropout masks (a positive integer, default 30). */
  samples?: number;
  /** Seed of the masks (an integer in [0, 2^32), default 0): the same seed, data and batches give the same result. */
  seed?: number;
  /** Examples per forward pass when `data` is a tensor (default 256, as `Trainer.predict`). */
  batchSize?: number;
  /** The options you gave the {@link dropout} plugin, when the model's dropout comes from it instead of `Dropout` layers. */
  dropout?: DropoutPluginOptions;
  /** Receives the notice when the model has no active dropout (default `console.warn`). */
  onNotice?: (message: string) => void;
}

/** What {@link predictMc} returns, per example. */
export interface McDropoutResult {
  /** Mean of the sampled softmax probabilities, [examples, classes]; each row sums to 1. */
  probs: Tensor;
  /** Predictive entropy H[p̄] in nats (total uncertainty), one per example. */
  entropy: Float64Array;
  /** Mutual information H[p̄] − mean H[pₛ] (BALD, the model's own uncertainty), in [0, entropy]. */
  mutualInformation: Float64Array;
  /** Forward passes per example. */
  samples: number;
  /** Set when no dropout was active, so every sample was the same deterministic pass (also sent to `onNotice`). */
  notice?: string;
}

/** One place dropout is applied during sampling: the layer whose output is dropped, with p and the kind. */
interface Site {
  path: string;
  module: Module;
  p: number;
  channelwise: boolean;
}

function checkOptions(o: McDropoutOptions): Required<Pick<McDropoutOptions, 'samples' | 'seed' | 'batchSize'>> {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new ValueError(`predictMc: options must be an object such as { samples: 30 }, got ${o === null ? 'null' : Array.isArray(o) ? 'an array' : typeof o}`);
  const { samples = 30, seed = 0, batchSize = 256 } = o;
  if (!Number.isInteger(samples) || samples < 1) throw new ValueError(`predictMc: samples must be a positive integer, got ${String(samples)}`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new ValueError(`predictMc: seed must be an integer in [0, 2^32), got ${String(seed)}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new ValueError(`predictMc: batchSize must be a positive integer, got ${String(batchSize)}`);
  return { samples, seed, batchSize };
}

/** The `Dropout`/`Dropout2d` layers of the model and the layers named by the plugin options, with p > 0. */
function sitesOf(model: Module, plugin: DropoutPluginOptions | undefined): Site[] {
  const modules = model.namedModules();
  // a layer used twice is listed under each path: one site (its first path), one hook, one draw per call
  const seen = new Set<Module>();
  const once = modules.filter(([, m]) => {
    if (seen.has(m)) return false;
    seen.add(m);
    return true;
  });
  const sites: Site[] = once.filter(([, m]) => m instanceof Dropout).map(([path, m]) => ({ path, module: m, p: (m as Dropout).p, channelwise: m instanceof Dropout2d }));
  if (plugin !== undefined) {
    const p = plugin.p ?? 0.5;
    checkP('predictMc({ dropout })', p);
    const byName = new Map(modules);
    for (const name of plugin.after ?? []) {
      const m = byName.get(name);
      if (m === undefined) throw new ValueError(`predictMc({ dropout: { after: ['${name}'] } }): no such layer; the model has ${modules.map(([n]) => n).filter((n) => n !== '').join(', ')}`);
      sites.push({ path: name, module: m, p, channelwise: plugin.channelwise === true });
    }
  }
  return sites.filter((s) => s.p > 0);
}

/** Entropy −Σ p log p (nats) of `c` probabilities starting at `base`, with 0·log 0 = 0. */
function entropyOf(p: ArrayLike<number>, base: number, c: number): number {
  let h = 0;
  for (let k = 0; k < c; k++) {
    const v = p[base + k];
    if (v > 0) h -= v * Math.log(v);
  }
  return h;
}

/**
 * Monte-Carlo dropout (Gal & Ghahramani 2016): runs `model` `samples` times per example with
 * dropout active and everything else in evaluation mode (BatchNorm uses its running
 * statistics), and averages the softmax probabilities. It is not `model.train()`: only the
 * dropout sites draw masks. The sites are every `Dropout`/`Dropout2d` layer (with its own p)
 * and, with `options.dropout`, the layers the {@link dropout} plugin would hook.
 *
 * Masks come from their own seeded stream, `Rng(seed).stream('mcDropout').stream(<layer path>)`,
 * never from the layers' trainer-bound streams, so sampling neither depends on nor disturbs a
 * training run. Each batch is read once and sampled `samples` times. Rows come back in dataset
 * order: a tensor's, a DataSource's epoch 0 (seed 0) put back in dataset order when it is a
 * shuffling DataLoader (through its `order()`), an iterable's as it yields. Per example it returns
 * the mean probabilities p̄, the predictive entropy H[p̄] and the mutual information
 * H[p̄] − (1/S)·Σₛ H[pₛ] (BALD; Houlsby et al. 2011), computed in float64 and clamped to
 * [0, H[p̄]] against rounding. With `samples: 1` and no active dropout, `probs` is exactly
 * `softmax(trainer.predict(model, x))`.
 *
 * A model without active dropout (no dropout layer, or p = 0 everywhere) gets a notice — in
 * `result.notice` and through `options.onNotice` (default `console.warn`) — since every sample
 * is then the same pass and the mutual information is 0.
 *
 * The model's training flags are restored afterwards.
 *
 * @see https://arxiv.org/abs/1506.02142 (Gal & Ghahramani, Dropout as a Bayesian Approximation)
 * @example
 * const { probs, entropy, mutualInformation } = await predictMc(model, testX, { samples: 30, seed: 1 });
 * const mc = await predictMc(net, loader, { samples: 20, dropout: { after: ['relu1'], p: 0.5 } });
 */
export async function predictMc(model: Module, data: Data | Tensor, options: McDropoutOptions = {}): Promise<McDropoutResult> {
  const { samples, seed, batchSize } = checkOptions(options);
  const sites = sitesOf(model, options.dropout);
  const modes = model.namedModules().map(([, m]) => [m, m.training] as const);
  const streams = new Rng(seed).stream('mcDropout');
  const removers = sites.map((s) => {
    const rng = streams.stream(s.path === '' ? 'root' : s.path);
    return s.module.registerForwardHook((_m, _x, y) => dropoutOp(y, s.p, rng, s.channelwise));
  });
  model.eval();
  try {
    const probs: Float32Array[] = [];
    const entropy: number[] = [];
    const mi: number[] = [];
    let classes = -1;
    const source = mcSource(data, batchSize);
    for (const x of source.inputs) {
      const batch = sampleBatch(model, x, samples);
      if (classes !== -1 && batch.classes !== classes) throw new ValueError(`predictMc: the model output ${batch.classes} classes on one batch and ${classes} on another`);
      classes = batch.classes;
      probs.push(batch.probs);
      for (const e of batch.entropy) entropy.push(e); // not push(...): a batch of ~100k rows overflows the call stack
      for (const m of batch.mi) mi.push(m);
      await Promise.resolve(); // let timers and progress run between batches
    }
    if (classes === -1) throw new ValueError('predictMc: the data yielded no batches');
    const all = new Float32Array(entropy.length * classes);
    let at = 0;
    for (const p of probs) {
      all.set(p, at);
      at += p.length;
    }
    const { order } = source; // a shuffling DataLoader's rows go back to dataset order
    const result: McDropoutResult = {
      probs: new Tensor(order ? toDatasetOrder(all, classes, order, 'predictMc') : all, [entropy.length, classes]),
      entropy: order ? toDatasetOrder(Float64Array.from(entropy), 1, order, 'predictMc') : Float64Array.from(entropy),
      mutualInformation: order ? toDatasetOrder(Float64Array.from(mi), 1, order, 'predictMc') : Float64Array.from(mi),
      samples,
    };
    if (sites.length === 0) {
      result.notice = 'predictMc: the model has no active dropout (no Dropout layer with p > 0 and no `dropout` option), so every sample is the same pass: the mutual information is 0';
      (options.onNotice ?? console.warn)(result.notice);
    }
    return result;
  } finally {
    for (const remove of removers) remove();
    for (const [m, training] of modes) m.training = training;
  }
}

/** Throws unless `out` holds one row of at least two class logits per example of `x`. */
function checkOutput(out: Tensor, x: Tensor): void {
  if (out.rank !== 2) throw new ValueError(`predictMc: the model must output [examples, classes] logits, got ${formatShape(out.shape)}`);
  const [rows, classes] = out.shape;
  if (rows !== x.shape[0]) throw new ValueError(`predictMc: the model output ${rows} rows for a batch of ${x.shape[0]} examples (shape ${formatShape(out.shape)}); it must output one row of class logits per example`);
  if (classes < 2) {
    throw new ValueError(`predictMc: the model outputs ${classes} logit${classes === 1 ? '' : 's'} per example, and a softmax over fewer than 2 classes is always 1 (every entropy would be 0); give a binary classifier two logits, e.g. [0, z]`);
  }
}

/** `samples` forward passes on one batch: mean probabilities, entropy of the mean, and mutual information. */
function sampleBatch(model: Module, x: Tensor, samples: number): { probs: Float32Array; entropy: number[]; mi: number[]; classes: number } {
  let mean = new Float64Array(0);
  let meanH = new Float64Array(0);
  let [n, c] = [0, 0];
  for (let s = 0; s < samples; s++) {
    const p = noGrad(() => {
      const out = model.call(x);
      checkOutput(out, x);
      return softmax(out);
    });
    const bad = p.data.findIndex((v) => v !== v); // NaN logits would read as a confident 0-entropy answer
    if (bad !== -1) throw new ValueError(`predictMc: the model's output is not finite for example ${Math.floor(bad / p.shape[1])} of a batch (sample ${s}): NaN or +∞ logits (diverged weights or a bad input), so no probabilities or uncertainty can be given`);
    if (s === 0) {
      [n, c] = p.shape;
      mean = new Float64Array(n * c);
      meanH = new Float64Array(n);
    }
    for (let i = 0; i < n * c; i++) mean[i] += p.data[i] / samples;
    for (let r = 0; r < n; r++) meanH[r] += entropyOf(p.data, r * c, c) / samples;
  }
  const entropy: number[] = [];
  const mi: number[] = [];
  for (let r = 0; r < n; r++) {
    const h = entropyOf(mean, r * c, c);
    entropy.push(h);
    mi.push(Math.min(h, Math.max(0, h - meanH[r])));
  }
  return { probs: Float32Array.from(mean), entropy, mi, classes: c };
}
