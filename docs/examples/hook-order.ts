// Prints the order in which the trainer calls the hooks: one epoch of two batches, with validation.
import { type HookName, type Plugin, Trainer, sgd } from '@trainkit/core';
import { DataLoader, TensorDataset } from '@trainkit/data';
import { Linear } from '@trainkit/nn';

// #region recorder
const hooks: HookName[] = [
  'setup', 'onFitStart', 'onTrainEpochStart', 'onTrainBatchStart', 'onAfterForward', 'onLoss',
  'onBeforeBackward', 'onAfterBackward', 'onBeforeOptimizerStep', 'onAfterOptimizerStep', 'onTrainBatchEnd',
  'onValidationEpochStart', 'onValidationBatchStart', 'onValidationBatchEnd', 'onValidationEpochEnd',
  'onTrainEpochEnd', 'onFitEnd', 'teardown',
];
const calls: string[] = [];
const recorder: Plugin = { name: 'recorder' };
for (const hook of hooks) Object.assign(recorder, { [hook]: () => void calls.push(hook) });
// #endregion recorder

const data = new TensorDataset({ x: new Float32Array(8), y: new Int32Array(4), sampleShape: [2], numClasses: 2 });
const trainer = new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [recorder] });
await trainer.fit(new Linear(2, 2), { train: new DataLoader(data, { batchSize: 2 }), val: new DataLoader(data, { batchSize: 4 }), epochs: 1 });
console.log(calls.join('\n'));
