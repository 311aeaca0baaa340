import { Linear } from '@trainkit/nn';
import { type DeviceBackend, Tensor, registerDevice } from '@trainkit/tensor';
import { describe, expect, test } from 'vitest';
import { Trainer } from './trainer';
import { sgd } from './sgd';

// A device that only holds values: enough to move a model there (no ops).
const holder: DeviceBackend = {
  name: 'holder',
  upload: (values) => ({ values: values.slice() }),
  download: async (s) => (s as { values: Float32Array }).values.slice(),
  fill: () => ({}),
  zero: () => undefined,
  accumulate: (into, g) => into ?? g,
  release: () => undefined,
  ops: {},
};
registerDevice(holder);

describe('a model moved with model.to(device) is refused by the Trainer, which moves models itself', () => {
  test('fit, evaluate and predict name the parameter, the device, and what to do; the model stays where it was', async () => {
    const model = await new Linear(2, 2).to('holder');
    const data = [{ x: new Tensor(new Float32Array(4), [2, 2]), y: Int32Array.of(0, 1) }];
    const trainer = new Trainer({ optimizer: sgd({ lr: 0.1 }) });
    const why = /the model's "weight" lives on holder \(moved with model\.to\('holder'\)\).*new Trainer\(\{ device: 'holder' \}\).*await model\.to\('cpu'\)/;
    await expect(trainer.fit(model, { train: data, epochs: 1 })).rejects.toThrow(why);
    await expect(trainer.evaluate(model, data)).rejects.toThrow(/^evaluate: /);
    await expect(trainer.predict(model, data[0].x)).rejects.toThrow(/^predict: /);
    expect(model.weight.device).toBe('holder');
    await model.to('cpu');
    await expect(trainer.fit(model, { train: data, epochs: 1 })).resolves.toBeDefined();
  });
});
