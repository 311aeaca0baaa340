/**
 * The example runner: every file in docs/examples/ is a program that the site includes and
 * that CI runs, on a small slice of the data (env vars) so the whole set takes seconds.
 */
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { root } from './entries';

export const EXAMPLES_DIR = join(root, 'docs', 'examples');

/** How CI runs one example: the environment that shrinks it, and what its output must show. */
export interface ExampleSpec {
  env?: Record<string, string>;
  /** Every pattern must match the example's stdout. */
  expect?: RegExp[];
}

const slice = { TRAIN_LIMIT: '1000', TEST_LIMIT: '500', EPOCHS: '1' };

/** One entry per file in docs/examples/ (a test fails when a file is missing here). */
export const EXAMPLES: Record<string, ExampleSpec> = {
  'quickstart.ts': { env: slice, expect: [/epoch 1: loss \d\.\d{4}/, /test accuracy: \d+\.\d\d%/] },
  'readme-tensor.ts': { expect: [/^loss \d\.\d{4} → \d\.\d{4} after one step$/m] },
  'readme-nn.ts': { expect: [/^15770 parameters: conv\.weight, conv\.bias, fc\.weight, fc\.bias$/m, /^output \[2, 10\]$/m, /missing 0, unexpected 0/] },
  'readme-core.ts': { expect: [/^epoch 4: loss \d\.\d{4}, lr 0\.25$/m, /^accuracy \d+\.\d\d%$/m] },
  'readme-progress.ts': { expect: [/^epoch 3\/3 {2}loss \d\.\d{4} {2}acc \d+\.\d\d%/m, /^epoch,loss,accuracy/m, /^curves\.svg: \d+ characters$/m] },
  'checkpoint.ts': { expect: [/^killed; resumed weights equal the uninterrupted run's: true$/m, /^best: best\.safetensors from epoch \d$/m] },
  'transfer.ts': { expect: [/body\.weight F32 \[16, 4\], note "pretrained on task A"/, /^loaded body\.weight, body\.bias; excluded fc\.weight, fc\.bias$/m, /^after epoch 1: body trained: false\nafter epoch 2: body trained: true$/m] },
  'sweep.ts': { expect: [/^8 trials: \d+ completed, [4-8] pruned early$/m, /^best: \{"lr":[\d.e-]+,"optimizer":"\w+".*\} valLoss \d\.\d{4}$/m, /^rerun with the same directory ran 0 trials$/m] },
  'ensemble.ts': { expect: [/^member 2 +\d+\.\d\d%/m, /^ensemble \(probs\) +\d+\.\d\d%/m] },
  'distill.ts': { expect: [/^plain student: accuracy \d+\.\d\d%, NLL \d\.\d{4}\ndistilled student: accuracy \d+\.\d\d%, NLL \d\.\d{4}$/m, /^cache: teacher logits of 400 examples, computed once; same weights as the live teacher: true$/m, /^MC dropout: mean predictive entropy \d\.\d{3} on correct, \d\.\d{3} on misclassified test points$/m] },
  'first-script.ts': { expect: [/^epoch 10: loss \d\.\d{4}, accuracy \d+\.\d\d%\ndone$/m] },
  'tensors.ts': { expect: [/^loss 4\.7500$/m, /same seed, same stream → equal: true/] },
  'modules.ts': { expect: [/output shape \[2, 10\]/, /missing: 0, unexpected: 0/] },
  'residual-block.ts': { expect: [/^logits \[4, 10\], \d+ parameters$/m, /layer2\.downsample\.0\.weight/, /stem gradient reached: true/, /^Residual: the body's output is \[2, 16, 5, 5\] but the input \(identity shortcut\) is \[2, 8, 5, 5\]/m] },
  'data.ts': { env: slice, expect: [/x \[4, 2\]/, /train 8 samples, val 2 samples/, /MNIST test: 500 digits of shape \[1, 28, 28\]/] },
  'image-folder.ts': { env: { IMAGES_PER_CLASS: '40', EPOCHS: '2' }, expect: [/^classes centre, left, right: 96 train, 24 val images of shape \[3, 32, 32\]$/m, /^epoch 2: loss \d\.\d{4}, val accuracy \d+\.\d\d%$/m, /^second call decoded 0 images \(from cache: true\)$/m] },
  'cifar.ts': { expect: [/^train 20 × \[3, 32, 32\], test 4; first test label: truck$/m, /test_batch\.bin is 5000 bytes, not a whole number of CIFAR-10 records of 3073 bytes/] },
  'shards.ts': { expect: [/^wrote 3000 examples in 12 shards of 17000 bytes$/m, /^epoch 2: loss \d\.\d{4}$/m, /^accuracy \d+\.\d\d%$/m, /^resumed at batch 25 of 60: the next 35 batches equal the uninterrupted run's: true$/m, /shard-00003\.bin is corrupt: its CRC-32 is [0-9a-f]{8} but the manifest records [0-9a-f]{8}$/m] },
  'csv.ts': { expect: [/^inputs: age, income, region=east, region=north, region=south; classes: basic, plus, pro$/m, /^val accuracy \d+\.\d\d%$/m, /^predicted plans: \w+, \w+$/m] },
  'trainer.ts': { env: { ...slice, STOP_EPOCHS: '3' }, expect: [/epoch 1: loss \d\.\d{4}, val accuracy/, /test accuracy \d+\.\d\d%/, /paused after 5 steps; resumed and finished at step 16/, /^\d epochs; .*; weights from epoch \d \(val loss \d\.\d{4}\)$/m] },
  'hook-order.ts': { expect: [/^setup\nonFitStart\nonTrainEpochStart\nonTrainBatchStart\nonAfterForward\nonLoss\nonBeforeBackward\nonAfterBackward\nonBeforeOptimizerStep\nonAfterOptimizerStep\nonTrainBatchEnd\nonTrainBatchStart[\s\S]*onTrainBatchEnd\nonValidationEpochStart\nonValidationBatchStart\nonValidationBatchEnd\nonValidationEpochEnd\nonTrainEpochEnd\nonFitEnd\nteardown\n$/] },
  'progress.ts': { env: { ...slice, EPOCHS: '2' }, expect: [/^epoch 2\/2 {2}loss \d\.\d{4} {2}acc/m, /^epoch,loss,accuracy,valLoss,valAccuracy/m] },
  'signum.ts': {},
  'custom-optimizer.ts': { env: slice, expect: [/signum: test accuracy \d+\.\d\d% after 16 steps/] },
  'optimizer-laws.ts': { env: { NUM_RUNS: '30' }, expect: [/signum keeps the 5 laws/] },
  'early-stopping.ts': {},
  'lr-finder.ts': { env: slice, expect: [/lr finder: \d+ steps \((maxSteps reached \(100 optimizer steps\)|the loss diverged)\); lowest loss \d\.\d{4} at lr /] },
  'custom-plugin.ts': { env: { ...slice, EPOCHS: '2' }, expect: [/epoch 2: val loss \d\.\d{4}, mean grad norm \d/] },
  'determinism.ts': { env: { TRAIN_LIMIT: '640' }, expect: [/seed 0 twice: identical true; seed 0 vs 1: identical false; resumed: identical true/] },
  'optimizers.ts': { env: slice, expect: [/^sgd {7}test accuracy \d+\.\d\d%$/m, /^adam {6}test accuracy \d+\.\d\d%$/m, /fc1\.weight lr 0\.0001, fc2\.bias weightDecay 0/, /clipped AdamW test accuracy/, /cosine schedule test accuracy/] },
  'augmentation.ts': { env: slice, expect: [/augmented CNN: test accuracy \d+\.\d\d%/, /same seed, same pixels: true/, /soft labels of image 0: \[0\.82, [\d., ]*0\.18/] },
  'export-onnx.ts': { env: slice, expect: [/^exported \d+\.\d KiB; ONNX Runtime output \[64, 10\]$/m, /^largest difference from trainkit: below 1e-5$/m] },
  'resnet.ts': { env: { TRAIN_LIMIT: '128', TEST_LIMIT: '200', EPOCHS: '1' }, expect: [/^ResNet-8: \d+ parameters$/m, /projection shortcut: .*layer2\.0\.downsample\.0\.weight, layer2\.0\.downsample\.1\.weight$/m, /^ResNet-8 on Fashion-MNIST: test accuracy \d+\.\d\d% after 1 epoch\(s\) on 128 images$/m, /^saved 56 tensors to /m] },
  'vit.ts': { env: slice, expect: [/^ViT: \d+ parameters, 17 tokens of 32$/m, /blocks\.0\.attn\.in_proj_weight/, /^ViT on MNIST: test accuracy \d+\.\d\d% after 1 epoch\(s\) on 1000 images$/m, /^vitTiny: imageSize \(28\) must be divisible by patchSize \(5\)/m, /^vitTiny: dim \(30\) must be divisible by heads \(4\)/m] },
  'inspect.ts': { env: slice, expect: [/^Grad-CAM of digit 3 \(a 0\) at relu2: map 28×28, peak \d\.\d\d$/m, /^highest loss: test image \d+, a \d taken for a \d \(p \d\.\d\d\), loss \d+\.\d\d$/m, /^macro avg +\d\.\d{3}/m, /^conv1\.weight +moved \d+\.\d{3} of its norm$/m] },
  'webgpu.ts': {
    // Dawn on the SwiftShader Vulkan driver that Debian's chromium ships (a software adapter); without it, 'auto' trains on the CPU
    env: { ...slice, VK_ICD_FILENAMES: '/usr/lib/chromium/vk_swiftshader_icd.json', LD_LIBRARY_PATH: '/usr/lib/chromium' },
    expect: [/^trained on (webgpu|cpu): loss \d\.\d{4}, val accuracy \d+\.\d\d% after 1 epoch\(s\)$/m, /^weights back on the CPU: true$/m, /^with a penalty and clipping on (webgpu|cpu): loss \d\.\d{4} \(l2 \d\.\d{4}\), mean gradient norm \d+\.\d{3}$/m, /^(own loop on webgpu: loss \d\.\d{4} at the first step, \d\.\d{4} after \d+ steps; weights back on the CPU: true|trained on cpu.*)$/m],
  },
  'regularization.ts': { env: slice, expect: [/MLP with dropout: test accuracy \d+\.\d\d%/, /CNN: loss \d\.\d{4} of which l2 \d\.\d{4}; test accuracy/] },
};

export interface ExampleResult {
  file: string;
  ok: boolean;
  seconds: number;
  stdout: string;
  /** Why it failed: the exit status and stderr, or the pattern the output missed. */
  problem: string | null;
}

/** The end of a failed run's stderr, with the error's own message even when a deep stack pushes it out of the tail. */
function errorLines(stderr: string): string {
  const lines = stderr.trim().split('\n');
  const tail = lines.slice(-8);
  const message = lines.find((l) => /^\w*Error\b/.test(l));
  return (message !== undefined && !tail.includes(message) ? [message, ...tail] : tail).join('\n');
}

/** Runs one example file the way the README runs TypeScript (source condition + tsx). */
export function runExample(path: string, spec: ExampleSpec = {}, timeoutMs = 120_000): Promise<ExampleResult> {
  const started = performance.now();
  const file = relative(root, path);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--conditions=@trainkit/source', '--import', 'tsx', path],
      { cwd: root, env: { ...process.env, NO_COLOR: '1', ...spec.env }, timeout: timeoutMs, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        const seconds = (performance.now() - started) / 1000;
        let problem: string | null = null;
        if (error) problem = `exited with ${error.code ?? error.signal}: ${errorLines(stderr)}`;
        else for (const re of spec.expect ?? []) if (!re.test(stdout)) problem ??= `output does not match ${re}:\n${stdout}`;
        resolve({ file, ok: problem === null, seconds, stdout, problem });
      },
    );
  });
}

/** Runs every example (two at a time), in file order. */
export async function runAllExamples(concurrency = 2): Promise<ExampleResult[]> {
  const files = exampleFiles();
  const results: ExampleResult[] = new Array(files.length);
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      results[i] = await runExample(join(EXAMPLES_DIR, files[i]), EXAMPLES[files[i]] ?? {});
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

/** The example programs: every .ts file in docs/examples/. */
export function exampleFiles(): string[] {
  return readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith('.ts')).sort();
}

/** A code include in a page: `<<< @/examples/file.ts#region`. */
export interface Include {
  page: string;
  file: string;
  region: string | null;
}

/** Every `<<<` include of every Markdown page under docs/ (generated API pages excluded). */
export function includes(): Include[] {
  const out: Include[] = [];
  for (const page of markdownPages()) {
    const text = readFileSync(join(root, 'docs', page), 'utf8');
    for (const m of text.matchAll(/^<<< @\/([^\s#{]+)(?:#([\w-]+))?/gm)) out.push({ page, file: m[1], region: m[2] ?? null });
  }
  return out;
}

/** Markdown pages written by hand (docs/api is generated). */
export function markdownPages(dir = '', acc: string[] = []): string[] {
  for (const entry of readdirSync(join(root, 'docs', dir), { withFileTypes: true })) {
    const rel = dir === '' ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (!['api', 'public', 'examples', 'node_modules'].includes(entry.name) && !entry.name.startsWith('.')) markdownPages(rel, acc);
    } else if (entry.name.endsWith('.md')) acc.push(rel);
  }
  return acc.sort();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await runAllExamples();
  for (const r of results) console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.file.padEnd(40)} ${r.seconds.toFixed(1).padStart(5)} s${r.problem ? `\n${r.problem}` : ''}`);
  process.exitCode = results.every((r) => r.ok) ? 0 : 1;
}
