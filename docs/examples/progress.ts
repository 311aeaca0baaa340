// Terminal progress, a metric history and a training-curves chart around one fit.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Trainer, sgd } from '@trainkit/core';
import { DataLoader } from '@trainkit/data';
import { loadMnist } from '@trainkit/data/node';
import { manualSeed, mnistMlp } from '@trainkit/nn';
import { historyWriter, metricHistory, terminalProgress } from '@trainkit/progress/node';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const outDir = process.env.OUT_DIR ?? mkdtempSync(join(tmpdir(), 'trainkit-progress-'));
const train = new DataLoader(await loadMnist({ split: 'train', limit: env('TRAIN_LIMIT', 10_000) }), { batchSize: 64, shuffle: true });
const val = new DataLoader(await loadMnist({ split: 'test', limit: env('TEST_LIMIT', 2_000) }), { batchSize: 500 });
const epochs = env('EPOCHS', 3);

// #region plugins
const history = metricHistory({ everySteps: 10 }); // in memory; works in browsers too
const trainer = new Trainer({
  optimizer: sgd({ lr: 0.1 }),
  plugins: [
    // bars on a terminal, one plain line per epoch in a CI log
    terminalProgress({ epochs, batchesPerEpoch: train.length }),
    history,
    // history.json, history.csv and curves.svg, rewritten after every epoch
    historyWriter({ json: join(outDir, 'history.json'), csv: join(outDir, 'history.csv'), svg: join(outDir, 'curves.svg'), title: 'MNIST MLP' }),
  ],
});
manualSeed(0);
await trainer.fit(mnistMlp({ hidden: 64 }), { train, val, epochs });
// #endregion plugins

// #region csv
console.log(history.toCSV().split('\n')[0]); // epoch,loss,accuracy,valLoss,valAccuracy,samplesPerSec,time
console.log(`${history.steps.length} step losses recorded; files in ${outDir}`);
// #endregion csv
