import { test } from '@fast-check/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { leaf, shapeOf, specFrom } from './__tests__/arbitraries';
import { type DeviceBackend, isOnDevice, markResident, registerDevice } from './device';
import { add, mul, relu, tanh } from './ops/elementwise';
import { matmul } from './ops/matmul';
import { sum } from './ops/reduce';
import { accumulateDeviceGrad, fromDeviceOp, gradientOf, placeTensors, restoreOnCpu, sameDeviceAs, setGradient } from './placement';
import { Tensor } from './tensor';

// An emulated device: storage is a plain array in an object, and each op runs the CPU op on
// copies of its inputs. It exercises the dispatch, the device autograd and the placement
// without a GPU; @trainkit/webgpu runs the same laws on real WGSL kernels.
type Store = { values: Float32Array };
const live = new Set<Store>();
const store = (values: Float32Array): Store => {
  const s = { values };
  live.add(s);
  return s;
};
const valuesOf = (t: Tensor) => (t._storage as Store).values;

function emulate(name: string, cpuOp: (...args: never[]) => Tensor) {
  return (...args: unknown[]): Tensor => {
    const copies = args.map((a) => (isOnDevice(a) ? new Tensor(valuesOf(a as Tensor).slice(), (a as Tensor).shape, { requiresGrad: (a as Tensor).requiresGrad }) : a));
    const y = (cpuOp as (...a: unknown[]) => Tensor)(...copies);
    const inputs = args.filter(isOnDevice) as Tensor[];
    return fromDeviceOp(name, 'emu', store(y.data.slice()), y.shape, inputs, (out) => () => {
      y.backward((out._gradStorage as Store).values);
      args.forEach((a, i) => {
        const g = (copies[i] as Tensor | undefined)?.grad;
        if (isOnDevice(a) && g) accumulateDeviceGrad(a as Tensor, store(g.slice()), true);
      });
    });
  };
}

const emu: DeviceBackend = {
  name: 'emu',
  upload: (values) => store(values.slice()),
  download: async (s, size) => (s as Store).values.slice(0, size),
  fill: (shape, value) => store(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(value)),
  zero: (s) => void (s as Store).values.fill(0),
  accumulate(into, g, _shape, owned) {
    if (into === null) return owned ? g : store((g as Store).values.slice());
    const a = (into as Store).values;
    (g as Store).values.forEach((v, i) => (a[i] += v));
    if (owned) live.delete(g as Store);
    return into;
  },
  release: (s) => void live.delete(s as Store),
  ops: { add: emulate('add', add), mul: emulate('mul', mul), tanh: emulate('tanh', tanh), sum: emulate('sum', sum), matmul: emulate('matmul', matmul) },
};

beforeAll(() => registerDevice(emu));

const anySpec = specFrom(shapeOf(1, 3));

