import { expect, test } from 'vitest';
import { Trainer, freeze, sgd, unfreeze } from './index';
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

test('freezing an unknown parameter name lists the real ones', () => {
  expect(() => freeze(toyModel(), ['fc3.weight'])).toThrow(/no parameter named fc3.weight \(parameters: fc1.weight, fc1.bias, fc2.weight, fc2.bias\)/);
});
