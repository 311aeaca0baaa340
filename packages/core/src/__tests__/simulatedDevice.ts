import type { Module } from '@trainkit/nn';
import { type Tensor, crossEntropy, noGrad } from '@trainkit/tensor';
import { type DeviceBackend, type DeviceMetrics, type DeviceRun, accuracy, parameterRefs } from '../index';

/** What a simulated device saw, for the tests to check. */
export interface SimulatedLog {
  opened: number;
  steps: number;
  metricReads: number;
  syncs: number;
  disposed: number;
  reloads: number;
}

/**
 * A device backend for tests, with no device: a twin of the model (made by `twin`, loaded with the
 * model's state at open) trains on the CPU in its place, with the same optimizer object, so its
 * weights are those of a CPU fit; `syncToCpu` copies them into the model. `failAtStep` makes that
 * step throw, like a device lost in the middle of training (and every copy-back after it).
 */
export function simulatedDevice(twin: () => Module, options: { failAtStep?: number; refuse?: string; name?: string } = {}): DeviceBackend & { log: SimulatedLog } {
  const log: SimulatedLog = { opened: 0, steps: 0, metricReads: 0, syncs: 0, disposed: 0, reloads: 0 };
  return {
    name: options.name ?? 'sim',
    log,
    async open({ model, optimizer }): Promise<DeviceRun> {
      if (options.refuse !== undefined) throw new Error(options.refuse);
      log.opened++;
      const copy = twin();
      copy.loadStateDict(model.stateDict());
      const flags = new Map(model.namedParameters().map(([name, p]) => [name, p.requiresGrad]));
      for (const [name, p] of copy.namedParameters()) p.requiresGrad = flags.get(name) as boolean; // frozen at open stays frozen
      let sums = { loss: 0, hits: 0, samples: 0 };
      let lost = false; // after failAtStep, as a lost device: nothing more comes back
      return {
        outputSize: 3,
        step(x: Tensor, labels: ArrayLike<number>): void {
          if (lost || log.steps + 1 === options.failAtStep) {
            lost = true;
            throw new Error(`sim: the device was lost at step ${options.failAtStep}`);
          }
          log.steps++;
          const y = Int32Array.from(labels);
          const out = copy.call(x);
          const loss = crossEntropy(out, y);
          const n = y.length;
          sums = { loss: sums.loss + loss.item() * n, hits: sums.hits + accuracy(out, y) * n, samples: sums.samples + n };
          copy.zeroGrad();
          loss.backward();
          optimizer.step(parameterRefs(copy));
        },
        async metrics(): Promise<DeviceMetrics> {
          log.metricReads++;
          const m = { loss: sums.loss / sums.samples, accuracy: sums.hits / sums.samples, samples: sums.samples };
          sums = { loss: 0, hits: 0, samples: 0 };
          return m;
        },
        async predict(x: Tensor): Promise<Tensor> {
          return noGrad(() => copy.call(x)).clone();
        },
        async syncToCpu(): Promise<void> {
          if (lost) throw new Error('sim: the device is lost');
          log.syncs++;
          const state = copy.stateDict();
          for (const [name, p] of model.namedParameters()) p.data.set(state[name].data);
        },
        reloadFromCpu(): void {
          log.reloads++;
          copy.loadStateDict(model.stateDict());
        },
        dispose(): void {
          log.disposed++;
        },
      };
    },
  };
}
