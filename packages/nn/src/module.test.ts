import { fc, test } from '@fast-check/vitest';
import { Rng, ShapeError, Tensor, shapeSize, tensor, type Shape } from '@trainkit/tensor';
import { describe, expect } from 'vitest';
import { BatchNorm2d } from './layers/batchnorm';
import { Conv2d } from './layers/conv2d';
import { Linear } from './layers/linear';
import { Sequential } from './layers/sequential';
import { Flatten, ReLU } from './layers/simple';
import { mnistCnn } from './models';
import { Module } from './module';
import { Parameter } from './parameter';

function randn(shape: Shape, seed = 1): Tensor {
  return new Tensor(new Rng(seed).stream('data').fillNormal(new Float32Array(shapeSize(shape))), shape);
}

/** conv → bn → relu → flatten → fc, on [N, 1, 4, 4]: parameters, buffers and nesting in one model. */
class Net extends Module {
  conv1: Conv2d;
  bn: BatchNorm2d;
  head: Sequential;
  fc: Linear;

  constructor(rng: Rng) {
    super();
    this.conv1 = new Conv2d(1, 2, 3, { padding: 1, rng });
    this.bn = new BatchNorm2d(2);
    this.head = new Sequential(new ReLU(), new Flatten());
    this.fc = new Linear(32, 3, { rng });
  }

  forward(x: Tensor): Tensor {
    return this.fc.call(this.head.call(this.bn.call(this.conv1.call(x))));
  }
}

/** A module with its own parameter next to a child: PyTorch lists own parameters first. */
class Scaled extends Module {
  inner = new Linear(2, 2, { rng: new Rng(0) });
  scale = new Parameter(new Float32Array([2]));

  forward(x: Tensor): Tensor {
    return this.inner.call(x);
  }
}

const data = (t: Tensor): number[] => Array.from(t.data);

