import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readCheckpoint, writeCheckpoint } from '@trainkit/checkpoint/node';
import type { EpochRecord, ResumeState, TrainerState } from '@trainkit/core';
import type { Module } from '@trainkit/nn';
import { Ensemble, type EnsembleOptions } from '../ensemble';
import { EnsembleError } from '../errors';
import type { MemberResult } from '../member';
import type { StateDict } from '../stateDict';

/** Format tag in the metadata of a member checkpoint. */
export const MEMBER_FORMAT = 'trainkit/ensemble-member@1';

/** The file name of member `index`'s checkpoint in an ensemble folder. */
export function memberFileName(index: number): string {
  return `member-${index}.safetensors`;
}

/** What a member checkpoint says about the member besides its weights. */
export interface MemberInfo {
  index: number;
  seed: number;
  seconds: number;
  history: EpochRecord[];
}

/**
 * Saves a trained member as a safetensors checkpoint `dir/member-<index>.safetensors`: its
 * parameters and buffers under their state-dict names (it opens in PyTorch as a state dict),
 * its full training state (optimizer slots, RNG streams, epoch and batch position, plugin
 * states: what `loadMemberState` resumes from) and, as metadata, its index, seed, time and
 * history. Written with `@trainkit/checkpoint`'s
 * codec and atomic write (checksummed; a crash leaves the old file or the new one).
 *
 * @returns the path written
 * @example
 * await saveMember('runs/ensemble', trained.members[0]); // runs/ensemble/member-0.safetensors
 */
export async function saveMember(dir: string, result: MemberResult): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, memberFileName(result.index));
  const metadata = { format: MEMBER_FORMAT, index: String(result.index), seed: String(result.seed), seconds: String(result.seconds), history: JSON.stringify(result.history) };
  await writeCheckpoint(path, { model: result.state, trainer: result.trainer ?? null, metadata });
  return path;
}

/**
 * Reads a member checkpoint written by {@link saveMember}: its state dict and its info.
 *
 * @throws EnsembleError when the file is not a member checkpoint
 */
export async function loadMember(path: string): Promise<{ state: StateDict; info: MemberInfo; trainer: TrainerState | null }> {
  const { model: tensors, trainer, metadata } = await readCheckpoint(path);
  if (metadata.format !== MEMBER_FORMAT) throw new EnsembleError(`loadMember: ${path} is not a member checkpoint (format ${JSON.stringify(metadata.format)}, expected "${MEMBER_FORMAT}")`);
  const info: MemberInfo = { index: Number(metadata.index), seed: Number(metadata.seed), seconds: Number(metadata.seconds), history: JSON.parse(metadata.history ?? '[]') };
  return { state: tensors, info, trainer };
}

/**
 * Reads a member checkpoint as the state to resume its training from: weights, optimizer
 * slots, RNG, data position and plugin states. Pass it to `trainMember(definition, job,
 * undefined, { resume })` with more epochs in the setup, and the member ends bit-identical to
 * one trained that long without a stop.
 *
 * @throws EnsembleError when the file holds weights only (written before member checkpoints held the training state)
 */
export async function loadMemberState(path: string): Promise<ResumeState> {
  const { state, trainer } = await loadMember(path);
  if (trainer === null) throw new EnsembleError(`loadMemberState: ${path} holds the member's weights only, no training state to resume from (it was saved by an older @trainkit/ensemble); train the member again`);
  return { ...trainer, model: state, source: path };
}

/**
 * Loads every member checkpoint of `dir` (member-0, member-1, … in index order) into models
 * built by `factory` and returns them as an {@link Ensemble}.
 *
 * @param dir - the folder `trainEnsemble({ dir })` wrote
 * @param factory - builds an untrained model of the members' architecture
 * @param options - how to combine (default: average probabilities) and weights
 * @example
 * const ensemble = await loadEnsemble('runs/ensemble', () => mnistCnn());
 */
export async function loadEnsemble(dir: string, factory: (info: MemberInfo) => Module, options?: EnsembleOptions): Promise<Ensemble> {
  const files = (await readdir(dir)).filter((f) => /^member-\d+\.safetensors$/.test(f)).sort((a, b) => Number(a.match(/\d+/)?.[0]) - Number(b.match(/\d+/)?.[0]));
  if (files.length === 0) throw new EnsembleError(`loadEnsemble: no member-<i>.safetensors files in ${dir}`);
  const models: Module[] = [];
  for (const f of files) {
    const { state, info } = await loadMember(join(dir, f));
    const model = factory(info);
    model.loadStateDict(state);
    models.push(model);
  }
  return new Ensemble(models, options);
}
