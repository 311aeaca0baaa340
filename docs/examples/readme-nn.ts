// @trainkit/nn at a glance (the package README shows the region below; the tests run it).
// #region readme
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential, manualSeed } from '@trainkit/nn';
import { zeros } from '@trainkit/tensor';

manualSeed(0); // the initializers (PyTorch's defaults) draw from this seed
const net = () =>
  new Sequential({ conv: new Conv2d(1, 8, 3, { padding: 1 }), relu: new ReLU(), pool: new MaxPool2d(2), flatten: new Flatten(), fc: new Linear(8 * 14 * 14, 10) });
const model = net();
console.log(`${model.numParameters()} parameters: ${[...model.namedParameters()].map(([name]) => name).join(', ')}`);
console.log(`output [${model.call(zeros([2, 1, 28, 28])).shape.join(', ')}]`); // a batch of two 28×28 images
const copy = net(); // other initial weights; a state dict carries the first model's over
const report = copy.loadStateDict(model.stateDict());
console.log(`loaded ${report.loaded.length} tensors, missing ${report.missing.length}, unexpected ${report.unexpected.length}`);
// #endregion readme
