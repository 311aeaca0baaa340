// Trains the toy model with terminalProgress on process.stdout; the terminal test runs this
// under a pseudo-terminal (`script`) and through a pipe.
import { Trainer, sgd } from '@trainkit/core';
import { terminalProgress } from '../node';
import { toyLoader, toyModel } from './toy';

const train = toyLoader(320, 8);
const trainer = new Trainer({
  optimizer: sgd({ lr: 0.1 }),
  plugins: [terminalProgress({ epochs: 2, batchesPerEpoch: train.length, redrawMs: 0 })],
});
await trainer.fit(toyModel(), { train, val: toyLoader(64, 32, 2), epochs: 2 });
console.log('done');
