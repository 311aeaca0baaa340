// How the conv passes of conv.ts run: each a range op of assembly/conv.ts (or convGradPrep.ts)
// split into chunks for the thread pool, or one call over the whole range without one.
import type { PoolOp, PoolTask, WasmKernels } from './abi';
import { split } from './gemm';
import { gemmWorkOf } from './heap';
import { kernelPool } from './runtime';

/** A conv pass as a pool task: one of assembly/conv.ts's range ops and its arguments. */
export type Pass = Omit<PoolTask, 'scratch' | 'next'>;

/**
 * One conv pass over `n` units (images, columns of dW in blocks of `step`, for the Winograd and
 * 1×1 weight gradients input channels, for the bias gradient output channels), in about
 * `perThread` chunks per thread of the pool (by default images four, so one that starts late
 * holds up little; blocks of dW's columns two, since each repacks every image's dOut), or the
 * whole range without a pool. `args` has the range at `rangeAt` and `rangeAt + 1`; the scratch
 * pointer and the GEMM packing area are its last two arguments.
 */
export function pass(op: PoolOp, args: number[], rangeAt: number, n: number, step: number, perThread = step > 1 ? 2 : 4): Pass {
  const p = kernelPool();
  const chunks = p === null ? [[0, n] as const] : split(n, Math.min(perThread * p.threads, Math.ceil(n / step)), step).filter(([lo, hi]) => hi > lo);
  return { op, args, rangeAt, scratchAt: args.length - 2, workAt: args.length - 1, chunks };
}

/**
 * Runs a conv pass, or two independent ones: on the pool as one task (the second's chunks
 * after the first's, so no thread waits for the first's last chunk), else one call each.
 */
export function run(k: WasmKernels, scratch: number[], first: Pass, second?: Pass): void {
  const p = kernelPool();
  if (p !== null) return p.run({ ...first, scratch, next: second });
  // without a pool, pass() made each a single chunk over its whole range (both run in one synchronous call)
  for (const t of second ? [first, second] : [first]) {
    const args = [...t.args];
    [args[t.rangeAt], args[t.rangeAt + 1]] = t.chunks[0];
    args[t.scratchAt] = scratch[0];
    args[t.workAt] = gemmWorkOf(k, 0);
    (k[t.op] as (...a: number[]) => void)(...args);
  }
}
