// Weights in the safetensors format, and transfer learning: a pretrained body under a new head.
import { Trainer } from '@trainkit/core';
import { Linear, ReLU, Sequential, manualSeed } from '@trainkit/nn';
import { adam } from '@trainkit/optim-adam';
import { parseSafetensors, serializeSafetensors } from '@trainkit/safetensors';
import { Rng, Tensor } from '@trainkit/tensor';
import { loadPretrained, stagedUnfreeze } from '@trainkit/transfer';

manualSeed(0);
const net = (classes: number) => new Sequential({ body: new Linear(4, 16), relu: new ReLU(), fc: new Linear(16, classes) });
const pretrained = net(10); // stands in for a network trained on another task

// #region safetensors
// A state dict as a safetensors file (the format PyTorch and Hugging Face use), and back.
const tensors = Object.fromEntries(Object.entries(pretrained.stateDict()).map(([name, t]) => [name, { shape: t.shape, data: t.data }]));
const bytes = serializeSafetensors(tensors, { metadata: { note: 'pretrained on task A' }, checksum: true });
const file = parseSafetensors(bytes); // throws a SafetensorsError on anything malformed
const view = file.tensors.get('body.weight'); // dtype, shape and a view of the bytes; toFloat32(view) reads them
console.log(`${bytes.length} bytes, ${file.tensors.size} tensors, body.weight ${view?.dtype} [${view?.shape.join(', ')}], note "${file.metadata.note}"`);
// #endregion safetensors

// #region transfer
// Same body, a new head for 3 classes: load everything but the head, train the head alone
// for the first epoch, then the body too.
const model = net(3);
const report = loadPretrained(model, bytes, { exclude: /^fc\./ });
console.log(`loaded ${report.loaded.join(', ')}; excluded ${report.excluded.join(', ')}`);
const x = new Tensor(new Rng(1).fillNormal(new Float32Array(64 * 4)), [64, 4]);
const y = Int32Array.from({ length: 64 }, (_, i) => (x.data[4 * i] > 0.5 ? 2 : x.data[4 * i] > -0.5 ? 1 : 0));
const before = model.stateDict()['body.weight'].data.slice();
const trainer = new Trainer({ optimizer: adam({ lr: 1e-2 }), plugins: [stagedUnfreeze([{ epoch: 1, params: /^body\./ }])] });
trainer.on('trainEpochEnd', ({ epoch }) => {
  const moved = model.stateDict()['body.weight'].data.some((v, i) => v !== before[i]);
  console.log(`after epoch ${epoch + 1}: body trained: ${moved}`);
});
await trainer.fit(model, { train: [{ x, y }], epochs: 2 });
// #endregion transfer
