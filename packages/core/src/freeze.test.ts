import { BatchNorm1d, Linear, ReLU, Sequential } from '@trainkit/nn';
import { Rng } from '@trainkit/tensor';
import { expect, test } from 'vitest';
import { ConfigError, Trainer, freeze, sgd, unfreeze } from './index';
import { snapshot, toyLoader, toyModel } from './__tests__/fixtures';

test('frozen parameters get no gradient buffer and no update; the others train', async () => {
  const model = toyModel();
  expect(freeze(model, /^fc1\./)).toEqual(['fc1.weight', 'fc1.bias']);
  const before = snapshot(model);
  await new Trainer({ optimizer: sgd({ lr: 0.1 }) }).fit(model, { train: toyLoader(16, 8), epochs: 1 });
  const after = snapshot(model);
  expect(after['fc1.weight']).toEqual(before['fc1.weight']);
  expect(after['fc2.weight']).not.toEqual(before['fc2.weight']);
  const params = Object.fromEntries(model.namedParameters());
  expect(params['fc1.weight'].grad).toBeNull();
});

test('unfreeze makes parameters trainable again', async () => {
  const model = toyModel();
  freeze(model, ['fc2.bias']);
  unfreeze(model, ['fc2.bias']);
  const before = snapshot(model);
  await new Trainer({ optimizer: sgd({ lr: 0.1 }) }).fit(model, { train: toyLoader(16, 8), epochs: 1 });
  expect(snapshot(model)['fc2.bias']).not.toEqual(before['fc2.bias']);
});

test('a /g or /y regex selects every matching name, like a plain one (its lastIndex would skip every other name)', () => {
  expect(freeze(toyModel(), /^fc/g)).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
  expect(freeze(toyModel(), /fc\d\.weight/y)).toEqual(['fc1.weight', 'fc2.weight']); // sticky: anchored at the start, every time
});

test('freezing an unknown parameter name is a ConfigError that lists the real ones', () => {
  expect(() => freeze(toyModel(), ['fc3.weight'])).toThrow(ConfigError);
  expect(() => unfreeze(toyModel(), ['fc3.weight'])).toThrow(ConfigError);
  expect(() => freeze(toyModel(), ['fc3.weight'])).toThrow(/no parameter named fc3.weight \(parameters: fc1.weight, fc1.bias, fc2.weight, fc2.bias\)/);
});

test('a BatchNorm whose parameters are all frozen stays in eval mode through training: its running statistics do not move', async () => {
  const model = new Sequential({ fc1: new Linear(4, 8, { rng: new Rng(1) }), bn: new BatchNorm1d(8), relu: new ReLU(), fc2: new Linear(8, 3, { rng: new Rng(2) }) });
  freeze(model, /^(fc1|bn)\./);
  const stats = snapshot(model);
  const modes: boolean[] = [];
  const spy = { name: 'mode-spy', onTrainBatchStart: () => void modes.push((model.at('bn') as BatchNorm1d).training) };
  await new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [spy] }).fit(model, { train: toyLoader(16, 8), epochs: 2 });
  expect(modes).toEqual([false, false, false, false]);
  expect(model.at('fc2').training).toBe(true);
  const after = snapshot(model);
  for (const k of ['bn.running_mean', 'bn.running_var', 'bn.num_batches_tracked', 'bn.weight', 'fc1.weight']) expect(after[k], k).toEqual(stats[k]);
  expect(after['fc2.weight']).not.toEqual(stats['fc2.weight']);
});

test('unfreezing a BatchNorm lets it follow the model mode again and update its statistics', async () => {
  const model = new Sequential({ fc1: new Linear(4, 8, { rng: new Rng(1) }), bn: new BatchNorm1d(8), fc2: new Linear(8, 3, { rng: new Rng(2) }) });
  freeze(model, /^bn\./);
  expect(model.at('bn').evalOnly).toBe(true);
  unfreeze(model, /^bn\./);
  expect([model.at('bn').evalOnly, model.at('bn').training]).toEqual([false, true]);
  const before = snapshot(model)['bn.running_mean'];
  await new Trainer({ optimizer: sgd({ lr: 0.1 }) }).fit(model, { train: toyLoader(16, 8), epochs: 1 });
  expect(snapshot(model)['bn.running_mean']).not.toEqual(before);
});

test('a BatchNorm without affine parameters is frozen when the selector matches its buffers', () => {
  const model = new Sequential({ fc: new Linear(4, 8, { rng: new Rng(1) }), bn: new BatchNorm1d(8, { affine: false }) });
  freeze(model, /^fc\./);
  expect(model.at('bn').evalOnly).toBe(false);
  freeze(model, /^bn\./);
  expect(model.at('bn').evalOnly).toBe(true);
});
