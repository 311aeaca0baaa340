import { ValueError } from './shape';

/** Serializable state of an {@link Rng} and every named stream derived from it. */
export interface RngState {
  /** The root seed. */
  seed: number;
  /** xoshiro128** state (4 uint32 words) of each stream, keyed by its path ("" is the root). */
  streams: Record<string, [number, number, number, number]>;
}

const TWO_POW_M24 = 1 / 16777216;

/** splitmix32: turns any 32-bit value into a well-mixed one (used for seeding). */
function mix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** FNV-1a hash of a stream path, mixed with the seed, so streams are independent of creation order. */
function hashPath(seed: number, path: string): number {
  let h = 0x811c9dc5 ^ mix32(seed);
  for (let i = 0; i < path.length; i++) h = Math.imul(h ^ path.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function seedState(seed: number, path: string): Uint32Array {
  const s = new Uint32Array(4);
  let x = hashPath(seed, path);
  for (let i = 0; i < 4; i++) {
    x = mix32(x + i);
    s[i] = x;
  }
  if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 1; // the all-zero state is a fixed point
  return s;
}

/**
 * A seeded, splittable pseudo-random generator (xoshiro128**).
 *
 * Every random draw in trainkit (initialization, shuffling, dropout masks, augmentation)
 * comes from a named stream of one root `Rng`: `rng.stream('init')`, `rng.stream('dropout')`.
 * A stream's sequence depends only on the root seed and its name, never on which other
 * streams exist or in what order they were created, and the whole tree's state round-trips
 * through {@link Rng.getState} / {@link Rng.setState} (checkpoints store it).
 *
 * @example
 * const rng = new Rng(42);
 * const init = rng.stream('init');
 * init.normal();              // one N(0, 1) sample
 * rng.stream('shuffle').permutation(10);
 */
export class Rng {
  readonly seed: number;
  readonly path: string;
  private readonly s: Uint32Array;
  private readonly children = new Map<string, Rng>();

  constructor(seed: number, path = '') {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new ValueError(`Rng: seed must be an integer in [0, 2^32), got ${seed}`);
    }
    this.seed = seed;
    this.path = path;
    this.s = seedState(seed, path);
  }

  /** The named child stream (created on first use, then the same object every time). */
  stream(name: string): Rng {
    if (name.length === 0 || name.includes('/')) throw new ValueError(`Rng.stream: invalid stream name "${name}"`);
    let child = this.children.get(name);
    if (child === undefined) {
      child = new Rng(this.seed, this.path === '' ? name : `${this.path}/${name}`);
      this.children.set(name, child);
    }
    return child;
  }

  /** The next uniformly distributed 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [lo, hi) with 24 bits of resolution (every value exactly representable in float32). */
  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * ((this.nextUint32() >>> 8) * TWO_POW_M24);
  }

  /** Uniform integer in [0, n) without modulo bias. */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 0x100000000) throw new ValueError(`Rng.int: n must be an integer in [1, 2^32], got ${n}`);
    const limit = 0x100000000 - (0x100000000 % n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }

  /** Normal sample (Box–Muller). */
  normal(mean = 0, std = 1): number {
    const u1 = 1 - this.uniform();
    const u2 = this.uniform();
    return mean + std * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** True with probability p. */
  bernoulli(p: number): boolean {
    if (!(p >= 0 && p <= 1)) throw new ValueError(`Rng.bernoulli: p must be in [0, 1], got ${p}`);
    return this.uniform() < p;
  }

  /** A uniformly random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Int32Array {
    if (!Number.isInteger(n) || n < 0) throw new ValueError(`Rng.permutation: n must be a non-negative integer, got ${n}`);
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = out[i];
      out[i] = out[j];
      out[j] = t;
    }
    return out;
  }

  fillUniform(out: Float32Array, lo = 0, hi = 1): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = this.uniform(lo, hi);
    return out;
  }

  /** Fills with N(mean, std²) samples, using both outputs of each Box–Muller pair. */
  fillNormal(out: Float32Array, mean = 0, std = 1): Float32Array {
    for (let i = 0; i < out.length; i += 2) {
      const r = Math.sqrt(-2 * Math.log(1 - this.uniform()));
      const theta = 2 * Math.PI * this.uniform();
      out[i] = mean + std * r * Math.cos(theta);
      if (i + 1 < out.length) out[i + 1] = mean + std * r * Math.sin(theta);
    }
    return out;
  }

  /** Fills with 1 (probability p) or 0. */
  fillBernoulli(out: Float32Array, p: number): Float32Array {
    if (!(p >= 0 && p <= 1)) throw new ValueError(`Rng.fillBernoulli: p must be in [0, 1], got ${p}`);
    for (let i = 0; i < out.length; i++) out[i] = this.uniform() < p ? 1 : 0;
    return out;
  }

  /** State of this stream and all streams derived from it, as plain JSON-safe data. */
  getState(): RngState {
    const streams: RngState['streams'] = {};
    const visit = (r: Rng): void => {
      streams[r.path] = [r.s[0], r.s[1], r.s[2], r.s[3]];
      for (const c of r.children.values()) visit(c);
    };
    visit(this);
    return { seed: this.seed, streams };
  }

  /**
   * Restores a state produced by {@link Rng.getState} (streams are created as needed). A
   * stream that exists now but is absent from `state` did not exist when the state was taken,
   * so it is reset to its freshly seeded state: the continuation is the same as in the run
   * that saved the state. The state is validated before anything changes.
   */
  setState(state: RngState): void {
    if (state === null || typeof state !== 'object' || state.seed !== this.seed || typeof state.streams !== 'object' || state.streams === null) {
      throw new ValueError(`Rng.setState: state is not an RngState for seed ${this.seed} (got seed ${String(state?.seed)})`);
    }
    const entries = Object.entries(state.streams);
    for (const [path, words] of entries) {
      if (!Array.isArray(words) || words.length !== 4 || !words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff)) {
        throw new ValueError(`Rng.setState: stream "${path}" must be 4 uint32 words`);
      }
      // xoshiro's fixed point: from there every draw is 0 (no seed ever produces it)
      if (words.every((w) => w === 0)) throw new ValueError(`Rng.setState: stream "${path}" has the all-zero state, which no seed produces and which draws only zeros`);
    }
    // the stream getState was called on: every other saved path lies under it
    const origin = entries.reduce<string | null>((o, [path]) => (o === null || path.length < o.length ? path : o), null);
    const inScope = (path: string): boolean => origin !== null && (origin === '' || path === origin || path.startsWith(`${origin}/`));
    const reset = (r: Rng): void => {
      if (inScope(r.path) && !Object.hasOwn(state.streams, r.path)) r.s.set(seedState(r.seed, r.path));
      for (const c of r.children.values()) reset(c);
    };
    reset(this);
    for (const [path, words] of entries) {
      if (this.path !== '' && path !== this.path && !path.startsWith(this.path + '/')) continue;
      const rel = this.path === '' ? path : path.slice(this.path.length + 1);
      let r: Rng = this;
      if (rel !== '' && path !== this.path) for (const part of rel.split('/')) r = r.stream(part);
      r.s.set(words);
    }
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
