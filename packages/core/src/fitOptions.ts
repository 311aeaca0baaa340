import type { Module } from '@trainkit/nn';
import type { Data } from './dataSource';
import { ConfigError, PluginError } from './errors';
import type { BaseContext, EpochRecord, Plugin } from './hooks';
import type { ResumeState } from './trainerState';

/** What `Trainer.fit` trains on, for how long, and where it resumes from. */
export interface FitOptions {
  train: Data;
  val?: Data;
  /** Total number of epochs (a resumed run continues up to this number). Optional when `maxSteps` is given. */
  epochs?: number;
  /**
   * Ends fit once this many optimizer steps have been taken in total — for an LR finder or a
   * smoke run. Steps skipped with `skipStep()` do not count, and a resumed run counts the steps
   * before the resume (like `epochs`). When the budget runs out at the last batch of an epoch,
   * that epoch ends normally (validation, `onTrainEpochEnd`, history); otherwise fit ends
   * mid-epoch as with `stop()`, and `stopReason` says `maxSteps reached (N optimizer steps)`.
   * With `epochs` too, whichever comes first ends the run.
   */
  maxSteps?: number;
  /**
   * Where to continue from: a {@link ResumeState} (what `Trainer.stateDict` returns, plus
   * optional weights), or a checkpoint name — `'latest'`, `'best'` or a file — that a checkpoint
   * plugin resolves (see `Plugin.resolveResume`). A refused resume changes nothing.
   */
  resume?: ResumeState | string;
}

/** What `Trainer.fit` resolves with. */
export interface FitResult {
  history: EpochRecord[];
  /** Why fit ended early: the reason given to `stop()`, or `maxSteps reached (N optimizer steps)`; null when all epochs ran. */
  stopReason: string | null;
}

const isPositiveInteger = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 1;

/** Validates the length of a fit: `epochs` and/or `maxSteps` (each Infinity when absent), and that there is data. */
export function checkFitOptions(options: FitOptions): { epochs: number; maxSteps: number } {
  if (options === null || typeof options !== 'object') throw new ConfigError(`fit: options must be { train, epochs } or { train, maxSteps }, got ${String(options)}`);
  const { epochs, maxSteps, train } = options;
  if (epochs !== undefined && !isPositiveInteger(epochs)) throw new ConfigError(`fit: epochs must be a positive integer, got ${epochs}`);
  if (maxSteps !== undefined && !isPositiveInteger(maxSteps)) throw new ConfigError(`fit: maxSteps must be a positive integer, got ${maxSteps}`);
  if (epochs === undefined && maxSteps === undefined) throw new ConfigError('fit: give epochs (fit(model, { train, epochs: 10 })) or maxSteps (fit(model, { train, maxSteps: 100 })), or both');
  if (train === null || train === undefined) throw new ConfigError('fit: options.train is required');
  return { epochs: epochs ?? Infinity, maxSteps: maxSteps ?? Infinity };
}

/** Asks the plugins that resolve checkpoint names, in order, for the state `spec` names (null: start fresh). */
export async function resolveResume(plugins: readonly Plugin[], spec: string, ctx: BaseContext): Promise<ResumeState | null> {
  const resolvers = plugins.filter((p) => typeof p.resolveResume === 'function');
  if (resolvers.length === 0) {
    throw new ConfigError(`fit({ resume: '${spec}' }): no plugin resolves checkpoint names; add one (checkpoint({ dir }) from @trainkit/checkpoint/node) or pass a TrainerState`);
  }
  for (const p of resolvers) {
    let state: ResumeState | null | undefined;
    try {
      state = await p.resolveResume?.(spec, ctx);
    } catch (e) {
      throw e instanceof PluginError ? e : new PluginError(p.name, 'resolveResume', e);
    }
    if (state !== undefined) return state;
  }
  throw new ConfigError(`fit({ resume: '${spec}' }): no plugin recognised it (asked ${resolvers.map((p) => `"${p.name}"`).join(', ')})`);
}

/**
 * Refuses a model moved to a device with `model.to(...)`: the Trainer reads values on the CPU
 * between steps, and trains on a device through its own `device` option, which moves the model itself.
 */
export function assertModelOnCpu(model: Module, where: string): void {
  const away = model.namedParameters().find(([, p]) => p._storage !== null);
  if (away === undefined) return;
  const device = away[1].device;
  throw new ConfigError(
    `${where}: the model's "${away[0]}" lives on ${device} (moved with model.to('${device}')); the Trainer takes a model on the cpu ` +
      `and trains on ${device} with new Trainer({ device: '${device}' }), moving it there itself. \`await model.to('cpu')\` first`,
  );
}
