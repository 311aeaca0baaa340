import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Module } from '@trainkit/nn';
import { readCheckpoint } from '@trainkit/checkpoint/node';
import { UsageError } from './errors';
import { buildModel } from './models';
import { type RunFile, readRunFile } from './runFile';

/** A trained run: its run.json and the model with the weights of `best` (or `latest`). */
export interface LoadedRun {
  run: RunFile;
  model: Module;
  /** The checkpoint file the weights came from. */
  file: string;
}

/** Rebuilds the model of the run in `dir` and loads the weights of `which` (`best` falls back to `latest` when a run has no best yet). */
export async function loadRun(command: string, dir: string, which: 'best' | 'latest'): Promise<LoadedRun> {
  const run = (await readRunFile(command, dir)) as RunFile;
  let file = join(dir, `${which}.safetensors`);
  if (!existsSync(file) && which === 'best') file = join(dir, 'latest.safetensors');
  if (!existsSync(file)) throw new UsageError(`trainkit ${command}: ${dir} has no ${which}.safetensors yet; train it first (trainkit train … --out ${dir})`);
  const model = buildModel(run.model, run.training.seed);
  const { model: weights } = await readCheckpoint(file);
  model.loadStateDict(weights);
  return { run, model, file };
}
