// @trainkit/progress at a glance (the package README shows the region below; the tests run it).
// #region readme
import { Trainer, sgd } from '@trainkit/core';
import { Linear, manualSeed } from '@trainkit/nn';
import { metricHistory, trainingCurvesSvg } from '@trainkit/progress';
import { terminalProgress } from '@trainkit/progress/node';
import { Rng, Tensor } from '@trainkit/tensor';

const x = new Tensor(new Rng(0).fillNormal(new Float32Array(64 * 4)), [64, 4]);
const y = Int32Array.from({ length: 64 }, (_, i) => Number(x.data[4 * i] > 0));
const history = metricHistory(); // in memory, in Node and in browsers
// bars redrawn in place on a terminal; with tty: false (or in a CI log) one plain line per epoch
const progress = terminalProgress({ epochs: 3, batchesPerEpoch: 1, tty: false });
manualSeed(0);
await new Trainer({ optimizer: sgd({ lr: 0.5 }), plugins: [progress, history] }).fit(new Linear(4, 2), { train: [{ x, y }], epochs: 3 });
console.log(history.toCSV().split('\n')[0]); // the CSV's header
const svg = trainingCurvesSvg(history.records, { title: 'a linear model' }); // an SVG string, no DOM needed
console.log(`curves.svg: ${svg.length} characters`);
// #endregion readme
