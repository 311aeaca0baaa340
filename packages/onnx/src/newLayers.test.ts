import {
  AdaptiveAvgPool2d, BatchNorm2d, Conv2d, ELU, Embedding, Flatten, GELU, GlobalAvgPool, GroupNorm, Hardtanh, LayerNorm, LeakyReLU, Linear, Module, MultiheadAttention, ReLU, ReLU6, Residual, Sequential, SiLU, Softmax,
} from '@trainkit/nn';
import { Rng, Tensor, add, mean, permute, reshape } from '@trainkit/tensor';
import { describe, expect, test } from 'vitest';
import { expectSameOutputs, inputs } from './__tests__/roundTrip';
import { exportOnnx } from './export';
import { decodeModel } from './proto';

const rng = new Rng(11);
const images = inputs(64, [4, 8, 8], 5);
const example = inputs(3, [4, 8, 8], 6);

/** A small vision-transformer block: patches as tokens, pre-norm attention and MLP with skip connections. */
class TinyVit extends Module {
  embed = new Conv2d(4, 8, 4, { stride: 4, rng }); // 2×2 patches of 8 features
  norm1 = new LayerNorm(8);
  attn: MultiheadAttention;
  norm2 = new LayerNorm([4, 8], { eps: 1e-6 });
  mlp = new Sequential(new Linear(8, 16, { rng }), new GELU(), new Linear(16, 8, { rng }));
  head = new Linear(8, 3, { rng });
  constructor(causal: boolean) {
    super();
    this.attn = new MultiheadAttention(8, 2, { causal, rng });
  }
  forward(x: Tensor): Tensor {
    const n = x.shape[0];
    let t = permute(reshape(this.embed.call(x), [n, 8, 4]), [0, 2, 1]); // [N, 4 tokens, 8]
    t = add(t, this.attn.call(this.norm1.call(t)));
    t = add(t, reshape(this.mlp.call(reshape(this.norm2.call(t), [n * 4, 8])), [n, 4, 8]));
    return this.head.call(reshape(t, [n * 4, 8]));
  }
}

