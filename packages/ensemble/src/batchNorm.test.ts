import { describe, expect, test } from 'vitest';
import { BatchNorm1d, Linear, Sequential, manualSeed } from '@trainkit/nn';
import { Dropout } from '@trainkit/reg-dropout';
import { Rng, Tensor } from '@trainkit/tensor';
import { recomputeBatchNorm } from './index';

const batches = (n: number, seed = 3) => Array.from({ length: n }, (_, i) => new Tensor(new Rng(seed + i).fillNormal(new Float32Array(16 * 4), 1, 2), [16, 4]));

describe('recomputeBatchNorm', () => {
  test('the running mean and variance become the plain average over the batches of the batch mean and (unbiased) variance', () => {
    manualSeed(0);
    const net = new Sequential({ fc: new Linear(4, 3), bn: new BatchNorm1d(3, { momentum: 0.1 }) });
    const xs = batches(3);
    expect(recomputeBatchNorm(net, xs)).toBe(3);
    const bn = net.at('bn') as BatchNorm1d;
    const fc = net.at('fc') as Linear;
    // by hand: per batch, the mean and unbiased variance of fc's outputs, averaged over batches
    const expMean = [0, 0, 0];
    const expVar = [0, 0, 0];
    for (const x of xs) {
      const h = fc.call(x);
      for (let c = 0; c < 3; c++) {
        const col = Array.from({ length: 16 }, (_, r) => h.data[r * 3 + c]);
        const m = col.reduce((a, b) => a + b, 0) / 16;
        expMean[c] += m / 3;
        expVar[c] += col.reduce((a, b) => a + (b - m) ** 2, 0) / 15 / 3;
      }
    }
    Array.from(bn.runningMean.data).forEach((v, c) => expect(v).toBeCloseTo(expMean[c], 5));
    Array.from(bn.runningVar.data).forEach((v, c) => expect(v).toBeCloseTo(expVar[c], 4));
    expect(bn.momentum).toBe(0.1); // restored
  });

  test('the order of the batches does not matter, modes are restored and dropout draws nothing', () => {
    manualSeed(0);
    const rng = new Rng(5);
    const net = new Sequential({ fc: new Linear(4, 3), drop: new Dropout(0.5, { rng }), bn: new BatchNorm1d(3) });
    net.eval();
    const before = rng.getState();
    const xs = batches(4);
    recomputeBatchNorm(net, xs);
    const a = Array.from((net.at('bn') as BatchNorm1d).runningVar.data);
    recomputeBatchNorm(net, [...xs].reverse().map((x) => ({ x })));
    Array.from((net.at('bn') as BatchNorm1d).runningVar.data).forEach((v, i) => expect(v).toBeCloseTo(a[i], 5));
    expect(net.namedModules().every(([, m]) => !m.training)).toBe(true);
    expect(rng.getState()).toEqual(before);
  });

  test('no BatchNorm layer or no data: nothing changes', () => {
    manualSeed(0);
    const bn = new BatchNorm1d(4);
    bn.runningMean.data.fill(2);
    expect(recomputeBatchNorm(new Sequential({ bn }), [])).toBe(0);
    expect(Array.from(bn.runningMean.data)).toEqual([2, 2, 2, 2]);
    expect(recomputeBatchNorm(new Sequential({ fc: new Linear(4, 2) }), batches(2))).toBe(0);
  });
});
