import type { Queue, QueueEvents } from 'bullmq';

/** A job that ended in BullMQ's failed state; `reason` is its `failedReason`. */
export class JobFailedError extends Error {
  override name = 'JobFailedError';
}

/** How often a waiter also asks Redis for the job's state (a safety net under the events). */
const POLL_MS = 1000;

/**
 * Resolves with the return value of job `id` once it completes (rejects with a
 * {@link JobFailedError} once it fails), whether that happened before the call or after. It
 * listens to `events` and also polls the job's state, so an event missed while Redis restarted
 * delays the answer by at most one poll instead of losing it.
 */
export function finished(queue: Queue, queueEvents: QueueEvents, id: string, signal?: AbortSignal): Promise<unknown> {
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
    const poll = async () => {
      try {
        const state = await queue.getJobState(id);
        if (state !== 'completed' && state !== 'failed') return;
        const job = await queue.getJob(id);
        if (job === undefined) return;
        if (state === 'completed') onCompleted({ returnvalue: job.returnvalue });
        else onFailed({ failedReason: job.failedReason });
      } catch {
        // Redis is away for a moment; the next poll or the event answers
      }
    };
    events.on(`completed:${id}`, onCompleted).on(`failed:${id}`, onFailed);
    signal?.addEventListener('abort', onAbort);
    const timer = setInterval(() => void poll(), POLL_MS);
    void poll();
  });
}
