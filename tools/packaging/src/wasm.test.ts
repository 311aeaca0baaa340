// The WebAssembly kernels are committed as generated TypeScript (tests run straight after
// `npm ci`); this rebuilds them from packages/tensor/assembly and requires the same bytes, so a
// kernel edited without `npm run build:wasm -w @trainkit/tensor` cannot go unnoticed.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, test } from 'vitest';

const tensor = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'packages', 'tensor');
const committedDir = join(tensor, 'src', 'kernels', 'wasm');
const out = mkdtempSync(join(tmpdir(), 'trainkit-wasm-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

test('rebuilding the WebAssembly modules from packages/tensor/assembly gives the committed files, byte for byte', () => {
  execFileSync(process.execPath, [join(tensor, 'assembly', 'build.mjs'), '--out-dir', out], { stdio: 'pipe' });
  const committed = readdirSync(committedDir).filter((f) => f.endsWith('.generated.ts')).sort();
  const rebuilt = readdirSync(out).sort();
  expect(rebuilt).toEqual(committed);
  for (const file of rebuilt) {
    const same = readFileSync(join(out, file)).equals(readFileSync(join(committedDir, file)));
    expect(same, `packages/tensor/src/kernels/wasm/${file} differs from a rebuild of assembly/: run \`npm run build:wasm -w @trainkit/tensor\` and commit it`).toBe(true);
  }
});
