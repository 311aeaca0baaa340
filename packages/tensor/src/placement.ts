// Device-resident tensors: moving values between the CPU and a device, results of device ops,
// and their gradients. The backends themselves register through ./device.
import { type DeviceBackend, deviceBackend } from './device';
import { isGradEnabled } from './gradMode';
import { type Shape, ShapeError, ValueError, formatShape } from './shape';
import { DEVICE_PLACEHOLDER, Tensor } from './tensor';

/**
 * A copy of `t` on `device` (`'cpu'` or a registered device such as `'webgpu'`), cut from the
 * graph like {@link Tensor.clone}: a new leaf with the same `requiresGrad`. `t` itself if it is
 * there already.
 */
export async function toDevice(t: Tensor, device: string): Promise<Tensor> {
  if (t.device === device && (device === 'cpu' || t._storage !== null)) return t;
  if (device === 'cpu') return new Tensor(await readValues(t), t.shape, { requiresGrad: t.requiresGrad });
  const backend = deviceBackend(device);
  await backend.ready?.();
  const values = t._storage === null ? t.data : await readValues(t); // device to another device: through the cpu
  return deviceTensor(device, backend.upload(values, t.shape), t.shape, 'leaf', t.requiresGrad);
}

/**
 * `t` on the device `like` lives on, copied there synchronously if needed (the device is open,
 * since `like` lives there): for constants a module makes on the cpu and uses with its input,
 * such as a mask or a selection row. The copy is cut from the graph, so a `t` that requires
 * gradients is refused rather than copied (its gradient would be lost without a word).
 * @example
 * const y = mul(x, sameDeviceAs(mask, x));
 */
export function sameDeviceAs(t: Tensor, like: Tensor): Tensor {
  const what = (u: Tensor) => `"${u.op}" (shape ${formatShape(u.shape)})`;
  if (like._storage === null) {
    // `like` is in cpu memory (a tensor a Trainer holds on a device too: its own op then says so)
    if (t._storage === null) return t;
    throw new ValueError(`sameDeviceAs: ${what(t)} lives on ${t.device}, ${what(like)} on the cpu; bring it to the cpu with \`await t.to('cpu')\``);
  }
  if (t._storage !== null && t.device === like.device) return t;
  if (t.requiresGrad) {
    throw new ValueError(
      `sameDeviceAs: ${what(t)} requires gradients, and a copy on ${like.device} would cut it from the graph; ` +
        `move it there first (\`await t.to('${like.device}')\`, or the module's \`await model.to('${like.device}')\`), or pass t.detach() for a constant`,
    );
  }
  return deviceTensor(like.device, deviceBackend(like.device).upload(t.data, t.shape), t.shape, 'leaf');
}

/** A copy of the values, from wherever they live (one round trip for a device tensor). */
export async function readValues(t: Tensor): Promise<Float32Array> {
  if (t._storage === null) return t.data.slice();
  return deviceBackend(t.device).download(t._storage, t.size);
}

/** A copy of the gradient (null: none yet), from wherever it lives. */
export async function readGrad(t: Tensor): Promise<Float32Array | null> {
  if (t._gradStorage !== null) return deviceBackend(t.device).download(t._gradStorage, t.size);
  return t.grad === null ? null : t.grad.slice();
}

/**
 * The gradient of `t` as a tensor where `t` lives (null: none yet), outside any graph: for code
 * that works on gradients between backward and the optimizer step (clipping, accumulation) the
 * same way on the cpu and on a device. It shares memory with the gradient, so read it before
 * the gradient changes (the next backward, `zeroGrad`, a move); change it with {@link setGradient}.
 * @example
 * const norm = sqrt(params.map((p) => sum(square(gradientOf(p)!))).reduce((a, b) => add(a, b)));
 */
export function gradientOf(t: Tensor): Tensor | null {
  if (t._storage === null) return t.grad === null ? null : new Tensor(t.grad, t.shape, {}, 'grad');
  if (t._gradStorage === null) return null;
  shareStorage(t._gradStorage); // the view must not release it; the gradient's owner does
  return deviceTensor(t.device, t._gradStorage, t.shape, 'grad');
}

/**
 * Writes `g`'s values into `t`'s gradient, in place (the optimizer keeps stepping the same
 * buffer): `g` must have `t`'s shape and live where `t` lives.
 * @example
 * for (const p of params) setGradient(p, mul(gradientOf(p)!, scale));
 */
