import { arenaFloats, reserveArenaRegion, residentOwner, zeroFloats } from './kernels/wasm/resident';
import { ValueError } from './shape';
import type { Tensor } from './tensor';

/**
 * A buffer's tenure in an {@link Arena}: `gen` moves on each time the arena takes the buffer
 * back, so a tensor made over the buffer in an earlier step can tell its values are gone.
 * @internal
 */
export interface Lease {
  gen: number;
  /** keep() took the buffer out of the arena for good: its values stay, the arena never reuses it. */
  kept: boolean;
}

const leases = new WeakMap<Float32Array, Lease>();
let active: Arena | null = null;
let arenasMade = false;

/** The lease on `data` if an arena handed it out (null otherwise: ordinary memory). @internal */
export function leaseOf(data: Float32Array): Lease | null {
  return arenasMade ? (leases.get(data) ?? null) : null;
}

/**
 * A buffer of `n` floats for an op's result, whose every element the op then writes: from the
 * active arena (values left over from an earlier step) or, with none, new (zeros).
 * @internal
 */
export function allocFloats(n: number): Float32Array {
  return active === null ? new Float32Array(n) : active.take(n, false);
}

/**
 * A gradient buffer of `n` floats from the active arena (zeros when `zero`, else values left
 * over from an earlier step), or null with none: for intermediate results, whose gradients are
 * dropped when their backward pass ends, long before the arena takes the buffer back. @internal
 */
export function arenaGrad(n: number, zero: boolean): Float32Array | null {
  return active === null ? null : active.take(n, zero);
}

/** Whether an arena handed out `buf` (it goes back to that arena at its reset, never elsewhere). @internal */
export function isArenaBuffer(buf: Float32Array): boolean {
  return arenasMade && leases.has(buf);
}

/** Like {@link allocFloats} but filled with zeros, for ops that accumulate into their result. @internal */
export function allocZeros(n: number): Float32Array {
  return active === null ? new Float32Array(n) : active.take(n, true);
}

/** A one-element result holding `v` (see {@link allocFloats}). @internal */
export function scalarResult(v: number): Float32Array {
  const out = allocFloats(1);
  out[0] = v;
  return out;
}

/** A result holding `values` rounded to float32 (see {@link allocFloats}). @internal */
export function toFloats(values: Float64Array): Float32Array {
  const out = allocFloats(values.length);
  out.set(values);
  return out;
}

/** Scratch of `n` int32 for an op's backward (zeros): a view on an arena buffer, or new. @internal */
export function allocInts(n: number): Int32Array {
  if (active === null) return new Int32Array(n);
  const f = active.take(n, true);
  return new Int32Array(f.buffer, f.byteOffset, n);
}

/** Scratch of `n` float64 an op keeps for its backward: zeros when `zero`, else contents unspecified with an arena. @internal */
export function allocDoubles(n: number, zero = false): Float64Array {
  if (active === null) return new Float64Array(n);
  const f = active.take(2 * n, zero);
  return new Float64Array(f.buffer, f.byteOffset, n);
}

/** The op result to register with the active arena, if any (called by fromOp). @internal */
export function registerResult(t: Tensor): void {
  if (active !== null && t._lease !== null) active.results.push(t);
}

/** What an arena has done since it was made. */
export interface ArenaStats {
  /** Buffers it had to allocate (each once; steady-state steps add none). */
  fresh: number;
  /** Buffers it handed out again instead of allocating. */
  reused: number;
  /** Bytes it holds: buffers in use this step plus those free for the next. */
  bytes: number;
}

/**
 * A per-step activation arena: the op results computed inside {@link Arena.run} take their
 * buffers from it, and {@link Arena.reset} (the Trainer calls it as each training step begins)
 * takes them all back for the next step, so a steady-state training step allocates no new
 * typed arrays: the same shapes come round each step and find their buffers free.
 *
 * The rule for results user code keeps: a result of step k is valid until step k + 1 begins.
 * To hold one longer, call {@link keep} (or `t.clone()`) during the step; reading `data` of a
 * result the arena has taken back throws a ValueError that says so, instead of returning the
 * next step's values, and a backward pass through its graph throws as for a released graph.
 * Only results of the @trainkit/tensor ops count: tensors made with `new Tensor(...)`,
 * parameters and every leaf's gradient are never the arena's. The gradients of intermediate
 * results, made by a backward pass inside run(), are (they are dropped when that pass ends).
 *
 * With the wasm kernels, fresh buffers come from the kernels' own memory (while a thread pool
 * runs, the pool's shared memory), where the kernels use them in place instead of copying them in
 * and out: up to 1 GiB, never given back (an arena reuses its buffers; buffers beyond that are
 * ordinary arrays). Reserving that region (the first run() does) fixes the kernels' memory at
 * 2 GiB of address space, which caps one op's scratch at 1 GiB (an op needing more throws a
 * RangeError that says so).
 *
 * @example
 * const arena = new Arena();
 * for (const batch of batches) {
 *   arena.reset(); // the previous step's results go back to the arena
 *   const loss = arena.run(() => crossEntropy(model.call(batch.x), batch.y));
 *   arena.run(() => loss.backward());
 *   opt.step(parameterRefs(model));
 * }
 */
