import { type Shape, ValueError, formatShape } from './shape';
import type { Tensor } from './tensor';

/**
 * A compute device's side of the tensor API (`@trainkit/webgpu` registers `'webgpu'`): where a
 * device tensor's values live, how they get there and back, how its gradients accumulate, and
 * the ops it runs. Storage handles are opaque to this package. Ops a backend lacks are refused
 * with an error naming the op and the device.
 */
export interface DeviceBackend {
  readonly name: string;
  /** Opens the device if it is not open yet (called before moving values there); rejects when it cannot. */
  ready?(): Promise<void>;
  /** New storage holding a copy of `values` (laid out as `shape`). */
  upload(values: Float32Array, shape: Shape): object;
  /** A copy of the storage's `size` values, after all work submitted so far. */
  download(storage: object, size: number): Promise<Float32Array>;
  /** New storage of `shape` with every value `value`. */
  fill(shape: Shape, value: number): object;
  /** Sets every value of the storage to zero, in place. */
  zero(storage: object, size: number): void;
  /**
   * Adds the gradient `g` into `into` (null: none yet) and returns the storage holding the sum:
   * `into` itself when given (optimizers keep stepping a gradient's buffer).
   * With `owned` the backend may keep `g` itself as the sum, or release it after adding.
   */
  accumulate(into: object | null, g: object, shape: Shape, owned: boolean): object;
  /** Gives the storage back (the tensor holding it is unusable afterwards). */
  release(storage: object): void;
  /** The ops it runs, by the name of the `@trainkit/tensor` op, called with that op's arguments. */
  readonly ops: Readonly<Record<string, (...args: never[]) => Tensor>>;
  /** Why `step` cannot run this optimizer here (null: it can), asked before a fit trains on the device. */
  canStep?(optimizer: object): string | null;
  /** Runs an optimizer's step on parameters that live on this device (see `Optimizer.step`). */
  step?(optimizer: object, params: ReadonlyArray<{ readonly name: string; readonly tensor: Tensor; readonly key?: object }>): DeviceHeldState;
}

/** What an optimizer that stepped on a device needs to bring its state back, or to forget it. */
export interface DeviceHeldState {
  readonly device: string;
  /**
   * Copies the device's optimizer state into the CPU optimizer (its state dict is then current).
   * After a step with a non-finite gradient it copies the state from before that step, then
   * rejects with the optimizer's non-finite-gradient error (the optimizer is usable again, as
   * after a step the CPU refused).
   */
  sync(): Promise<void>;
  /** Forgets the device's copy (a state dict was loaded on the CPU; the next step starts from it). */
  drop(): void;
}

const backends = new Map<string, DeviceBackend>();

/** Makes `backend` the implementation of its device name (a second registration replaces the first). */
export function registerDevice(backend: DeviceBackend): void {
  if (typeof backend?.name !== 'string' || backend.name === '' || backend.name === 'cpu') {
    throw new ValueError(`registerDevice: a backend needs a name other than "cpu", got ${JSON.stringify(backend?.name)}`);
  }
  backends.set(backend.name, backend);
}

/** The backend registered for `device`; an error that says what to import when there is none. */
export function deviceBackend(device: string): DeviceBackend {
  const b = backends.get(device);
  if (b === undefined) {
    const known = ['cpu', ...backends.keys()].map((d) => `"${d}"`).join(', ');
    throw new ValueError(`no backend is registered for device "${device}" (registered: ${known}); for "webgpu", import '@trainkit/webgpu' first`);
  }
  return b;
}

/** Whether `x` is a tensor whose values live on a device (not in CPU memory). */
export function isOnDevice(x: unknown): boolean {
  return typeof x === 'object' && x !== null && (x as Tensor)._storage != null;
}

const describe = (t: Tensor): string => `${t.device} tensor ${formatShape(t.shape)}`;

/**
 * Runs `op` on the device its tensor arguments live on (arrays of tensors count too): every
 * tensor must be on that one device, and the device must have the op. Each `@trainkit/tensor`
 * op calls this first when an argument is a device tensor.
 */
export function onDeviceOp(op: string, args: readonly unknown[]): Tensor {
  const tensors: Tensor[] = [];
  for (const a of args) {
    if (Array.isArray(a)) for (const x of a) pushTensor(tensors, x);
    else pushTensor(tensors, a);
  }
  const device = tensors.find((t) => t._storage !== null)!.device;
  const stranger = tensors.find((t) => t.device !== device);
  if (stranger !== undefined) {
    const here = tensors.find((t) => t.device === device)!;
    throw new ValueError(
      `${op}: a ${describe(here)} and a ${describe(stranger)} cannot meet in one op; move one to the other's device first ` +
        `(\`await t.to('${device}')\` or \`await t.to('${stranger.device}')\`)`,
    );
  }
  const backend = deviceBackend(device);
  const impl = backend.ops[op] as ((...a: readonly unknown[]) => Tensor) | undefined;
  if (impl === undefined) {
    throw new ValueError(
      `${op}: no ${device} kernel for this op yet (${device} runs: ${Object.keys(backend.ops).sort().join(', ')}); ` +
        `bring the tensors to the cpu with \`await t.to('cpu')\` for it`,
    );
  }
  return impl(...args);
}

function pushTensor(out: Tensor[], x: unknown): void {
  if (typeof x === 'object' && x !== null && 'shape' in x && '_storage' in x) out.push(x as Tensor);
}

/** The error for reading the CPU values of a tensor whose newer values live on `device`. */
export function deviceError(t: Tensor, device: string): ValueError {
  if (t.op === 'device step output' || t.op === 'device step loss') {
    return new ValueError(
      `a training batch's ${t.op === 'device step loss' ? 'loss' : 'outputs'} stay on ${device}, where each step runs as one fused submission; ` +
        'ctx.metrics holds the running loss and accuracy (read every `metricsEvery` steps). A plugin that reads each batch\'s values should declare ' +
        '`readsBatchValues: true`, which keeps the fit on the CPU',
    );
  }
  if (t._storage !== null) {
    return new ValueError(
      `this tensor ("${t.op}", shape ${formatShape(t.shape)}) lives on ${device}, and .data reads the cpu's memory synchronously; ` +
        "read its values with `await t.read()`, or move it with `await t.to('cpu')`",
    );
  }
  return new ValueError(
    `the values of this tensor ("${t.op}", shape ${formatShape(t.shape)}) live on ${device}, and .data reads the cpu's memory, which holds an older copy. ` +
      `A CPU op cannot take a ${device} tensor; inside a Trainer on ${device}, \`await ctx.sync()\` brings the parameters and the optimizer state back to the cpu (after fit they are back by themselves)`,
  );
}

/**
 * Marks `tensors` as having newer values on `device` (reading their `data` then throws a clear
 * error), or, with `null`, as holding their current values in CPU memory again. For device
 * backends (see `DeviceBackend` in @trainkit/core): call it when the device starts changing
 * the values, and with `null` once they have been copied back into `data`'s array.
 */
export function markResident(tensors: Iterable<Tensor>, device: string | null): void {
  for (const t of tensors) t._device = device;
}
