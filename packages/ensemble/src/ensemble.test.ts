import { describe, expect, test } from 'vitest';
import { Trainer } from '@trainkit/core';
import { Linear, Sequential, manualSeed } from '@trainkit/nn';
import { Rng, Tensor, crossEntropy, softmax } from '@trainkit/tensor';
import { Ensemble, EnsembleError, combine, evaluateEnsemble, formatMetricsTable } from './index';

const model = (seed: number, out = 3) => {
  manualSeed(seed);
  return new Sequential({ fc: new Linear(4, out) });
};
const x = new Tensor(new Rng(9).fillNormal(new Float32Array(8 * 4)), [8, 4]);
const y = Int32Array.of(0, 1, 2, 0, 1, 2, 0, 1);
const data = [{ x, y }];

describe('Ensemble', () => {
  test('its output is the combination of its members’ outputs', () => {
    const members = [model(0), model(1), model(2)];
    const ensemble = new Ensemble(members);
    expect(Array.from(ensemble.call(x).data)).toEqual(Array.from(combine(members.map((m) => m.call(x))).data));
    expect(Array.from(new Ensemble(members, { method: 'logits' }).call(x).data)).toEqual(Array.from(combine(members.map((m) => m.call(x)), { method: 'logits' }).data));
  });

  test('Trainer.evaluate works on it like on a model: its loss is the NLL of the averaged probabilities', async () => {
    const members = [model(0), model(1)];
    const { loss, accuracy } = await new Trainer().evaluate(new Ensemble(members), data);
    const avg = softmax(members[0].call(x)).data.map((p, i) => (p + softmax(members[1].call(x)).data[i]) / 2);
    const nll = -Array.from(y).reduce((s, c, r) => s + Math.log(avg[r * 3 + c]), 0) / y.length;
    expect(loss).toBeCloseTo(nll, 5);
    expect(accuracy).toBeGreaterThanOrEqual(0);
    expect(crossEntropy(new Ensemble(members).call(x), y).item()).toBeCloseTo(nll, 5);
  });

  test('Trainer.predict returns its outputs batch by batch', async () => {
    const ensemble = new Ensemble([model(0), model(1)], { method: 'vote' });
    const out = await new Trainer().predict(ensemble, x, 3);
    expect(out.shape).toEqual([8, 3]);
    expect(Array.from(out.data)).toEqual(Array.from(ensemble.call(x).data));
  });

  test('probabilities() rows sum to 1', () => {
    const p = new Ensemble([model(0), model(1)]).probabilities(x);
    for (let r = 0; r < 8; r++) expect(p.data.subarray(r * 3, r * 3 + 3).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });

  test('its state dict holds every member under members.<i>, and weights are normalized', () => {
    const ensemble = new Ensemble([model(0), model(1)], { weights: [3, 1] });
    expect(Object.keys(ensemble.stateDict())).toEqual(['members.0.fc.weight', 'members.0.fc.bias', 'members.1.fc.weight', 'members.1.fc.bias']);
    expect(ensemble.weights).toEqual([0.75, 0.25]);
    expect(String(ensemble)).toMatch(/^Ensemble\(2 members, method=probs\n {2}\(members\.0\): Sequential/);
  });

  test('it starts in eval mode and refuses to run in training mode', () => {
    const members = [model(0)];
    members[0].train();
    const ensemble = new Ensemble(members);
    expect(members[0].training).toBe(false);
    ensemble.train();
    expect(() => ensemble.call(x)).toThrow(/an ensemble is for inference; call ensemble.eval\(\)/);
  });

  test('errors: no members, a non-module, members that predict different classes', () => {
    expect(() => new Ensemble([])).toThrow(/needs at least 1 member, got 0/);
    expect(() => new Ensemble([model(0), {} as never])).toThrow(/member 1 is not a Module/);
    expect(() => new Ensemble([model(0), model(1, 5)]).call(x)).toThrow(EnsembleError);
    expect(() => new Ensemble([model(0), model(1, 5)]).call(x)).toThrow(/member 1 output has shape \[8, 5\] but member 0's has \[8, 3\]/);
  });
});

describe('evaluateEnsemble', () => {
  test('one row per member and one for the ensemble, agreeing with Trainer.evaluate', async () => {
    const ensemble = new Ensemble([model(0), model(1), model(2)]);
    const report = await evaluateEnsemble(ensemble, [data[0], data[0]]);
    expect(report.samples).toBe(16);
    expect(report.rows.map((r) => r.name)).toEqual(['member 0', 'member 1', 'member 2', 'ensemble (probs)']);
    expect(report.ensemble.accuracy).toBeCloseTo((await new Trainer().evaluate(ensemble, data)).accuracy, 12);
    expect(report.ensemble.nll).toBeCloseTo((await new Trainer().evaluate(ensemble, data)).loss, 5);
    expect(report.ensemble.disagreement).toBe(report.disagreement);
    for (const m of report.members) expect(m.disagreement).toBeGreaterThanOrEqual(0);
  });

  test('formatMetricsTable prints a header and a row per model', async () => {
    const report = await evaluateEnsemble(new Ensemble([model(0), model(1)]), data, { names: ['a', 'b'], name: 'both' });
    const lines = formatMetricsTable(report.rows).split('\n');
    expect(lines[0]).toMatch(/^model\s+accuracy\s+NLL\s+Brier\s+ECE\s+disagree$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(['a', 'b', 'both']);
    expect(lines[3]).toMatch(/\d+\.\d\d%\s+\d\.\d{4}\s+\d\.\d{4}\s+\d\.\d{4}\s+\d+\.\d\d%$/);
  });
});