describe('Module naming', () => {
  test('parameter names are the field paths in declaration order', () => {
    const names = new Net(new Rng(0)).namedParameters().map(([n]) => n);
    expect(names).toEqual(['conv1.weight', 'conv1.bias', 'bn.weight', 'bn.bias', 'fc.weight', 'fc.bias']);
  });

  test("a module's own parameters come before its children's (PyTorch order)", () => {
    expect(new Scaled().namedParameters().map(([n]) => n)).toEqual(['scale', 'inner.weight', 'inner.bias']);
  });

  test('parameters() returns the same tensors as namedParameters(), in order', () => {
    const net = new Net(new Rng(0));
    expect(net.parameters()).toEqual(net.namedParameters().map(([, p]) => p));
    expect(net.parameters()[0]).toBe(net.conv1.weight);
  });

  test('a layer without bias has no bias parameter', () => {
    expect(new Linear(3, 2, { bias: false }).namedParameters().map(([n]) => n)).toEqual(['weight']);
    expect(new Conv2d(1, 2, 3, { bias: false }).namedParameters().map(([n]) => n)).toEqual(['weight']);
  });

  test('Sequential children are named "0", "1", … and their parameters "0.weight", …', () => {
    const seq = new Sequential(new Linear(4, 3), new ReLU(), new Linear(3, 2));
    expect(seq.namedChildren().map(([n]) => n)).toEqual(['0', '1', '2']);
    expect(seq.namedParameters().map(([n]) => n)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
  });

  test('Sequential built from a record names children by its keys, in key order', () => {
    const seq = new Sequential({ features: new Linear(4, 3), act: new ReLU(), classifier: new Linear(3, 2) });
    expect(seq.namedParameters().map(([n]) => n)).toEqual(['features.weight', 'features.bias', 'classifier.weight', 'classifier.bias']);
  });

  test('namedModules lists every module depth-first with dotted paths, "" for the root', () => {
    const net = new Net(new Rng(0));
    const modules = net.namedModules();
    expect(modules.map(([n]) => n)).toEqual(['', 'conv1', 'bn', 'head', 'head.0', 'head.1', 'fc']);
    expect(modules[0][1]).toBe(net);
    expect(modules[4][1]).toBeInstanceOf(ReLU);
  });

  test('numParameters of mnistCnn equals the PyTorch count for that architecture (11,274)', () => {
    // conv1 8·1·5·5 + 8 = 208; conv2 16·8·5·5 + 16 = 3216; fc 784·10 + 10 = 7850
    expect(mnistCnn({ rng: new Rng(0) }).numParameters()).toBe(208 + 3216 + 7850);
    expect(mnistCnn({ rng: new Rng(0) }).numParameters()).toBe(11_274);
  });

  test('numParameters is the sum of parameter sizes and ignores buffers', () => {
    // conv1 2·1·3·3 + 2 = 20; bn 2 + 2 = 4; fc 32·3 + 3 = 99
    expect(new Net(new Rng(0)).numParameters()).toBe(123);
  });
});

describe('Module modes', () => {
  test('a new module is in training mode, and so are its descendants', () => {
    expect(new Net(new Rng(0)).namedModules().every(([, m]) => m.training)).toBe(true);
  });

  test('eval() and train() propagate to every descendant and return the module', () => {
    const net = new Net(new Rng(0));
    expect(net.eval()).toBe(net);
    expect(net.namedModules().map(([, m]) => m.training)).toEqual(new Array(7).fill(false));
    expect(net.train()).toBe(net);
    expect(net.namedModules().every(([, m]) => m.training)).toBe(true);
    net.train(false);
    expect(net.head.at(0).training).toBe(false);
  });

  test('train() on a child leaves the parent and siblings alone', () => {
    const net = new Net(new Rng(0)).eval();
    net.bn.train();
    expect(net.bn.training).toBe(true);
    expect(net.training).toBe(false);
    expect(net.fc.training).toBe(false);
  });
});

describe('Module forward hooks', () => {
  test('hooks run after forward, in registration order, with the module, input and output', () => {
    const layer = new Linear(2, 2, { rng: new Rng(0) });
    const calls: string[] = [];
    const x = tensor([[1, 2]]);
    layer.registerForwardHook((m, input, output) => {
      expect(m).toBe(layer);
      expect(input).toBe(x);
      expect(output.shape).toEqual([1, 2]);
      calls.push('first');
    });
    layer.registerForwardHook(() => {
      calls.push('second');
    });
    layer.call(x);
    expect(calls).toEqual(['first', 'second']);
  });

  test("a hook's return value replaces the output, and later hooks see the replacement", () => {
    const layer = new Linear(2, 2, { rng: new Rng(0) });
    const replacement = tensor([[7, 7]]);
    let seenByLater: Tensor | undefined;
    layer.registerForwardHook(() => replacement);
    layer.registerForwardHook((_m, _x, y) => {
      seenByLater = y;
    });
    expect(layer.call(tensor([[1, 2]]))).toBe(replacement);
    expect(seenByLater).toBe(replacement);
  });

  test('forward() bypasses hooks; call() runs them', () => {
    const layer = new Linear(2, 2, { rng: new Rng(0) });
    let n = 0;
    layer.registerForwardHook(() => {
      n++;
    });
    layer.forward(tensor([[1, 2]]));
    expect(n).toBe(0);
    layer.call(tensor([[1, 2]]));
    expect(n).toBe(1);
  });

  test('the remover unregisters only its hook and is idempotent', () => {
    const layer = new ReLU();
    const calls: string[] = [];
    const removeA = layer.registerForwardHook(() => {
      calls.push('a');
    });
    layer.registerForwardHook(() => {
      calls.push('b');
    });
    removeA();
    removeA();
    layer.call(tensor([1]));
    expect(calls).toEqual(['b']);
  });

  test('hooks on children of a Sequential run when the Sequential is called', () => {
    const seq = new Sequential(new ReLU(), new Flatten());
    const seen: string[] = [];
    seq.at(0).registerForwardHook(() => {
      seen.push('relu');
    });
    seq.at(1).registerForwardHook(() => {
      seen.push('flatten');
    });
    seq.call(tensor([[[1, -1]]]));
    expect(seen).toEqual(['relu', 'flatten']);
  });
});

describe('Module toString', () => {
  test('toString names every layer with its hyperparameters, nested like PyTorch', () => {
    const s = mnistCnn({ rng: new Rng(0) }).toString();
    expect(s.startsWith('Sequential(\n')).toBe(true);
    expect(s).toContain('(conv1): Conv2d(1, 8, kernel=5x5, stride=1, padding=2)');
    expect(s).toContain('(conv2): Conv2d(8, 16, kernel=5x5');
    expect(s).toContain('(relu1): ReLU()');
    expect(s).toContain('(pool1): MaxPool2d(kernel=2)');
    expect(s).toContain('(fc): Linear(784, 10, bias=true)');
    expect(s.endsWith('\n)')).toBe(true);
  });

  test('nested containers indent their children one more level', () => {
    const s = new Net(new Rng(0)).toString();
    expect(s).toContain('\n  (head): Sequential(\n    (0): ReLU()\n    (1): Flatten()\n  )');
    expect(s).toContain('(bn): BatchNorm2d(2, eps=0.00001, momentum=0.1)');
  });
});

describe('stateDict / loadStateDict', () => {
  test('stateDict keys are in PyTorch\'s order: module by module, each one\'s parameters then its buffers, under PyTorch names', () => {
    expect(Object.keys(new Net(new Rng(0)).stateDict())).toEqual([
      'conv1.weight',
      'conv1.bias',
      'bn.weight',
      'bn.bias',
      'bn.running_mean',
      'bn.running_var',
      'bn.num_batches_tracked',
      'fc.weight',
      'fc.bias',
    ]);
  });

  test('stateDict tensors share storage with the module', () => {
    const net = new Net(new Rng(0));
    expect(net.stateDict()['fc.weight'].data).toBe(net.fc.weight.data);
    expect(net.stateDict()['bn.running_mean'].data).toBe(net.bn.runningMean.data);
  });

  test.prop([fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff })], { numRuns: 15 })(
    'loading a trained model into a freshly initialized one gives identical outputs (train and eval mode)',
    (seedA, seedB) => {
      const a = new Net(new Rng(seedA));
      a.call(randn([4, 1, 4, 4], 2)); // moves bn's running statistics away from their initial values
      a.call(randn([4, 1, 4, 4], 3));
      const b = new Net(new Rng(seedB));
      b.loadStateDict(a.stateDict());
      const x = randn([3, 1, 4, 4], 4);
      expect(data(b.call(x))).toEqual(data(a.call(x)));
      expect(data(b.eval().call(x))).toEqual(data(a.eval().call(x)));
      expect(data(b.bn.numBatchesTracked)).toEqual(data(a.bn.numBatchesTracked));
    },
  );

  test('loadStateDict copies values: later changes to the source do not reach the target', () => {
    const a = new Linear(2, 2, { rng: new Rng(1) });
    const b = new Linear(2, 2, { rng: new Rng(2) });
    b.loadStateDict(a.stateDict());
    const loaded = b.weight.data[0];
    a.weight.data[0] += 1;
    expect(b.weight.data[0]).toBe(loaded);
    expect(b.weight.data).not.toBe(a.weight.data);
  });

  test('strict loading throws one ShapeError listing missing, unexpected and mis-shaped keys', () => {
    const net = new Net(new Rng(0));
    const state = { ...new Net(new Rng(1)).stateDict() };
    delete state['bn.running_var'];
    delete state['fc.bias'];
    state['fc.extra'] = tensor([1]);
    state['conv1.bias'] = tensor([1, 2, 3]);
    let error: unknown;
    try {
      net.loadStateDict(state);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ShapeError);
    const message = (error as Error).message;
    expect(message).toContain('loadStateDict');
    expect(message).toContain('missing keys: bn.running_var, fc.bias');
    expect(message).toContain('unexpected keys: fc.extra');
    expect(message).toContain('conv1.bias: expected shape [2], got [3]');
    expect(message).toContain('strict: false');
  });

  test('a failed strict load changes nothing', () => {
    const net = new Net(new Rng(0));
    const before = Object.fromEntries(Object.entries(net.stateDict()).map(([k, t]) => [k, data(t)]));
    const state = { ...new Net(new Rng(1)).stateDict(), unknown: tensor([0]) };
    expect(() => net.loadStateDict(state)).toThrow(/unexpected keys: unknown/);
    const after = Object.fromEntries(Object.entries(net.stateDict()).map(([k, t]) => [k, data(t)]));
    expect(after).toEqual(before);
  });

  test('a key named like an Object.prototype member is still reported as unexpected', () => {
    const net = new Linear(2, 2, { rng: new Rng(0) });
    const state: Record<string, Tensor> = { ...net.stateDict(), constructor: tensor([1]), toString: tensor([1]) };
    expect(() => net.loadStateDict(state)).toThrow('unexpected keys: constructor, toString');
  });

  test('strict: false loads every matching key and reports the rest', () => {
    const net = new Net(new Rng(0));
    const source = new Net(new Rng(1));
    const state = { ...source.stateDict() };
    delete state['fc.bias'];
    state['fc.extra'] = tensor([1]);
    const oldConvBias = data(net.conv1.bias as Parameter);
    state['conv1.bias'] = tensor([1, 2, 3]);
    const report = net.loadStateDict(state, { strict: false });
    expect(report.missing).toEqual(['fc.bias']);
    expect(report.unexpected).toEqual(['fc.extra']);
    expect(report.mismatched).toEqual([{ key: 'conv1.bias', expected: [2], got: [3] }]);
    expect(report.loaded).toEqual(['conv1.weight', 'bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var', 'bn.num_batches_tracked', 'fc.weight']);
    expect(data(net.fc.weight)).toEqual(data(source.fc.weight));
    expect(data(net.conv1.weight)).toEqual(data(source.conv1.weight));
    expect(data(net.conv1.bias as Parameter)).toEqual(oldConvBias);
  });

  test('a successful load reports every key as loaded and nothing else', () => {
    const net = new Net(new Rng(0));
    const report = net.loadStateDict(new Net(new Rng(1)).stateDict());
    expect(report).toEqual({ loaded: Object.keys(net.stateDict()), missing: [], unexpected: [], mismatched: [] });
  });
});

describe('weight tying', () => {
  test('a parameter shared by two modules is listed once by parameters() but under both names in stateDict()', () => {
    const a = new Linear(3, 3);
    const b = new Linear(3, 3);
    b.weight = a.weight;
    const model = new Sequential({ a, b });
    expect(model.namedParameters().map(([n]) => n)).toEqual(['a.weight', 'a.bias', 'b.bias']);
    expect(model.numParameters()).toBe(9 + 3 + 3);
    expect(Object.keys(model.stateDict())).toEqual(['a.weight', 'a.bias', 'b.weight', 'b.bias']);
  });
});
