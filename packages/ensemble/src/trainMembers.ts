import type { Module } from '@trainkit/nn';
import { Ensemble, type EnsembleOptions } from './ensemble';
import { EnsembleError, MemberError } from './errors';
import { type MemberDefinition, type MemberResult, buildMemberModel, checkDefinition, trainMember } from './member';
import type { MemberProgress } from './progress';

/** Options shared by {@link trainMembers} and the parallel `trainEnsemble` of `@trainkit/ensemble/node`. */
export interface MembersOptions<P = unknown> {
  /** Number of members (default: the number of `seeds`). Member i gets seed `i` unless `seeds` is given. */
  members?: number;
  /** One seed per member (integers in [0, 2^32)); default 0, 1, …, members − 1. */
  seeds?: readonly number[];
  /** JSON data handed to every member as `ctx.params` (or a function of the member index and seed). */
  params?: P | ((index: number, seed: number) => P);
  /** Called with each member's progress (start, throttled batches, every epoch, end). */
  onProgress?: (event: MemberProgress) => void;
  /** Called when a member finishes, before the next one starts (e.g. to save it). Awaited. */
  onMemberEnd?: (result: MemberResult) => void | Promise<void>;
}

/** The outcome of training: each member's result, the trained models and the ensemble of them. */
export interface TrainedEnsemble {
  /** Results in member order (weights, history, trainer state). */
  members: MemberResult[];
  /** The trained models, rebuilt with the definition's `model` and loaded with their weights. */
  models: Module[];
  /** An {@link Ensemble} of the models (default: average probabilities). */
  ensemble(options?: EnsembleOptions): Ensemble;
}

/** One unit of work: which member, its seed and its params. */
export interface MemberJob<P = unknown> {
  index: number;
  seed: number;
  params: P;
}

/** Validates `members`/`seeds` and returns one job per member. */
export function resolveJobs<P>(options: MembersOptions<P>, where: string): Array<MemberJob<P>> {
  const { members, seeds, params } = options;
  if (seeds !== undefined) {
    if (!Array.isArray(seeds)) throw new EnsembleError(`${where}: seeds must be an array of integers, got ${typeof seeds}`);
    const bad = seeds.findIndex((s) => !Number.isInteger(s) || s < 0 || s > 0xffffffff);
    if (bad >= 0) throw new EnsembleError(`${where}: seed ${bad} must be an integer in [0, 2^32), got ${seeds[bad]}`);
    if (members !== undefined && members !== seeds.length) throw new EnsembleError(`${where}: members is ${members} but ${seeds.length} seeds were given; pass one seed per member`);
  }
  const n = members ?? seeds?.length;
  if (n === undefined) throw new EnsembleError(`${where}: say how many members to train: { members: 5 } or { seeds: [0, 1, 2, 3, 4] }`);
  if (!Number.isInteger(n) || n < 1) throw new EnsembleError(`${where}: members must be an integer ≥ 1, got ${n}`);
  return Array.from({ length: n }, (_, index) => {
    const seed = seeds?.[index] ?? index;
    const p = typeof params === 'function' ? (params as (i: number, s: number) => P)(index, seed) : (params as P);
    return { index, seed, params: p };
  });
}

/**
 * Turns per-member outcomes into a {@link TrainedEnsemble}, or throws a {@link MemberError}
 * naming the first failed member (the others' results are on the error).
 */
export function finishTraining<P>(
  definition: MemberDefinition<P>,
  jobs: ReadonlyArray<MemberJob<P>>,
  results: ReadonlyArray<MemberResult | undefined>,
  failures: Array<{ member: number; seed: number; error: unknown }>,
): TrainedEnsemble {
  if (failures.length > 0) {
    failures.sort((a, b) => a.member - b.member);
    const first = failures[0];
    const err = new MemberError(first.member, first.seed, first.error);
    err.failures = failures;
    err.completed = results.filter((r): r is MemberResult => r !== undefined).map((r) => r.index);
    if (failures.length > 1) err.message += ` (and ${failures.length - 1} more failed member(s): ${failures.slice(1).map((f) => f.member).join(', ')})`;
    throw err;
  }
  const members = results as MemberResult[];
  const models = members.map((r) => {
    const job = jobs[r.index];
    const model = buildMemberModel(definition, job.index, job.seed, job.params);
    model.loadStateDict(r.state);
    return model;
  });
  return { members, models, ensemble: (options) => new Ensemble(models, options) };
}

/**
 * Trains the members of an ensemble one after another in the calling thread (browsers, or
 * wherever worker threads are not wanted). Member i is built by `definition.model` with the
 * init stream of its seed and trained by a Trainer seeded with it, so members differ in
 * initialization, shuffling, dropout and augmentation. The results are bit-identical to the
 * parallel `trainEnsemble` of `@trainkit/ensemble/node`.
 *
 * A member that fails does not stop the others; afterwards a {@link MemberError} names it.
 *
 * @param definition - how to build and train one member (see {@link defineMember})
 * @param options - `members` or `seeds`, `params`, `onProgress`, `onMemberEnd`
 * @see https://arxiv.org/abs/1612.01474 (Lakshminarayanan et al. 2017, Deep Ensembles)
 * @example
 * const trained = await trainMembers(cnnMember, { members: 5, onProgress: (e) => console.log(e.member, e.phase) });
 * const { accuracy } = await new Trainer().evaluate(trained.ensemble(), testLoader);
 */
export async function trainMembers<P>(definition: MemberDefinition<P>, options: MembersOptions<P>): Promise<TrainedEnsemble> {
  checkDefinition(definition, 'trainMembers');
  const jobs = resolveJobs(options, 'trainMembers');
  const results: Array<MemberResult | undefined> = [];
  const failures: Array<{ member: number; seed: number; error: unknown }> = [];
  for (const job of jobs) {
    try {
      const result = await trainMember(definition, job, options.onProgress);
      await options.onMemberEnd?.(result);
      results[job.index] = result;
    } catch (error) {
      failures.push({ member: job.index, seed: job.seed, error });
    }
  }
  return finishTraining(definition, jobs, results, failures);
}
