/// <reference types="node" />
// BatchNorm1d/BatchNorm2d against torch.nn.BatchNorm1d/2d (torch 1.13, float32), live: two
// training steps (output, gradients of input, weight and bias, running statistics after each)
// and one evaluation call, from the same inputs and parameters.
import { spawnSync } from 'node:child_process';
import { Rng, Tensor, backward, mul, sum } from '@trainkit/tensor';
import { beforeAll, describe, expect, test } from 'vitest';
import { PYTHON, torchMissing } from '../../../../scripts/python';
import { BatchNorm1d, BatchNorm2d } from './batchnorm';

const TORCH_SCRIPT = `
import json, sys, torch
def run(case):
  shape = case['shape']
  bn = (torch.nn.BatchNorm2d if len(shape) == 4 else torch.nn.BatchNorm1d)(shape[1], eps=case['eps'], momentum=case['momentum'])
  with torch.no_grad():
      bn.weight.copy_(torch.tensor(case['weight']))
      bn.bias.copy_(torch.tensor(case['bias']))
  steps = []
  for i, (xs, outs) in enumerate(zip(case['xs'], case['outs'])):
      if i == len(case['xs']) - 1:
          bn.eval()
      x = torch.tensor(xs, dtype=torch.float32).reshape(shape).requires_grad_(True)
      bn.zero_grad()
      y = bn(x)
      (y * torch.tensor(outs).reshape(shape)).sum().backward()
      flat = lambda t: t.detach().reshape(-1).tolist()
      steps.append({'y': flat(y), 'dx': flat(x.grad), 'dw': flat(bn.weight.grad), 'db': flat(bn.bias.grad),
                    'rm': flat(bn.running_mean), 'rv': flat(bn.running_var)})
  return steps
print(json.dumps([run(case) for case in json.load(sys.stdin)]))
`;

type Step = Record<'y' | 'dx' | 'dw' | 'db' | 'rm' | 'rv', number[]>;

/** Channel c holds offset_c + scale_c·(±1 + noise): a real spread in every channel. */
function batch(shape: number[], r: ReturnType<Rng['stream']>): number[] {
  const [N, C] = shape;
  const inner = shape.slice(2).reduce((a, b) => a * b, 1);
  const offsets = Array.from({ length: C }, () => r.uniform(-3, 3));
  const scales = Array.from({ length: C }, () => r.uniform(0.5, 3));
  return Array.from({ length: N * C * inner }, (_, i) => {
    const c = Math.floor(i / inner) % C;
    return Math.fround(offsets[c] + scales[c] * ((i % 2 === 0 ? 1 : -1) + r.uniform(-0.5, 0.5)));
  });
}

/** max |a − b| ≤ 1e-5 · max(max |b|, floor). */
function expectClose(what: string, a: ArrayLike<number>, b: number[], floor: number): void {
  let err = 0;
  let scale = floor;
  b.forEach((v, i) => {
    err = Math.max(err, Math.abs(a[i] - v));
    scale = Math.max(scale, Math.abs(v));
  });
  expect(err, `${what}: max error ${err} at scale ${scale}`).toBeLessThanOrEqual(1e-5 * scale);
}

const missing = torchMissing();
const SHAPES = [[4, 3, 5, 5], [1, 2, 3, 3], [3, 5, 7, 9], [6, 3], [3, 2, 7]];

/** Weight, bias, and for each of three calls an input batch and output weights dy. */
function makeCase(shape: number[]) {
  const r = new Rng(shape.length * 100 + shape[0]).stream('bn-torch');
  const C = shape[1];
  const size = shape.reduce((a, b) => a * b, 1);
  return {
    shape,
    eps: 1e-5,
    momentum: 0.1,
    weight: Array.from({ length: C }, () => Math.fround(r.uniform(-2, 2))),
    bias: Array.from({ length: C }, () => Math.fround(r.uniform(-2, 2))),
    xs: [batch(shape, r), batch(shape, r), batch(shape, r)],
    outs: [0, 1, 2].map(() => Array.from({ length: size }, () => Math.fround(r.uniform(-1, 1)))),
  };
}

describe.skipIf(missing !== null)(`BatchNorm agrees with torch.nn.BatchNorm1d/2d${missing ? ` — SKIPPED: ${missing}` : ''}`, () => {
  const cases = SHAPES.map(makeCase);
  let torchSteps: Step[][] = [];
  beforeAll(() => {
    const py = spawnSync(PYTHON, ['-c', TORCH_SCRIPT], { input: JSON.stringify(cases), encoding: 'utf8', timeout: 120_000 });
    if (py.status !== 0) throw new Error(`torch script failed (${py.status}): ${py.stderr}`);
    torchSteps = JSON.parse(py.stdout) as Step[][];
  });

  test.each(cases.map((c, k) => [c.shape.join('×'), k] as const))('%s: two training steps then evaluation — outputs, gradients, running statistics within 1e-5 relative', (_label, k) => {
    const kase = cases[k];
    const { shape } = kase;
    const C = shape[1];
    const size = shape.reduce((a, b) => a * b, 1);
    const bn = shape.length === 4 ? new BatchNorm2d(C) : new BatchNorm1d(C);
    bn.weight?.data.set(kase.weight);
    bn.bias?.data.set(kase.bias);
    torchSteps[k].forEach((want, i) => {
      if (i === 2) bn.eval();
      bn.zeroGrad();
      const x = new Tensor(Float32Array.from(kase.xs[i]), shape, { requiresGrad: true });
      const y = bn.call(x);
      backward(sum(mul(y, new Tensor(Float32Array.from(kase.outs[i]), shape))));
      const sumScale = size / C; // Σ|dy| per channel ≤ N·inner: dγ and dβ are sums whose terms may cancel
      expectClose(`step ${i} y`, y.data, want.y, 0);
      // dx cancels terms of size |γ|/σ·|dy|, and every channel has σ ≥ 0.25
      expectClose(`step ${i} dx`, x.grad as Float32Array, want.dx, 4 * Math.max(...kase.weight.map(Math.abs)));
      expectClose(`step ${i} dweight`, bn.weight?.grad as Float32Array, want.dw, sumScale);
      expectClose(`step ${i} dbias`, bn.bias?.grad as Float32Array, want.db, sumScale);
      expectClose(`step ${i} running_mean`, bn.runningMean.data, want.rm, 0);
      expectClose(`step ${i} running_var`, bn.runningVar.data, want.rv, 0);
    });
    expect(Array.from(bn.numBatchesTracked.data)).toEqual([2]);
  });
});