export function setGradient(t: Tensor, g: Tensor): void {
  if (g.size !== t.size || g.rank !== t.rank || g.shape.some((d, i) => d !== t.shape[i])) {
    throw new ShapeError(`setGradient: the gradient of a tensor of shape ${formatShape(t.shape)} cannot take values of shape ${formatShape(g.shape)}`);
  }
  if (g.device !== t.device || (g._storage === null) !== (t._storage === null)) {
    throw new ValueError(`setGradient: the tensor lives on ${t.device} and the new gradient on ${g.device}; compute it from gradientOf(t), which lives where t does`);
  }
  if (t._storage === null) {
    if (t.grad === null) t.grad = g.data.slice();
    else if (t.grad !== g.data) t.grad.set(g.data);
    return;
  }
  if (t._gradStorage === g._storage) return;
  const backend = deviceBackend(t.device);
  if (t._gradStorage !== null) backend.zero(t._gradStorage, t.size);
  const sum = backend.accumulate(t._gradStorage, g._storage!, t.shape, false); // into a zeroed gradient: a copy, in place
  if (t._gradStorage !== null && sum !== t._gradStorage) throw new ValueError(`setGradient: device ${t.device} did not add into the gradient in place (see DeviceBackend.accumulate)`);
  t._gradStorage = sum;
}

/** A leaf tensor whose values are `storage` on `device` (for device backends: a result of an op without autograd, or an upload). */
export function deviceTensor(device: string, storage: object, shape: Shape, op: string, requiresGrad = false): Tensor {
  const t = new Tensor(DEVICE_PLACEHOLDER, shape, { requiresGrad }, op);
  t._storage = storage;
  t._device = device;
  return t;
}

/**
 * The result of an op a device ran: like `fromOp`, it records the parents and the backward
 * closure when gradients are enabled and an input requires them. The closure reads the
 * result's gradient from `_gradStorage` and hands its inputs' gradients to
 * {@link accumulateDeviceGrad}.
 */
export function fromDeviceOp(op: string, device: string, storage: object, shape: Shape, parents: readonly Tensor[], makeBackward: (out: Tensor) => () => void): Tensor {
  let tracked = false;
  if (isGradEnabled()) for (const p of parents) if (p.requiresGrad) tracked = true;
  const out = deviceTensor(device, storage, shape, op, tracked);
  if (tracked) {
    out._parents = parents;
    out._backward = makeBackward(out);
  }
  return out;
}

/** Adds the device gradient `g` into `t`'s (see `DeviceBackend.accumulate`); nothing for a tensor that does not require one. */
export function accumulateDeviceGrad(t: Tensor, g: object, owned: boolean): void {
  const backend = deviceBackend(t.device);
  if (!t.requiresGrad) {
    if (owned) backend.release(g);
    return;
  }
  t._gradStorage = backend.accumulate(t._gradStorage, g, t.shape, owned);
}

/** The backward pass's seed on a device root: 1 for a scalar, else `seed`. @internal */
export function seedDeviceGrad(root: Tensor, seed: Float32Array | undefined): void {
  const backend = deviceBackend(root.device);
  const g = seed === undefined ? backend.fill(root.shape, 1) : backend.upload(seed, root.shape);
  accumulateDeviceGrad(root, g, true);
}

/** Gives a released node's device gradient back (intermediate gradients are never visible after backward). @internal */
export function releaseDeviceGrad(node: Tensor): void {
  if (node._gradStorage === null) return;
  deviceBackend(node.device).release(node._gradStorage);
  node._gradStorage = null;
}

/**
 * Moves `tensors` (parameters, buffers) to `device` in place: the same Tensor objects, so
 * modules and optimizers keep referring to them; their gradients move along. To `'cpu'`, the
 * device copies are read back and released. Refused, changing nothing, for an op result in a
 * live graph (moving it would strand the graph's gradients), and when a read or an upload fails.
 */
