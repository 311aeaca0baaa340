import type { KernelBackend } from '@trainkit/tensor';
import { Tensor } from '@trainkit/tensor';
import type { MemberResult } from '../member';
import type { MemberProgress } from '../progress';
import type { MemberJob } from '../trainMembers';

/** A state dict as plain data that crosses a thread boundary (buffers are transferred). */
export type PackedState = Record<string, { shape: number[]; data: Float32Array }>;

/** From the caller to a worker: train one member. */
export interface TrainMessage {
  type: 'train';
  job: MemberJob;
  /** URL of the module exporting the member definition. */
  module: string;
  exportName: string;
  /** The caller's kernel backend when it is 'js', so the worker computes the same way. */
  kernels: KernelBackend | null;
}

/** From a worker to the caller. */
export type WorkerMessage =
  | { type: 'progress'; event: MemberProgress }
  | { type: 'done'; result: Omit<MemberResult, 'state'> & { state: PackedState } }
  | { type: 'failed'; member: number; error: { name: string; message: string; stack?: string } };

export function packState(state: Record<string, Tensor>): { packed: PackedState; transfer: ArrayBuffer[] } {
  const packed: PackedState = {};
  const transfer: ArrayBuffer[] = [];
  for (const [k, t] of Object.entries(state)) {
    packed[k] = { shape: [...t.shape], data: t.data };
    transfer.push(t.data.buffer as ArrayBuffer);
  }
  return { packed, transfer };
}

export function unpackState(packed: PackedState): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(packed).map(([k, t]) => [k, new Tensor(t.data, t.shape)]));
}

/** An error that crossed the thread boundary, rebuilt with its name, message and the worker's stack. */
export function reviveError(e: { name: string; message: string; stack?: string }): Error {
  const err = new Error(e.message);
  err.name = e.name;
  if (e.stack !== undefined) err.stack = e.stack;
  return err;
}
