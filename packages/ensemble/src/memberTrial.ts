/**
 * A member as a sweep trial, for `trainEnsemble({ executor })`: the executor's worker (a
 * thread of `local()`, or a `trainkit worker` on another machine) loads this module, trains
 * member `ctx.index` with seed `ctx.seed`, and writes it to the shared directory as a full
 * training-state checkpoint, which the caller reads back. While it trains, its latest state
 * is checkpointed, so a run restarted after a crash resumes where it stopped.
 * @internal
 */
import { join } from 'node:path';
import { checkpoint } from '@trainkit/checkpoint/node';
import type { Plugin } from '@trainkit/core';
import type { TrialFunction } from '@trainkit/sweep';
import { type MemberDefinition, checkDefinition, trainMember } from './member';
import { memberFileName, saveMember } from './node/memberCheckpoint';

/** The configuration of a member trial (JSON: it travels through the executor). */
export interface MemberTrialConfig {
  /** URL of the module exporting the member definition. */
  module: string;
  exportName: string;
  /** The member's `ctx.params`. */
  params: unknown;
  /** The shared directory: `member-<i>.safetensors` when done, `member-<i>.run/` while training. */
  dir: string;
  /** Also checkpoint every N optimizer steps within epochs (0: at epoch ends only). */
  everyNSteps: number;
}

/** The folder of member `index`'s checkpoints while it trains. */
export const memberRunDir = (dir: string, index: number) => join(dir, memberFileName(index).replace(/\.safetensors$/, '.run'));

const definitions = new Map<string, Promise<MemberDefinition>>();

function load(module: string, exportName: string): Promise<MemberDefinition> {
  const key = `${module}#${exportName}`;
  let def = definitions.get(key);
  if (def === undefined) {
    def = import(/* @vite-ignore */ module).then((mod: Record<string, unknown>) => {
      checkDefinition(mod[exportName], `trainEnsemble: export "${exportName}" of ${module}`);
      return mod[exportName] as MemberDefinition;
    });
    definitions.set(key, def);
  }
  return def;
}

/**
 * Trains one member from a {@link MemberTrialConfig}. When the executor checkpoints trials
 * itself (`ctx.resume` is set and its checkpoint plugin is in `ctx.plugins`) that checkpoint
 * is used; otherwise the member checkpoints into `member-<i>.run/` and resumes from it.
 * Returns the member's last-epoch metrics and its training time in `seconds`.
 */
export const memberTrial: TrialFunction<MemberTrialConfig> = async (config, ctx) => {
  const definition = await load(config.module, config.exportName);
  const executorResume = (ctx as { resume?: 'latest' }).resume;
  const plugins: Plugin[] = [...ctx.plugins];
  if (executorResume === undefined) plugins.push(checkpoint({ dir: memberRunDir(config.dir, ctx.index), everyNSteps: config.everyNSteps, stateKey: 'member-checkpoint', name: 'member-checkpoint' }));
  const result = await trainMember(definition, { index: ctx.index, seed: ctx.seed, params: config.params }, undefined, { plugins, resume: executorResume ?? 'latest' });
  await saveMember(config.dir, result);
  return { ...(result.history.at(-1)?.metrics ?? {}), seconds: result.seconds };
};
