import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@trainkit/checkpoint/node';
import type { DataSpec } from './dataKind';
import { UsageError, pathProblem } from './errors';
import type { ModelSpec } from './models';
import type { OptimizerName } from './recipe';

/** How the model was trained (the options of `trainkit train`, resolved). */
export interface TrainingSpec {
  epochs: number;
  batchSize: number;
  optimizer: OptimizerName;
  lr: number;
  augment: string[];
  seed: number;
  valFraction: number;
  limit: number | null;
  /** The metric that picks `best.safetensors`. */
  monitor: string;
}

/** run.json: everything needed to rebuild the model and its preprocessing, and to resume the run. */
export interface RunFile {
  format: 'trainkit-run';
  version: 1;
  data: DataSpec;
  model: ModelSpec;
  training: TrainingSpec;
}

export const RUN_FILE = 'run.json';

/** Writes `<dir>/run.json` atomically. */
export async function writeRunFile(dir: string, run: RunFile): Promise<void> {
  await writeFileAtomic(join(dir, RUN_FILE), new TextEncoder().encode(`${JSON.stringify(run, null, 2)}\n`));
}

/**
 * Reads `<dir>/run.json`; undefined when `missingOk` and the file is absent. `flag` is the option
 * that named `dir` (`--out` for train), for the errors: a `dir` that is a file, or a run file
 * that cannot be read, is a {@link UsageError}.
 */
export async function readRunFile(command: string, dir: string, missingOk = false, flag = ''): Promise<RunFile | undefined> {
  const path = join(dir, RUN_FILE);
  const named = flag === '' ? dir : `${flag} ${dir}`;
  const fix = missingOk ? `pick a folder for the run${flag === '' ? '' : ` with ${flag}`}` : 'give the --out folder of a `trainkit train` run';
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && missingOk) return undefined;
    if (code === 'ENOENT') throw new UsageError(`trainkit ${command}: ${dir} is not a trainkit run (no ${RUN_FILE}); ${fix}`);
    if (code === 'ENOTDIR') throw new UsageError(`trainkit ${command}: ${named} is not a folder (it, or a folder above it, is a file); ${fix}`);
    const problem = pathProblem(e, path, 'read');
    if (problem !== undefined) throw new UsageError(`trainkit ${command}: cannot read ${path}: ${problem}; ${fix}`);
    throw e;
  }
  let run: RunFile;
  try {
    run = JSON.parse(text) as RunFile;
  } catch (e) {
    throw new UsageError(`trainkit ${command}: ${path} is not valid JSON: ${(e as Error).message}`);
  }
  if (run?.format !== 'trainkit-run' || run.version !== 1 || typeof run.data !== 'object' || typeof run.model !== 'object' || typeof run.training !== 'object') {
    throw new UsageError(`trainkit ${command}: ${path} is not a trainkit run file (format "trainkit-run", version 1)`);
  }
  return run;
}
