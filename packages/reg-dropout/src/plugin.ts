import type { Plugin } from '@trainkit/core';
import type { Module } from '@trainkit/nn';
import { ValueError } from '@trainkit/tensor';
import { checkP, dropoutOp } from './dropoutOp';

/** Options of the {@link dropout} plugin. */
export interface DropoutPluginOptions {
  /** Names of the layers (paths from `model.namedModules()`, e.g. `'fc1'` or `'block.relu'`) whose outputs get dropout. */
  after: readonly string[];
  /** Drop probability, in [0, 1] (default 0.5; 1 zeroes every unit, as in torch). */
  p?: number;
  /** Channel-wise (Dropout2d) instead of element-wise. */
  channelwise?: boolean;
}

/**
 * Adds dropout after named layers of an existing model without editing it: forward hooks on
 * those layers drop units of their outputs in training mode (identity in eval mode). The hooks
 * are attached when fit/evaluate/predict starts and removed at teardown. Masks come from the
 * trainer's RNG stream `dropout/<layer>`.
 *
 * @example
 * new Trainer({ optimizer: adam(), plugins: [dropout({ after: ['relu1', 'relu2'], p: 0.5 })] });
 */
export function dropout(options: DropoutPluginOptions): Plugin {
  const p = options.p ?? 0.5;
  checkP('dropout plugin', p);
  if (!Array.isArray(options.after) || options.after.length === 0) throw new ValueError('dropout plugin: `after` must list at least one layer name');
  const bad = options.after.find((n, i) => typeof n !== 'string' || n === '' || options.after.indexOf(n) !== i);
  if (bad !== undefined) {
    throw new ValueError(`dropout plugin: \`after\` must list distinct layer names (non-empty strings; the model itself is not a layer here), got ${JSON.stringify(bad)} in ${JSON.stringify(options.after)}`);
  }
  if (options.channelwise !== undefined && typeof options.channelwise !== 'boolean') throw new ValueError(`dropout plugin: channelwise must be true or false, got ${JSON.stringify(options.channelwise)}`);
  let removers: Array<() => void> = [];
  return {
    name: 'dropout',
    stateKey: `dropout:${options.after.join(',')}`,
    setup(ctx) {
      const modules = new Map<string, Module>(ctx.model.namedModules());
      const missing = options.after.filter((n) => !modules.has(n));
      if (missing.length > 0) {
        const names = [...modules.keys()].filter((n) => n !== '');
        throw new ValueError(`dropout({ after: [${missing.map((n) => `'${n}'`).join(', ')}] }): no such layer; the model has ${names.join(', ')}`);
      }
      const streams = ctx.rng.stream('dropout');
      removers = options.after.map((name) => {
        const rng = streams.stream(name);
        return (modules.get(name) as Module).registerForwardHook((m, _x, y) => (m.training ? dropoutOp(y, p, rng, options.channelwise) : y));
      });
    },
    teardown() {
      for (const remove of removers) remove();
      removers = [];
    },
  };
}
