/**
 * The sweep that finds something: 24 random configurations of lr (log 1e-4..1e-1), optimizer
 * (sgd / momentum / adam), dropout p and augmentation for the reference CNN on 10,000 MNIST
 * images, ASHA (η = 3, rungs at 1 and 3 epochs, 6 epochs at most), on the local executor.
 *
 *   flock /tmp/h/heavy.lock nice -n 5 npm run sweep -w tools/sweep -- [--workers 2] [--dir …]
 *
 * The sweep directory resumes: run the same command again after an interruption and only the
 * unfinished trials run. When all 24 are done it writes the report (report.html in the sweep
 * directory) and tools/sweep/results/mnist-sweep.md.
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { asha, ashaRungs } from '@trainkit/sweep';
import { local, runSweep } from '@trainkit/sweep/node';
import { MAX_EPOCHS, space } from './mnistTrial';
import { SEED, TRIALS, objective, sweepOutputs } from './resultsTable';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    workers: { type: 'string', default: '2' },
    dir: { type: 'string', default: join(here, '..', 'results', 'mnist-sweep') },
    out: { type: 'string', default: join(here, '..', 'results', 'mnist-sweep.md') },
    // writes the report and the results file of the directory as it is, running nothing
    'report-only': { type: 'boolean', default: false },
  },
});
const ashaOptions = { maxEpochs: MAX_EPOCHS, reductionFactor: 3, minEpochs: 1 };
const dir = values.dir;
const log = (s: string) => process.stderr.write(`${s}\n`);

if (!values['report-only']) await sweepOnce();

async function sweepOnce(): Promise<void> {
  log(`MNIST sweep: ${TRIALS} trials, ${values.workers} worker threads, ASHA rungs ${ashaRungs(ashaOptions).join(', ')} of ${MAX_EPOCHS} epochs, load average ${loadavg()[0].toFixed(2)}`);
  const started = performance.now();
  await runSweep({
    dir,
    space,
    trial: { module: new URL('./mnistTrial.ts', import.meta.url), exportName: 'trial' },
    trials: TRIALS,
    seed: SEED,
    ...objective,
    scheduler: asha(ashaOptions),
    executor: local({ concurrency: Number(values.workers) }),
    onTrialEnd: (r) => log(`${r.trialId} ${r.status} after ${r.epochs.length} epoch(s): ${objective.metric} ${r.metrics?.[objective.metric]?.toFixed(4) ?? r.error?.message} (${(r.durationMs / 1000).toFixed(1)} s on ${r.worker})`),
  });
  log(`sweep done in ${((performance.now() - started) / 1000).toFixed(0)} s (this invocation)`);
}

const outputs = sweepOutputs(dir);
writeFileSync(join(dir, 'report.html'), outputs.report);
writeFileSync(values.out, outputs.results);
log(`wrote ${join(dir, 'report.html')} and ${values.out}`);
