import { NonFiniteGradientError, type Optimizer } from '@trainkit/core';
import type { DeviceHeldState, Tensor } from '@trainkit/tensor';
import { webgpuBackend, webgpuContext } from './backend';
import { submit } from './kernel';
import { GpuOptimizer, unsupportedOptimizer } from './optimizer';
import type { GpuTensor } from './tensor';

// `optimizer.step(parameterRefs(model))` for a model moved with `await model.to('webgpu')`: the
// fused update kernels of optimizer.ts run on the parameters' own buffers, the optimizer's
// slots stay on the GPU, and `await optimizer.sync()` copies them back into the CPU optimizer.

interface Stepping {
  gpu: GpuOptimizer;
  /** The parameters (names, value and gradient buffers) it was built for. */
  signature: string;
  held: DeviceHeldState;
}

const stepping = new WeakMap<object, Stepping>();
const bufferIds = new WeakMap<GPUBuffer, number>();
let nextId = 1;
const idOf = (b: GPUBuffer): number => {
  let id = bufferIds.get(b);
  if (id === undefined) bufferIds.set(b, (id = nextId++));
  return id;
};

function signatureOf(params: ReadonlyArray<{ readonly name: string; readonly tensor: Tensor }>): string {
  return params.map((p) => `${p.name}:${idOf((p.tensor._storage as GpuTensor).buffer)}:${idOf((p.tensor._gradStorage as GpuTensor).buffer)}`).join('|');
}

function step(optimizer: object, params: ReadonlyArray<{ readonly name: string; readonly tensor: Tensor; readonly key?: object }>): DeviceHeldState {
  const opt = optimizer as Optimizer;
  const signature = signatureOf(params);
  let s = stepping.get(opt);
  if (s !== undefined && s.signature !== signature) {
    throw new Error(
      `${opt.name}: the parameters it steps on webgpu changed since its last step (${params.length} now); ` +
        '`await optimizer.sync()` first, then step the new set (its state continues from the synced one)',
    );
  }
  if (s === undefined) {
    const gpuParams = params.map((p) => ({ name: p.name, size: p.tensor.size, value: (p.tensor._storage as GpuTensor).buffer, grad: (p.tensor._gradStorage as GpuTensor).buffer, ...(p.key === undefined ? {} : { key: p.key }) }));
    const gpu = new GpuOptimizer(webgpuContext(), opt, gpuParams);
    const held: DeviceHeldState = {
      device: 'webgpu',
      sync: async () => {
        try {
          await gpu.syncTo();
        } catch (e) {
          if (!(e instanceof NonFiniteGradientError)) throw e;
          await gpu.keepGoodSteps(e); // the optimizer stays usable, as after a refused cpu step
          stepping.delete(opt);
          gpu.dispose();
          throw e;
        }
        stepping.delete(opt);
        gpu.dispose();
      },
      drop: () => {
        stepping.delete(opt);
        gpu.dispose();
      },
    };
    s = { gpu, signature, held };
    stepping.set(opt, s);
  }
  s.gpu.prepare();
  submit(webgpuContext(), s.gpu.dispatches, `${opt.name} step`);
  return s.held;
}

Object.assign(webgpuBackend, { step, canStep: (optimizer: object) => unsupportedOptimizer((optimizer as Optimizer).name) });
