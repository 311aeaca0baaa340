// trainkit's layers against PyTorch 1.13, forward and backward: each fixture case holds torch's
// inputs, parameters (under torch's state-dict names), output y and the gradients of
// L = Σ w·y for a recorded w. trainkit loads the same parameters by name, runs the same layer
// and must match within float32 rounding. The fixture comes from tools/compare/torch_layers.py
// (Debian's python3-torch).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AdaptiveAvgPool2d, Conv2d, ELU, Embedding, GELU, GroupNorm, LayerNorm, LeakyReLU, type Module, MultiheadAttention, SiLU, Softmax,
} from '@trainkit/nn';
import { Tensor, matmul } from '@trainkit/tensor';
import { describe, expect, test } from 'vitest';

interface Encoded {
  shape: number[];
  data: number[];
}
interface Case {
  name: string;
  options?: Record<string, unknown>;
  inputs: Record<string, Encoded>;
  w: Encoded;
  y: Encoded;
  grads: Record<string, Encoded>;
  state?: Record<string, Encoded>;
  mask?: Encoded | null;
}

const fixture: { torch: string; cases: Case[] } = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'torch-layers.json'), 'utf8'));

const decode = (e: Encoded, requiresGrad = false): Tensor => new Tensor(Float32Array.from(e.data), e.shape, { requiresGrad });

/** |actual − expected| ≤ atol + rtol·|expected| everywhere; the message names the worst element. */
function expectClose(what: string, actual: Tensor | Float32Array | null, expected: Encoded, rtol = 1e-4, atol = 1e-5): void {
  expect(actual, `${what}: missing`).not.toBeNull();
  const a = actual instanceof Tensor ? actual.data : (actual as Float32Array);
  if (actual instanceof Tensor) expect(actual.shape, `${what}: shape`).toEqual(expected.shape);
  expect(a.length, `${what}: size`).toBe(expected.data.length);
  let worst = -1;
  let excess = 0;
  expected.data.forEach((e, i) => {
    const over = Math.abs(a[i] - e) - (atol + rtol * Math.abs(e));
    if (over > excess) [worst, excess] = [i, over];
  });
  expect(worst, worst < 0 ? '' : `${what}[${worst}]: trainkit ${a[worst]}, torch ${expected.data[worst]}`).toBe(-1);
}

/** A module with torch's parameters loaded by their state-dict names (strict: every name must match). */
function loaded<M extends Module>(m: M, state: Record<string, Encoded>): M {
  m.loadStateDict(Object.fromEntries(Object.entries(state).map(([k, v]) => [k, decode(v)])));
  return m;
}

/** Runs `module` on the case's input x, backpropagates w, and compares y and every recorded gradient. */
function checkModule(c: Case, module: Module, params: Record<string, Encoded> = {}): void {
  const m = loaded(module, params);
  const x = decode(c.inputs.x, true);
  const y = m.call(x);
  y.backward(Float32Array.from(c.w.data));
  expectClose('y', y, c.y);
  expectClose('grad x', x.grad, c.grads.x);
  const state = m.stateDict();
  for (const k of Object.keys(params)) expectClose(`grad ${k}`, state[k].grad, c.grads[k]);
}

const opt = <T>(c: Case, k: string): T => c.options?.[k] as T;
const only = (name: string): Case[] => fixture.cases.filter((c) => c.name === name);
const params = (c: Case, ...names: string[]): Record<string, Encoded> => Object.fromEntries(names.map((n) => [n, c.inputs[n]]));