export class Arena {
  private readonly free = new Map<number, Float32Array[]>();
  private readonly handed: Float32Array[] = [];
  /** @internal op results made with this arena's buffers since the last reset */
  readonly results: Tensor[] = [];
  private readonly counts = { fresh: 0, reused: 0, floats: 0 };

  constructor() {
    arenasMade = true;
  }

  /** Runs `fn` (synchronously) with this arena active: the op results it computes use the arena's buffers. */
  run<T>(fn: () => T): T {
    reserveArenaRegion(); // before any op: reserving grows the kernels' memory once
    const prev = active;
    active = this;
    try {
      return fn();
    } finally {
      active = prev;
    }
  }

  /** @internal a buffer of n floats, zeroed when `zero` (a fresh one is zeros already) */
  take(n: number, zero: boolean): Float32Array {
    const buf = this.free.get(n)?.pop();
    if (buf === undefined) {
      // in the kernels' memory (the thread pool's while one runs): the kernels use the buffer in place
      const fresh = arenaFloats(n) ?? new Float32Array(n);
      leases.set(fresh, { gen: 0, kept: false });
      this.handed.push(fresh);
      this.counts.fresh++;
      this.counts.floats += n;
      return fresh;
    }
    if (zero) zeroFloats(buf);
    this.handed.push(buf);
    this.counts.reused++;
    return buf;
  }

  /**
   * Takes back every buffer handed out since the last reset, except those of kept results:
   * the results made over them become unreadable (their `data` throws), and every result's
   * graph is released (kept ones too: their inputs' buffers are reused). Call it when nothing of
   * the last step is needed any more.
   */
  reset(): void {
    for (const t of this.results) {
      t._backward = null;
      t._parents = [];
      t._released = true;
    }
    this.results.length = 0;
    for (const buf of this.handed) {
      const lease = leases.get(buf) as Lease;
      if (lease.kept) {
        this.counts.floats -= buf.length;
        continue;
      }
      lease.gen++;
      let list = this.free.get(buf.length);
      if (list === undefined) this.free.set(buf.length, (list = []));
      list.push(buf);
    }
    this.handed.length = 0;
  }

  /** Drops every buffer (in use or free): the results of the current step become unreadable too. */
  dispose(): void {
    this.reset();
    this.free.clear();
    this.counts.floats = 0;
  }

  get stats(): ArenaStats {
    return { fresh: this.counts.fresh, reused: this.counts.reused, bytes: this.counts.floats * 4 };
  }
}

/**
 * Keeps an op result past the end of its training step: the arena that holds its buffer gives
 * the buffer up (the values stay; the arena allocates another for that shape next step), or for
 * a buffer in the kernels' memory, which is never freed, the result takes a copy of its values.
 * Returns `t`. A tensor no arena holds is returned as is. Its graph is still released when the
 * step ends (its inputs' buffers are reused), so keep values, not graphs; detach() first if in doubt.
 */
export function keep(t: Tensor): Tensor {
  const lease = t._lease;
  if (lease === null) return t;
  if (residentOwner(t._data) !== null) {
    // the kernels' memory is never given back: keep a copy, and the arena its buffer
    t._data = t.data.slice();
    t._lease = null;
    return t;
  }
  lease.kept = true;
  return t;
}

/** The error for reading a result the arena has taken back. @internal */
export function staleError(t: Tensor): ValueError {
  return new ValueError(
    `Tensor (op "${t.op}", shape [${t.shape.join(', ')}]): its values were taken back by the training step's arena when the next step began; ` +
      'keep(t) or t.clone() during the step to hold on to a result',
  );
}
