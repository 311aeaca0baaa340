import { Trainer, sgd, type Batch } from '@trainkit/core';
import { Linear, ReLU, Sequential } from '@trainkit/nn';
import { Rng, Tensor } from '@trainkit/tensor';
import { describe, expect, test } from 'vitest';
import { type UnfreezeStage, stagedUnfreeze } from './index';

const net = () => {
  const rng = new Rng(0).stream('init');
  return new Sequential({ body: new Linear(4, 8, { rng }), relu: new ReLU(), fc: new Linear(8, 3, { rng }) });
};
const data = (): Batch[] => {
  const rng = new Rng(1);
  return [{ x: new Tensor(rng.fillNormal(new Float32Array(8 * 4)), [8, 4]), y: Int32Array.from({ length: 8 }, (_, i) => i % 3) }];
};

describe('stagedUnfreeze: stages that select nothing', () => {
  test.each<[string, UnfreezeStage['params'], string]>([
    ['a pattern with a typo', /^bdy\./, 'stages[1].params (/^bdy\\./) selects no parameter of the Sequential'],
    ['a predicate', (n) => n.startsWith('backbone.'), 'stages[1].params (a predicate) selects no parameter of the Sequential'],
    ['a list with an unknown name', ['body.weight', 'body.wieght'], 'stages[1].params names no parameter "body.wieght"'],
  ])('%s is refused when fit starts, naming the stage and the parameters that exist', async (_what, params, message) => {
    const model = net();
    const before = Array.from(model.stateDict()['fc.weight'].data);
    const run = new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [stagedUnfreeze([{ epoch: 1, params: /^fc\./ }, { epoch: 2, params }])] }).fit(model, { train: data(), epochs: 3 });
    await expect(run).rejects.toThrow(`stagedUnfreeze: ${message} (parameters: body.weight, body.bias, fc.weight, fc.bias)`);
    expect(Array.from(model.stateDict()['fc.weight'].data)).toEqual(before); // refused before the first step
  });

  test('params that are not a selector (a plain string) are refused when the plugin is made', () => {
    expect(() => stagedUnfreeze([{ epoch: 1, params: 'body' as never }])).toThrow('stagedUnfreeze: stages[0].params must select parameters (a RegExp, a list of names or a predicate), got the string "body"');
  });
});

describe('stagedUnfreeze: stages the fit never reaches', () => {
  test('a stage at or after the last epoch gets a one-line notice (its parameters stay frozen); stages within the fit get none', async () => {
    const lines: string[] = [];
    const model = net();
    const before = Array.from(model.stateDict()['body.weight'].data);
    await new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [stagedUnfreeze([{ epoch: 0, params: /^fc\./ }, { epoch: 3, params: /^body\./ }], { notice: (l) => lines.push(l) })] }).fit(model, { train: data(), epochs: 3 });
    expect(lines).toEqual(['stagedUnfreeze: stages[1] starts at epoch 3, but this fit ends after epoch 2: its parameters stay frozen throughout']);
    expect(Array.from(model.stateDict()['body.weight'].data)).toEqual(before);
  });
});

describe('stagedUnfreeze: an epoch with every parameter frozen', () => {
  test('fit stops with an error naming the epoch and the fix, not a bare backward error', async () => {
    const run = new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [stagedUnfreeze([{ epoch: 1, params: /^fc\./ }, { epoch: 2, params: /^body\./ }])] }).fit(net(), { train: data(), epochs: 3 });
    await expect(run).rejects.toThrow('fit: in epoch 0 the loss depends on no trainable parameter (every parameter is frozen, by freeze() or a plugin such as stagedUnfreeze); unfreeze some before this epoch');
  });
});
