// A residual block: a Module subclass with its own forward, named like torchvision's BasicBlock
// so its state dict loads into (and from) PyTorch; then the same skip connection with Residual.
import {
  BatchNorm2d, Conv2d, GlobalAvgPool, Linear, Module, ReLU, Residual, Sequential, manualSeed,
} from '@trainkit/nn';
import { Rng, type Tensor, add, crossEntropy, relu, tensor } from '@trainkit/tensor';

// #region block
/** conv → bn → relu → conv → bn, plus the input (or its 1×1 projection), then relu. */
class BasicBlock extends Module {
  conv1: Conv2d;
  bn1: BatchNorm2d;
  conv2: Conv2d;
  bn2: BatchNorm2d;
  downsample: Sequential | null = null; // torchvision's name for the projection shortcut

  constructor(inChannels: number, outChannels: number, stride = 1) {
    super();
    this.conv1 = new Conv2d(inChannels, outChannels, 3, { stride, padding: 1, bias: false });
    this.bn1 = new BatchNorm2d(outChannels);
    this.conv2 = new Conv2d(outChannels, outChannels, 3, { padding: 1, bias: false });
    this.bn2 = new BatchNorm2d(outChannels);
    if (stride !== 1 || inChannels !== outChannels) {
      this.downsample = new Sequential(new Conv2d(inChannels, outChannels, 1, { stride, bias: false }), new BatchNorm2d(outChannels));
    }
  }

  forward(x: Tensor): Tensor {
    const out = this.bn2.call(this.conv2.call(relu(this.bn1.call(this.conv1.call(x)))));
    const identity = this.downsample === null ? x : this.downsample.call(x);
    return relu(add(out, identity)); // the skip connection
  }
}
// #endregion block

// #region model
manualSeed(0);
const model = new Sequential({
  stem: new Sequential(new Conv2d(1, 8, 3, { padding: 1, bias: false }), new BatchNorm2d(8), new ReLU()),
  layer1: new BasicBlock(8, 8),
  layer2: new BasicBlock(8, 16, 2), // halves the image, doubles the channels: projection shortcut
  pool: new GlobalAvgPool(), // [N, 16, H, W] → [N, 16]
  fc: new Linear(16, 10),
});
const x = tensor(new Rng(1).fillNormal(new Float32Array(4 * 28 * 28)), [4, 1, 28, 28]);
const logits = model.call(x);
console.log(`logits [${logits.shape.join(', ')}], ${model.numParameters()} parameters`);
console.log(`layer2 keys: ${Object.keys(model.stateDict()).filter((k) => k.startsWith('layer2.') && !k.includes('running') && !k.includes('num_batches')).join(', ')}`);
const loss = crossEntropy(logits, Int32Array.of(0, 1, 2, 3));
loss.backward();
console.log(`loss ${loss.item().toFixed(4)}; stem gradient reached: ${model.parameters()[0].grad !== null}`);
// #endregion model

// #region helper
// Without a class: Residual(body, shortcut?) adds body(x) to x (or to shortcut(x)).
const block = new Sequential(
  new Residual(new Sequential(new Conv2d(8, 8, 3, { padding: 1 }), new BatchNorm2d(8), new ReLU(), new Conv2d(8, 8, 3, { padding: 1 }), new BatchNorm2d(8))),
  new ReLU(),
);
console.log(`Residual block output [${block.call(tensor(new Float32Array(2 * 8 * 5 * 5), [2, 8, 5, 5])).shape.join(', ')}]`);
try {
  new Residual(new Conv2d(8, 16, 3, { padding: 1 })).call(tensor(new Float32Array(2 * 8 * 5 * 5), [2, 8, 5, 5]));
} catch (e) {
  console.log((e as Error).message);
}
// #endregion helper
