import { ValueError, formatShape } from './shape';
import type { Tensor } from './tensor';

/** The error for reading the CPU values of a tensor whose newer values live on `device`. */
export function deviceError(t: Tensor, device: string): ValueError {
  if (t.op === 'device step output' || t.op === 'device step loss') {
    return new ValueError(
      `a training batch's ${t.op === 'device step loss' ? 'loss' : 'outputs'} stay on ${device}, where each step runs as one fused submission; ` +
        'ctx.metrics holds the running loss and accuracy (read every `metricsEvery` steps). A plugin that reads each batch\'s values should declare ' +
        '`readsBatchValues: true`, which keeps the fit on the CPU',
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
