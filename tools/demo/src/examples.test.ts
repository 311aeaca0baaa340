import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const run = promisify(execFile);

/** Runs a TypeScript entry point the way the README does (source condition + tsx). */
async function runScript(file: string, args: string[] = [], env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await run(process.execPath, ['--conditions=@trainkit/source', '--import', 'tsx', join(root, file), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    timeout: 120_000,
  });
  return stdout;
}

test('the README quickstart runs and prints a test accuracy (on a 2,000-image slice)', async () => {
  const out = await runScript('docs/examples/quickstart.ts', [], { TRAIN_LIMIT: '2000', TEST_LIMIT: '500', EPOCHS: '1' });
  expect(out).toMatch(/epoch 1: loss \d+\.\d{4}/);
  const acc = Number(/test accuracy: (\d+\.\d+)%/.exec(out)?.[1]);
  expect(acc).toBeGreaterThan(40); // 52.6% measured: 31 SGD steps; chance is 10%
});

test('the demo script runs end to end on a slice and ends with the test accuracy line', async () => {
  const out = await runScript('tools/demo/src/mnist.ts', ['--epochs', '1', '--limit', '1500']);
  expect(out).toMatch(/^trainkit demo: MNIST CNN \(11274 parameters\), 1500 training images/);
  expect(out).toMatch(/epoch 1\/1 {2}loss \d\.\d{4} {2}acc \d+\.\d\d% {2}\d+ samples\/s/);
  expect(out.trimEnd().split('\n').at(-1)).toMatch(/^test accuracy: \d+\.\d\d%$/);
});
