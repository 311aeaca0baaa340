// Modules: compose layers, inspect named parameters, save and load a state dict.
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential, manualSeed, mnistMlp } from '@trainkit/nn';
import { zeros } from '@trainkit/tensor';

// #region compose
manualSeed(0); // the default initializers draw from this seed
const model = new Sequential({
  conv: new Conv2d(1, 4, 3, { padding: 1 }), // [N,1,28,28] → [N,4,28,28]
  relu: new ReLU(),
  pool: new MaxPool2d(2), // → [N,4,14,14]
  flatten: new Flatten(), // → [N,784]
  fc: new Linear(4 * 14 * 14, 10),
});
const logits = model.call(zeros([2, 1, 28, 28]));
console.log(`output shape [${logits.shape.join(', ')}], ${model.numParameters()} parameters`);
for (const [name, p] of model.namedParameters()) console.log(`  ${name.padEnd(10)} [${p.shape.join(', ')}]`);
// #endregion compose

// #region state
// A state dict maps names to tensors; loading it into a fresh model restores the weights.
const copy = mnistMlp({ hidden: 32 });
const original = mnistMlp({ hidden: 32 });
const report = copy.loadStateDict(original.stateDict());
console.log(`loaded ${report.loaded.length} tensors, missing: ${report.missing.length}, unexpected: ${report.unexpected.length}`);
// #endregion state
