import { SweepError } from '@trainkit/sweep';
import { type Parsed, num, parse, positiveInt, text } from './args';
import { EXIT_INTERRUPTED, UsageError } from './errors';
import type { Io } from './train';

export const WORKER_HELP = `Usage: trainkit worker --redis redis://host:6379 --queue NAME [options]

Runs the trials of hyperparameter sweeps whose coordinator uses the bullmq executor of
@trainkit/sweep/bullmq on the same Redis and queue. Start it on as many machines as you like;
each pulls trials until it is stopped (ctrl-C or SIGTERM finish the running trials first).
A trial checkpoints every epoch; when a worker dies, another resumes its trial.

Options:
  --redis URL           the Redis server (redis://host:port, rediss:// for TLS; required)
  --queue NAME          the queue of the coordinator's bullmq({ queue }) (required)
  --concurrency N       trials at once, each on its own thread (default 1)
  --trials FILE         load every trial from this module instead of the path the job names
                        (when the code sits elsewhere on this machine); TypeScript needs tsx
  --checkpoints DIR     the shared checkpoint directory as mounted here, when it differs from
                        the coordinator's bullmq({ checkpoints })
  --name NAME           how this worker appears in the trial records (default host:pid)

Needs the npm packages bullmq and ioredis (npm install bullmq ioredis).

Example:
  trainkit worker --redis redis://redis:6379 --queue sweeps --concurrency 2 --checkpoints /mnt/shared/checkpoints`;

const OPTIONS = {
  redis: { type: 'string' },
  queue: { type: 'string' },
  concurrency: { type: 'string' },
  trials: { type: 'string' },
  checkpoints: { type: 'string' },
  name: { type: 'string' },
} as const;

function required(p: Parsed, name: string): string {
  const v = text(p, name);
  if (v === undefined || v === '') throw new UsageError(`trainkit worker: --${name} is required (see trainkit worker --help)`);
  return v;
}

/** Resolves on the first SIGINT or SIGTERM with its name. */
function stopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (s: NodeJS.Signals) => {
      process.off('SIGINT', on).off('SIGTERM', on);
      resolve(s);
    };
    process.on('SIGINT', on).on('SIGTERM', on);
  });
}

/**
 * `trainkit worker --redis URL --queue NAME`: pulls sweep trials from a BullMQ queue and runs
 * them until SIGINT/SIGTERM, then lets the running trials finish and exits (130 after ctrl-C,
 * 0 after SIGTERM).
 */
export async function worker(args: readonly string[], io: Io): Promise<number> {
  const p = parse('worker', args, OPTIONS);
  if (p.values.help === true) return (io.out(WORKER_HELP), 0);
  if (p.positionals.length > 0) throw new UsageError(`trainkit worker: unexpected argument ${JSON.stringify(p.positionals[0])} (see trainkit worker --help)`);
  const options = {
    redis: required(p, 'redis'),
    queue: required(p, 'queue'),
    concurrency: num('worker', p, 'concurrency', 1, positiveInt),
    trials: text(p, 'trials'),
    checkpoints: text(p, 'checkpoints'),
    name: text(p, 'name'),
    log: io.err,
  };
  const bullmq = await import('@trainkit/sweep/bullmq').catch((e: Error) => {
    throw new UsageError(`trainkit worker: needs the npm packages bullmq and ioredis (npm install bullmq ioredis): ${e.message}`);
  });
  let running: Awaited<ReturnType<typeof bullmq.startWorker>>;
  try {
    running = await bullmq.startWorker(options);
  } catch (e) {
    if (e instanceof SweepError) throw new UsageError(`trainkit worker: ${e.message}`);
    throw e;
  }
  const stopped = stopSignal();
  io.out(`trainkit worker ${running.name}: taking trials from queue ${options.queue} at ${options.redis}; ctrl-C stops after the running trials`);
  const signal = await stopped;
  io.out(`trainkit worker ${running.name}: ${signal}, finishing the running trials`);
  await running.close();
  return signal === 'SIGINT' ? EXIT_INTERRUPTED : 0;
}
