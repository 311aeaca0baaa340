import { sgd } from '@trainkit/core';
import { adam } from '@trainkit/optim-adam';
import { adagrad, rmsprop } from '@trainkit/optim-adaptive';
import { momentum } from '@trainkit/optim-momentum';
import type { Contender } from './run';

// SGD, momentum and Nesterov share one lr per function (the picture then shows what momentum
// adds); the adaptive methods move about lr per coordinate and step, so theirs are set by the
// distance to travel. trajectories.md's sensitivity tables show the whole lr grid.
// Each has its own colour (Okabe–Ito, colour-blind safe), dash pattern and marker, so paths that
// follow each other stay apart: wider lines are drawn first, so one that runs under another shows
// as a coloured border (AdaGrad under RMSProp), and the markers sit at different points.
const shared = { 'ill-conditioned': 0.025, saddle: 0.03, rosenbrock: 1e-3 };

export const CONTENDERS: readonly Contender[] = [
  { label: 'SGD', make: sgd, options: {}, lr: shared, color: '#000000', width: 1.5, marker: 'circle' },
  { label: 'Momentum 0.9', make: momentum, options: { momentum: 0.9 }, lr: shared, color: '#E69F00', width: 2.5, marker: 'square' },
  { label: 'Nesterov 0.9', make: momentum, options: { momentum: 0.9, nesterov: true }, lr: shared, color: '#D55E00', width: 1.5, dash: '6 3', marker: 'triangle' },
  { label: 'AdaGrad', make: adagrad, options: {}, lr: { 'ill-conditioned': 1, saddle: 0.3, rosenbrock: 0.3 }, color: '#009E73', width: 5, marker: 'diamond' },
  { label: 'RMSProp', make: rmsprop, options: {}, lr: { 'ill-conditioned': 0.1, saddle: 0.03, rosenbrock: 1e-3 }, color: '#0072B2', width: 1.5, dash: '2 2', marker: 'cross' },
  { label: 'Adam', make: adam, options: {}, lr: { 'ill-conditioned': 0.3, saddle: 0.1, rosenbrock: 0.1 }, color: '#CC79A7', width: 2, dash: '8 3 2 3', marker: 'plus' },
];