export async function placeTensors(tensors: readonly Tensor[], device: string): Promise<void> {
  const bad = tensors.find((t) => t._backward !== null);
  if (bad !== undefined) throw new ValueError(`to('${device}'): "${bad.op}" (shape ${formatShape(bad.shape)}) is the result of an op in a live graph; only leaves (parameters, buffers, inputs) move in place`);
  const target = device === 'cpu' ? null : deviceBackend(device); // an unknown device: refused before anything moves
  await target?.ready?.();
  // read and upload everything first, so a failed read or upload leaves every tensor where it was
  const moving = [...new Set(tensors)].filter((t) => t.device !== device);
  const moves = await Promise.all(moving.map(async (t) => ({ t, values: await valuesForMove(t), grad: await readGrad(t) })));
  const copies = target === null ? null : uploadAll(target, moves);
  moves.forEach(({ t, values, grad }, i) => {
    if (copies === null) {
      restoreOnCpu(t, values);
      t.grad = grad;
    } else {
      dropDeviceCopies(t);
      t._lease = null;
      t._data = DEVICE_PLACEHOLDER;
      t._storage = copies[i].storage;
      t._device = device;
      t.grad = null;
      t._gradStorage = copies[i].grad;
    }
  });
}

/** Device copies of every move's values and gradient; on a failure the copies made so far are released and the error rethrown. */
function uploadAll(target: DeviceBackend, moves: ReadonlyArray<{ t: Tensor; values: Float32Array; grad: Float32Array | null }>): Array<{ storage: object; grad: object | null }> {
  const made: object[] = [];
  const upload = (values: Float32Array, shape: Shape): object => {
    const s = target.upload(values, shape);
    made.push(s);
    return s;
  };
  try {
    return moves.map(({ t, values, grad }) => ({ storage: upload(values, t.shape), grad: grad === null ? null : upload(grad, t.shape) }));
  } catch (e) {
    for (const s of made) target.release(s);
    throw e;
  }
}

async function valuesForMove(t: Tensor): Promise<Float32Array> {
  if (t._storage === null && t._device !== null) {
    throw new ValueError(`to(): tensor "${t.op}" (shape ${formatShape(t.shape)}) is held by a Trainer training on ${t._device}; move it after fit, or with \`await ctx.sync()\``);
  }
  return readValues(t);
}

/**
 * Puts `t` back in cpu memory holding `values` (a copy made before it moved), without reading the
 * device: for a device that was lost, so a model can be loaded from a checkpoint and trained on
 * the cpu. Its gradient is dropped; the device's copies are released where the device still can.
 */
export function restoreOnCpu(t: Tensor, values: Float32Array): void {
  if (values.length !== t.size) throw new ShapeError(`restoreOnCpu: ${values.length} values for a tensor of shape ${formatShape(t.shape)}`);
  try {
    dropDeviceCopies(t);
  } catch {
    // a lost device has freed its memory already
  }
  t._storage = null;
  t._gradStorage = null;
  t._lease = null;
  t._data = values;
  t._device = null;
  t.grad = null;
}

/** Storages more than one tensor holds (see {@link shareStorage}). */
const shared = new WeakSet<object>();

/**
 * Marks `storage` as held by more than one tensor (a detached copy, a view): moving one of them
 * away then leaves it to the others (the backend reclaims it once none holds it) instead of
 * releasing it under them (for device backends).
 */
export function shareStorage(storage: object): void {
  shared.add(storage);
}

function dropDeviceCopies(t: Tensor): void {
  if (t._storage === null) return;
  const backend = deviceBackend(t.device);
  if (!shared.has(t._storage)) backend.release(t._storage);
  if (t._gradStorage !== null) backend.release(t._gradStorage);
  t._storage = null;
  t._gradStorage = null;
}

/** A copy of device tensor `t` in a storage of its own, cut from the graph like {@link Tensor.clone}. @internal */
export function cloneOnDevice(t: Tensor): Tensor {
  const copy = deviceBackend(t.device).accumulate(null, t._storage!, t.shape, false); // added to nothing, not owned: a fresh copy
  return deviceTensor(t.device, copy, t.shape, 'leaf', t.requiresGrad);
}

/** Zeros a device tensor's gradient in place (keeps the storage, like `zeroGrad` on the cpu). @internal */
export function zeroDeviceGrad(t: Tensor): void {
  if (t._gradStorage !== null) deviceBackend(t.device).zero(t._gradStorage, t.size);
}

/** Checks a backward seed against its root. @internal */
export function checkSeed(root: Tensor, seed: Float32Array | undefined): void {
  if (seed === undefined && root.size !== 1) {
    throw new ShapeError(`backward: called on a tensor of shape ${formatShape(root.shape)}; pass a seed gradient or reduce to a scalar`);
  }
  if (seed !== undefined && seed.length !== root.size) {
    throw new ShapeError(`backward: seed has ${seed.length} elements, tensor has ${root.size}`);
  }
}