describe('the layers for ResNets and small ViTs: ONNX Runtime computes what trainkit computes (64 inputs, batch sizes 1 and 37)', () => {
  test('LeakyReLU, ELU, SiLU, GELU (exact and tanh), Softmax as a layer', async () => {
    const model = new Sequential(
      new Conv2d(4, 4, 3, { padding: 1, rng }), new LeakyReLU(0.2), new Conv2d(4, 4, 1, { rng }), new ELU(0.7), new SiLU(),
      new GELU(), new GELU({ approximate: 'tanh' }), new Softmax(1),
    );
    await expectSameOutputs(model, exportOnnx(model, example, { opset: 20 }), images, [1, 37]);
  });

  test.each([10, 11, 17])('Hardtanh and ReLU6 as Clip (bounds as attributes before opset 11, as inputs from 11), opset %i', async (opset) => {
    const model = new Sequential(new Conv2d(4, 4, 3, { padding: 1, rng }), new Hardtanh(-0.25, 0.5), new Conv2d(4, 4, 1, { rng }), new ReLU6());
    const bytes = exportOnnx(model, example, { opset });
    expect(decodeModel(bytes).graph.node.map((n) => n.opType)).toEqual(['Conv', 'Clip', 'Conv', 'Clip']);
    await expectSameOutputs(model, bytes, images, [1, 37]);
  });

  test('grouped and depthwise convolutions, GroupNorm (with and without affine), adaptive and global average pooling', async () => {
    const model = new Sequential(
      new Conv2d(4, 8, 3, { padding: 1, groups: 2, rng }), new GroupNorm(2, 8), new ReLU(), new Conv2d(8, 8, 3, { padding: 1, groups: 8, rng }),
      new GroupNorm(4, 8, { affine: false }), new AdaptiveAvgPool2d(4), new Conv2d(8, 6, 1, { rng }), new GlobalAvgPool(),
    );
    const bytes = exportOnnx(model, example, { opset: 13 });
    await expectSameOutputs(model, bytes, images, [1, 37]);
  });

  test('Residual blocks with an identity and a strided 1×1 convolution shortcut, BatchNorm in evaluation form (a ResNet stage)', async () => {
    const block = (cin: number, cout: number, stride: number) =>
      new Residual(
        new Sequential(new Conv2d(cin, cout, 3, { stride, padding: 1, bias: false, rng }), new BatchNorm2d(cout), new ReLU(), new Conv2d(cout, cout, 3, { padding: 1, bias: false, rng }), new BatchNorm2d(cout)),
        stride === 1 && cin === cout ? null : new Sequential(new Conv2d(cin, cout, 1, { stride, bias: false, rng }), new BatchNorm2d(cout)),
      );
    const model = new Sequential({ b1: block(4, 4, 1), b2: block(4, 8, 2), pool: new GlobalAvgPool(), fc: new Linear(8, 3, { rng }) });
    model.train();
    model.call(inputs(16, [4, 8, 8], 9)); // running statistics away from 0 and 1
    await expectSameOutputs(model, exportOnnx(model, example, { opset: 11 }), images, [1, 37]);
  });

  for (const causal of [false, true]) {
    test(`a transformer block: patch embedding, LayerNorm over one and two axes, ${causal ? 'causal ' : ''}multi-head self-attention, GELU MLP, skip connections`, async () => {
      const model = new TinyVit(causal);
      await expectSameOutputs(model, exportOnnx(model, example, { opset: 20 }), images, [1, 37]);
    });
  }

  test('LayerNorm without affine parameters and a Flatten → Linear head', async () => {
    const model = new Sequential(new LayerNorm([8, 8], { affine: false }), new Flatten(), new Linear(256, 5, { rng }));
    await expectSameOutputs(model, exportOnnx(model, example, { opset: 17 }), images, [1, 37]);
  });

  test('Embedding as Gather: token ids (whole numbers in float32) → vectors, averaged, then a Linear head', async () => {
    class Bag extends Module {
      tok = new Embedding(12, 6, { paddingIdx: 0, rng });
      head = new Linear(6, 3, { rng });
      forward(ids: Tensor): Tensor {
        return this.head.call(mean(this.tok.call(ids), [1]));
      }
    }
    const ids = (n: number, seed: number) => new Tensor(Float32Array.from(new Rng(seed).fillUniform(new Float32Array(n * 5)), (u) => Math.floor(u * 12)), [n, 5]);
    const model = new Bag();
    const bytes = exportOnnx(model, ids(3, 1), { opset: 13 });
    const nodes = decodeModel(bytes).graph.node;
    expect(nodes.slice(0, 2).map((n) => [n.opType, n.input])).toEqual([['Cast', ['input']], ['Gather', ['tok.weight', nodes[0].output[0]]]]);
    await expectSameOutputs(model, bytes, ids(64, 2), [1, 37]);
    // with a forward hook the layer cannot be mapped: refused, not frozen into the example's rows
    model.tok.registerForwardHook(() => undefined);
    expect(() => exportOnnx(model, ids(3, 1), { opset: 13 })).toThrow(/layer "tok" \(Embedding\) looks up rows of an embedding without a plain Embedding layer.*remove the hook/);
  });

  test('an Embedding looked up with constant ids (learned positions) is folded into a constant, and the rest follows the input', async () => {
    class Positions extends Module {
      pos = new Embedding(8, 8, { rng });
      forward(x: Tensor): Tensor {
        return add(x, this.pos.call(new Tensor(Float32Array.from({ length: 8 }, (_, i) => i), [8])));
      }
    }
    const model = new Positions();
    await expectSameOutputs(model, exportOnnx(model, inputs(3, [8, 8], 4), { opset: 13 }), inputs(16, [8, 8], 5), [1, 5]);
  });
});
