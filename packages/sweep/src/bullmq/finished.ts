import type { Queue, QueueEvents } from 'bullmq';

/** A job that ended in BullMQ's failed state; `reason` is its `failedReason`. */
export class JobFailedError extends Error {
  override name = 'JobFailedError';
}

/** How often a waiter also asks Redis for the job's state (a safety net under the events). */
const POLL_MS = 1000;

/** How long a waiter tolerates a queue without workers, or a Redis without answers, before it gives up. */
export interface WaitLimits {
  /** Milliseconds the job may wait while no worker is connected to the queue. */
  noWorkerMs: number;
  /** Milliseconds without an answer from Redis. */
  redisMs: number;
  /** Names the job in the error, e.g. `trial 3 (job sweep-…)`. */
  what: string;
  /** Who takes the queue's jobs (`worker`, `coordinator`), and what to do when none is there. */
  takers: string;
  hint: string;
}

/** A waiter gave up: no worker took the job, or Redis stopped answering, for longer than its {@link WaitLimits}. */
export class WaitLimitError extends Error {
  override name = 'WaitLimitError';
}

/**
 * Resolves with the return value of job `id` once it completes (rejects with a
 * {@link JobFailedError} once it fails), whether that happened before the call or after. It
 * listens to `events` and also polls the job's state, so an event missed while Redis restarted
 * delays the answer by at most one poll instead of losing it.
 */
export function finished(queue: Queue, queueEvents: QueueEvents, id: string, signal?: AbortSignal, limits?: WaitLimits): Promise<unknown> {
  // QueueEvents also emits `completed:<job id>` and `failed:<job id>`, which its types do not list
  const events = queueEvents as unknown as NodeJS.EventEmitter;
  return new Promise((resolve, reject) => {
    let done = false;
    const end = (settle: () => void) => {
      if (done) return;
      done = true;
      clearInterval(timer);
      events.off(`completed:${id}`, onCompleted).off(`failed:${id}`, onFailed);
      signal?.removeEventListener('abort', onAbort);
      settle();
    };
    const onCompleted = ({ returnvalue }: { returnvalue: unknown }) => end(() => resolve(returnvalue));
    const onFailed = ({ failedReason }: { failedReason: string }) => end(() => reject(new JobFailedError(failedReason)));
    const onAbort = () => end(() => reject(new Error('aborted')));
    const giveUp = (why: string) => end(() => reject(new WaitLimitError(`${limits?.what}: ${why}`)));
    let answered = Date.now();
    let idleSince: number | null = null;
    let polling = false;
    const poll = async () => {
      const silent = Date.now() - answered;
      if (limits !== undefined && silent > limits.redisMs) return giveUp(`Redis has not answered for ${Math.round(silent / 1000)} s (limit ${limits.redisMs} ms)`);
      if (polling) return; // the previous poll still waits for Redis
      polling = true;
      try {
        const state = await queue.getJobState(id);
        answered = Date.now();
        if (state === 'completed' || state === 'failed') {
          const job = await queue.getJob(id);
          if (job === undefined) return;
          if (state === 'completed') onCompleted({ returnvalue: job.returnvalue });
          else onFailed({ failedReason: job.failedReason });
        } else if (limits !== undefined && (state === 'waiting' || state === 'prioritized') && (await queue.getWorkersCount()) === 0) {
          idleSince ??= Date.now();
          const idle = Date.now() - idleSince;
          if (idle > limits.noWorkerMs) giveUp(`no ${limits.takers} is connected to queue "${queue.name}", and the job has waited ${Math.round(idle / 1000)} s for one (limit ${limits.noWorkerMs} ms); ${limits.hint}`);
        } else {
          idleSince = null;
        }
      } catch {
        // Redis is away for a moment; the next poll or the event answers
      } finally {
        polling = false;
      }
    };
    events.on(`completed:${id}`, onCompleted).on(`failed:${id}`, onFailed);
    signal?.addEventListener('abort', onAbort);
    const timer = setInterval(() => void poll(), POLL_MS);
    void poll();
  });
}