describe(`layers against torch ${fixture.torch}`, () => {
  test.each([
    ['LeakyReLU(0.1)', 'leakyRelu', (c: Case) => new LeakyReLU(opt(c, 'negativeSlope'))],
    ['ELU(1.3)', 'elu', (c: Case) => new ELU(opt(c, 'alpha'))],
    ['SiLU', 'silu', () => new SiLU()],
    ['Softmax(1)', 'softmax', (c: Case) => new Softmax(opt(c, 'dim'))],
  ] as const)('%s: output and input gradient equal torch\'s, including at x = 0', (_label, name, make) => {
    for (const c of only(name)) checkModule(c, make(c));
  });

  test.each(['none', 'tanh'] as const)('GELU({ approximate: %s }): output and input gradient equal torch\'s', (approximate) => {
    const c = only('gelu').find((k) => opt(k, 'approximate') === approximate) as Case;
    checkModule(c, new GELU({ approximate }));
  });

  test('LayerNorm([3, 4]) with torch\'s weight and bias: output and gradients of input, weight, bias', () => {
    const [c] = only('layerNorm');
    checkModule(c, new LayerNorm(opt(c, 'normalizedShape')), params(c, 'weight', 'bias'));
  });

  test('GroupNorm(3, 6): output and gradients of input, weight, bias', () => {
    const [c] = only('groupNorm');
    checkModule(c, new GroupNorm(opt(c, 'groups'), 6), params(c, 'weight', 'bias'));
  });

  test('Conv2d with groups 2 and a depthwise Conv2d (stride 2): output and gradients of input, weight, bias', () => {
    for (const c of only('conv2d')) {
      const [OC, CG, K] = c.inputs.weight.shape;
      const groups = opt<number>(c, 'groups');
      const conv = new Conv2d(CG * groups, OC, K, { groups, padding: opt(c, 'padding'), stride: opt(c, 'stride') ?? 1 });
      checkModule(c, conv, params(c, 'weight', 'bias'));
    }
  });

  test('AdaptiveAvgPool2d([3, 4]) on a 5×7 input (uneven, overlapping windows)', () => {
    const [c] = only('adaptiveAvgPool2d');
    checkModule(c, new AdaptiveAvgPool2d(opt(c, 'outputSize')));
  });

  test('Embedding(5, 3, { paddingIdx: 1 }): rows and the weight gradient (none for the padding row)', () => {
    const [c] = only('embedding');
    const m = loaded(new Embedding(5, 3, { paddingIdx: opt(c, 'paddingIdx') }), params(c, 'weight'));
    const y = m.call(decode(c.inputs.indices));
    y.backward(Float32Array.from(c.w.data));
    expectClose('y', y, c.y, 0, 0);
    expectClose('grad weight', m.weight.grad, c.grads.weight);
  });

  test('matmul [2, 1, 3, 4]·[3, 4, 2] broadcasts like torch.matmul, gradients summed over the broadcast', () => {
    const [c] = only('matmul');
    const a = decode(c.inputs.a, true);
    const b = decode(c.inputs.b, true);
    const y = matmul(a, b);
    y.backward(Float32Array.from(c.w.data));
    expectClose('y', y, c.y);
    expectClose('grad a', a.grad, c.grads.a);
    expectClose('grad b', b.grad, c.grads.b);
  });

  test.each(['self', 'causal', 'cross'])('MultiheadAttention (%s) with torch\'s state dict: output and gradients of query, key/value and both projections', (label) => {
    const c = only('MultiheadAttention').find((k) => opt(k, 'label') === label) as Case;
    const mha = loaded(new MultiheadAttention(opt(c, 'embedDim'), opt(c, 'numHeads')), c.state as Record<string, Encoded>);
    const query = decode(c.inputs.query, true);
    const key = decode(c.inputs.key, true);
    const y = mha.attend(query, key, key, { mask: c.mask ? decode(c.mask) : null, causal: opt(c, 'causal') });
    y.backward(Float32Array.from(c.w.data));
    expectClose('y', y, c.y);
    expectClose('grad query', query.grad, c.grads.query);
    expectClose('grad key', key.grad, c.grads.key);
    expectClose('grad in_proj_weight', mha.in_proj_weight.grad, c.grads.in_proj_weight);
    expectClose('grad out_proj.weight', mha.out_proj.weight.grad, c.grads['out_proj.weight']);
  });

  test('MultiheadAttention({ causal: true }).call(x) equals attend with torch\'s causal mask', () => {
    const c = only('MultiheadAttention').find((k) => opt(k, 'label') === 'causal') as Case;
    const mha = loaded(new MultiheadAttention(8, 2, { causal: true }), c.state as Record<string, Encoded>);
    expectClose('y', mha.call(decode(c.inputs.query)), c.y);
  });
});