describe('device tensors', () => {
  test.prop([anySpec])('ops on a device give the cpu ops\' values and gradients (the device run equals the cpu run)', async (spec) => {
    const x = leaf(spec);
    const cpuLoss = sum(mul(tanh(x), x));
    cpuLoss.backward();
    const xd = await x.to('emu');
    expect(xd.device).toBe('emu');
    expect(xd.requiresGrad).toBe(true);
    const loss = sum(mul(tanh(xd), xd));
    expect(loss.device).toBe('emu');
    loss.backward();
    expect(Array.from(await loss.read())).toEqual(Array.from(cpuLoss.data));
    // equal up to one more float32 rounding: the device sums each op's gradient as a whole buffer
    const g = (await xd.readGrad()) ?? new Float32Array(0);
    expect(g.length).toBe(x.size);
    (x.grad ?? []).forEach((v, i) => expect(Math.abs(g[i] - v)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(v))));
    expect(Array.from(await (await loss.to('cpu')).read())).toEqual(Array.from(cpuLoss.data));
  });

  it('a backward pass gives back every intermediate gradient on the device, and keeps the leaves\'', async () => {
    const x = await new Tensor(Float32Array.of(1, -2, 3), [3], { requiresGrad: true }).to('emu');
    const before = live.size;
    const y = sum(mul(tanh(x), x));
    y.backward();
    // x's values and gradient, y's values, and the two intermediate results' values remain
    expect(live.size - before).toBe(4);
    expect(x._gradStorage).not.toBeNull();
    expect(y._gradStorage).toBeNull();
  });

  it('the synchronous .data of a device tensor is an error naming the async calls', async () => {
    const x = await new Tensor(Float32Array.of(1, 2), [2]).to('emu');
    expect(() => x.data).toThrow(/lives on emu.*await t\.read\(\).*await t\.to\('cpu'\)/);
    expect(() => x.toArray()).toThrow(/await t\.read\(\)/);
    const one = await new Tensor(Float32Array.of(1), [1]).to('emu');
    expect(() => one.item()).toThrow(/await t\.read\(\)/);
    expect(String(x)).toBe('Tensor([2], on emu)');
  });

  it('an op mixing a device tensor with a cpu tensor names both devices', async () => {
    const a = new Tensor(Float32Array.of(1, 2), [2]);
    const b = await a.to('emu');
    expect(() => add(a, b)).toThrow(/add: a emu tensor \[2\] and a cpu tensor \[2\] cannot meet in one op/);
    expect(() => matmul(b.detach(), new Tensor(Float32Array.of(1, 2), [2, 1]))).toThrow(/matmul: a emu tensor.*cpu tensor \[2, 1\]/);
  });

  it('an op the device lacks is refused, naming the op, the device and the ops it has', async () => {
    const x = await new Tensor(Float32Array.of(1, 2), [2]).to('emu');
    expect(() => relu(x)).toThrow(/relu: no emu kernel for this op yet \(emu runs: add, matmul, mul, sum, tanh\)/);
  });

  it('an unregistered device is refused and says what to import', async () => {
    const x = new Tensor(Float32Array.of(1), [1]);
    await expect(x.to('webgpu-nope')).rejects.toThrow(/no backend is registered for device "webgpu-nope"/);
  });

  it('placeTensors moves leaves in place, with their gradients, and back', async () => {
    const w = new Tensor(Float32Array.of(1, 2, 3), [3], { requiresGrad: true });
    sum(mul(w, w)).backward();
    await placeTensors([w], 'emu');
    expect(w.device).toBe('emu');
    expect(w.grad).toBeNull();
    sum(mul(w, w)).backward(); // accumulates on the device into the moved gradient
    w.zeroGrad();
    sum(mul(w, w)).backward();
    await placeTensors([w], 'cpu');
    expect(w.device).toBe('cpu');
    expect(Array.from(w.data)).toEqual([1, 2, 3]);
    expect(Array.from(w.grad ?? [])).toEqual([2, 4, 6]);
  });

  it('placeTensors refuses an op result in a live graph, and an unknown device, moving nothing', async () => {
    const w = new Tensor(Float32Array.of(1, 2), [2], { requiresGrad: true });
    const y = mul(w, w);
    await expect(placeTensors([w, y], 'emu')).rejects.toThrow(/"mul".*live graph/);
    await expect(placeTensors([w], 'nowhere')).rejects.toThrow(/no backend/);
    expect(w.device).toBe('cpu');
  });

  it('detach keeps a device tensor on its device, cut from the graph', async () => {
    const x = await new Tensor(Float32Array.of(1, 2), [2], { requiresGrad: true }).to('emu');
    const d = mul(x, x).detach();
    expect(d.device).toBe('emu');
    expect(d.requiresGrad).toBe(false);
    expect(Array.from(await d.read())).toEqual([1, 4]);
  });

  it('placeTensors refused by a failing upload (a tensor too big for the device) leaves every tensor where and as it was', async () => {
    const small = { ...emu, name: 'emu-small', upload: (values: Float32Array, shape: readonly number[]) => (values.length > 4 ? fail(shape) : emu.upload(values, shape)) };
    const fail = (shape: readonly number[]): never => {
      throw new Error(`emu-small: no room for [${shape.join(', ')}]`);
    };
    registerDevice(small);
    const [a, b] = [new Tensor(Float32Array.of(1, 2), [2], { requiresGrad: true }), new Tensor(new Float32Array(8).fill(3), [8])];
    const before = live.size;
    await expect(placeTensors([a, b], 'emu-small')).rejects.toThrow(/no room for \[8\]/);
    expect([a.device, b.device]).toEqual(['cpu', 'cpu']);
    expect(Array.from(a.data)).toEqual([1, 2]);
    expect(Array.from(b.data)).toEqual(Array(8).fill(3));
    expect(live.size).toBe(before); // the copies made before the failure are given back
  });

  it('moving a tensor away does not release the storage a detached copy still holds', async () => {
    const w = await new Tensor(Float32Array.of(1, 2), [2], { requiresGrad: true }).to('emu');
    const kept = w.detach();
    await placeTensors([w], 'cpu');
    expect(live.has(kept._storage as Store)).toBe(true);
    await placeTensors([kept], 'cpu');
    expect(Array.from(kept.data)).toEqual([1, 2]);
  });

  it('clone copies a device tensor on its device, like detach but with its own storage', async () => {
    const x = await new Tensor(Float32Array.of(1, 2), [2], { requiresGrad: true }).to('emu');
    const c = x.clone();
    expect([c.device, c.requiresGrad]).toEqual(['emu', true]);
    expect(c._storage).not.toBe(x._storage);
    expect(Array.from(await c.read())).toEqual([1, 2]);
  });

  it('sameDeviceAs copies a constant to the device and refuses a tensor that requires gradients there (a copy would silently cut its gradient)', async () => {
    const like = await new Tensor(Float32Array.of(1, 2), [2]).to('emu');
    const mask = new Tensor(Float32Array.of(0, -1), [2]);
    expect(sameDeviceAs(mask, like).device).toBe('emu');
    const bias = new Tensor(Float32Array.of(3, 4), [2], { requiresGrad: true });
    expect(() => sameDeviceAs(bias, like)).toThrow(/sameDeviceAs: "leaf" \(shape \[2\]\) requires gradients.*await t\.to\('emu'\)/);
    expect(() => sameDeviceAs(mul(bias, bias), like)).toThrow(/sameDeviceAs: "mul" \(shape \[2\]\) requires gradients/);
    expect(sameDeviceAs(bias.detach(), like).device).toBe('emu');
    expect(sameDeviceAs(bias, new Tensor(Float32Array.of(1, 2), [2]))).toBe(bias); // on the cpu: nothing to copy, the graph stays
  });

  it('sameDeviceAs leaves a cpu constant as it is beside a cpu tensor a Trainer holds on a device, and names both devices when it refuses', async () => {
    const held = new Tensor(Float32Array.of(1, 2), [2]);
    markResident([held], 'emu'); // its newer values are on emu; its own storage is cpu memory
    const mask = new Tensor(Float32Array.of(0, -1), [2]);
    expect(sameDeviceAs(mask, held)).toBe(mask);
    const onEmu = await mask.to('emu');
    expect(() => sameDeviceAs(onEmu, mask)).toThrow(/sameDeviceAs: "leaf" \(shape \[2\]\) lives on emu, "leaf" \(shape \[2\]\) on the cpu; .*await t\.to\('cpu'\)/);
  });

  it('gradientOf views a gradient where it lives (cpu or device), and setGradient writes new values into the same buffer; a wrong shape or device is refused and changes nothing', async () => {
    for (const device of ['cpu', 'emu']) {
      const w = await new Tensor(Float32Array.of(1, -2, 3), [3], { requiresGrad: true }).to(device);
      expect(gradientOf(w)).toBeNull();
      sum(mul(w, w)).backward(); // dw = 2w
      const g = gradientOf(w)!;
      expect([g.device, g.requiresGrad, Array.from(await g.read())]).toEqual([device, false, [2, -4, 6]]);
      const buffer = device === 'cpu' ? w.grad : w._gradStorage;
      setGradient(w, mul(g, 0.5));
      expect(Array.from((await w.readGrad())!)).toEqual([1, -2, 3]);
      expect(device === 'cpu' ? w.grad : w._gradStorage).toBe(buffer); // in place: an optimizer keeps stepping the same buffer
      expect(() => setGradient(w, new Tensor(Float32Array.of(1, 2), [2]))).toThrow(/setGradient: the gradient of a tensor of shape \[3\] cannot take values of shape \[2\]/);
      const elsewhere = device === 'cpu' ? await new Tensor(Float32Array.of(0, 0, 0), [3]).to('emu') : new Tensor(Float32Array.of(0, 0, 0), [3]);
      expect(() => setGradient(w, elsewhere)).toThrow(/setGradient: the tensor lives on (cpu|emu) and the new gradient on (emu|cpu)/);
      expect(Array.from((await w.readGrad())!)).toEqual([1, -2, 3]);
    }
  });

  it('restoreOnCpu puts a device tensor back in cpu memory with given values, without reading the device (a lost device)', async () => {
    const w = await new Tensor(Float32Array.of(1, 2), [2], { requiresGrad: true }).to('emu');
    restoreOnCpu(w, Float32Array.of(5, 6));
    expect([w.device, w._storage, Array.from(w.data), w.requiresGrad]).toEqual(['cpu', null, [5, 6], true]);
    expect(() => restoreOnCpu(w, Float32Array.of(1))).toThrow(/restoreOnCpu: 1 values for a tensor of shape \[2\]/);
  });
});

