/**
 * A sweep coordinator process for the tests: `runSweep` with the bullmq executor; argv[2] is JSON
 * `{ dir, redis, queue, checkpoints, trials }`. Prints each finished trial, then `done`.
 */
import { runSweep } from '@trainkit/sweep/node';
import { bullmq } from '../index';
import { toySpace } from '../../__tests__/toyTrial';

const o = JSON.parse(process.argv[2]) as { dir: string; redis: string; queue: string; checkpoints: string; trials: number };
await runSweep({
  dir: o.dir,
  space: toySpace,
  trials: o.trials,
  metric: 'valLoss',
  trial: { module: new URL('./trial.ts', import.meta.url), exportName: 'trial' },
  executor: bullmq({ redis: o.redis, queue: o.queue, checkpoints: o.checkpoints }),
  onTrialEnd: (r) => console.log(`trial ${r.trialId} ${r.status}`),
});
console.log('done');
