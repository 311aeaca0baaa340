// The model zoo against its PyTorch definitions (tools/compare/torch_models.py, torch 1.13):
// PyTorch's seeded state dicts load into @trainkit/models by name and give PyTorch's logits,
// and trainkit's state dicts, written as safetensors, load into PyTorch and give trainkit's.
// Fixtures: `/usr/bin/python3 tools/compare/torch_models.py`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mobilenetV2, resnet, vitTiny } from '@trainkit/models';
import { BatchNorm2d, LayerNorm, type Module } from '@trainkit/nn';
import { type TensorInput, parseSafetensors, serializeSafetensors, toFloat32 } from '@trainkit/safetensors';
import { Rng, Tensor, noGrad } from '@trainkit/tensor';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, '..', 'fixtures');
const script = join(here, '..', 'torch_models.py');
const PYTHON = '/usr/bin/python3';
const CASES = ['resnet8', 'mobilenetV2', 'vitTiny'] as const;

/* eslint-disable @typescript-eslint/no-explicit-any -- the builders' options come from the fixture's JSON metadata */
const BUILDERS: Record<string, (options: any) => Module> = { resnet, mobilenetV2, vitTiny };
/* eslint-enable @typescript-eslint/no-explicit-any */

/** Every tensor of a safetensors file as a float32 trainkit tensor, and its metadata. */
function readTensors(path: string): { tensors: Record<string, Tensor>; metadata: Readonly<Record<string, string>> } {
  const file = parseSafetensors(readFileSync(path));
  const tensors = Object.fromEntries([...file.tensors].map(([name, v]) => [name, new Tensor(toFloat32(v), [...v.shape])]));
  return { tensors, metadata: file.metadata };
}

const io = readTensors(join(fixtures, 'models-io.safetensors')).tensors;

/** The case's model as the fixture's metadata describes it, with the given state dict loaded (strict). */
function modelFor(metadata: Readonly<Record<string, string>>, state?: Record<string, Tensor>): Module {
  const model = BUILDERS[metadata.builder](JSON.parse(metadata.options));
  if (state !== undefined) model.loadStateDict(state);
  return model;
}

/** |actual − expected| ≤ atol + rtol·|expected| everywhere; the message names the worst logit. */
function expectClose(what: string, actual: Tensor, expected: { shape: readonly number[]; data: ArrayLike<number> }, rtol = 1e-4, atol = 1e-5): void {
  expect(actual.shape, `${what}: shape`).toEqual([...expected.shape]);
  let worst = -1;
  let excess = 0;
  for (let i = 0; i < expected.data.length; i++) {
    const over = Math.abs(actual.data[i] - expected.data[i]) - (atol + rtol * Math.abs(expected.data[i]));
    if (over > excess) [worst, excess] = [i, over];
  }
  expect(worst, worst < 0 ? '' : `${what}[${worst}]: trainkit ${actual.data[worst]}, torch ${expected.data[worst]}`).toBe(-1);
}

describe.each(CASES)('%s: PyTorch\'s state dict', (name) => {
  const { tensors, metadata } = readTensors(join(fixtures, `models-${name}.safetensors`));

  test('loads by name with no key missing, unexpected or mis-shaped (strict)', () => {
    const report = modelFor(metadata).loadStateDict(tensors);
    expect(report.loaded.sort()).toEqual(Object.keys(tensors).sort());
  });

  test('gives PyTorch\'s logits in evaluation mode (running statistics), within rtol 1e-4', () => {
    const model = modelFor(metadata, tensors).eval();
    expectClose('eval logits', noGrad(() => model.call(io[`${name}.input`])), io[`${name}.eval_logits`]);
  });

  test('gives PyTorch\'s logits in training mode (batch statistics), within rtol 1e-4', () => {
    const model = modelFor(metadata, tensors).train();
    expectClose('train logits', noGrad(() => model.call(io[`${name}.input`])), io[`${name}.train_logits`]);
  });
});

/** Non-trivial norm statistics and affines (as the Python side does), so evaluation mode matters. */
function perturbNorms(model: Module, rng: Rng): void {
  for (const [, m] of model.namedModules()) {
    if (m instanceof BatchNorm2d || m instanceof LayerNorm) {
      rng.fillUniform((m.weight as Tensor).data, 0.5, 1.5);
      rng.fillNormal((m.bias as Tensor).data, 0, 0.2);
    }
    if (m instanceof BatchNorm2d) {
      rng.fillNormal(m.runningMean.data, 0, 0.2);
      rng.fillUniform(m.runningVar.data, 0.5, 1.5);
    }
  }
  const cls = model.stateDict().cls_token;
  if (cls !== undefined) rng.fillNormal(cls.data, 0, 0.5);
}

const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
if (!hasTorch) console.warn(`torchModels.test: ${PYTHON} with torch not found; skipping the trainkit → PyTorch direction`);

describe.skipIf(!hasTorch)('trainkit\'s state dicts in PyTorch', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trainkit-models-'));
  const models = new Map<string, Module>();
  let torchLogits: Record<string, { shape: number[]; data: number[] }> = {};

  beforeAll(() => {
    const files = CASES.map((name, i) => {
      const { metadata } = readTensors(join(fixtures, `models-${name}.safetensors`));
      const model = BUILDERS[metadata.builder]({ ...JSON.parse(metadata.options), rng: new Rng(100 + i) });
      perturbNorms(model, new Rng(200 + i));
      models.set(name, model);
      const state = Object.entries(model.stateDict()).map(([k, t]): [string, TensorInput] =>
        k.endsWith('num_batches_tracked') ? [k, { dtype: 'I64', shape: t.shape, data: [...t.data] }] : [k, { shape: t.shape, data: t.data }]);
      const path = join(dir, `${name}.safetensors`);
      writeFileSync(path, serializeSafetensors(state, { metadata: { case: name, builder: metadata.builder, options: metadata.options } }));
      return path;
    });
    const run = spawnSync(PYTHON, [script, 'logits', ...files], { encoding: 'utf8', timeout: 120_000 });
    if (run.status !== 0) throw new Error(`torch_models.py logits failed (${run.status}): ${run.stderr}`);
    torchLogits = JSON.parse(run.stdout);
  }, 150_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each(CASES)('%s: loads into the PyTorch definition (strict) and gives trainkit\'s logits in evaluation mode, within rtol 1e-4', (name) => {
    const model = models.get(name)?.eval() as Module;
    expectClose('torch logits', noGrad(() => model.call(io[`${name}.input`])), torchLogits[name]);
  });
});
