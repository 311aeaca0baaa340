// The WebAssembly kernels are committed as generated TypeScript (tests run straight after
// `npm ci`); this rebuilds them from packages/tensor/assembly and requires the same bytes, so a
// kernel edited without `npm run build:wasm -w @trainkit/tensor` cannot go unnoticed.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { applyDelta, decodeBase64 } from '../../../packages/tensor/src/kernels/wasm/embedded';

const tensor = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'packages', 'tensor');
const committedDir = join(tensor, 'src', 'kernels', 'wasm');
const out = mkdtempSync(join(tmpdir(), 'trainkit-wasm-'));
const wasmOut = mkdtempSync(join(tmpdir(), 'trainkit-wasm-bytes-'));
afterAll(() => [out, wasmOut].forEach((d) => rmSync(d, { recursive: true, force: true })));
const base64In = (file: string) => [...readFileSync(join(committedDir, `${file}.generated.ts`), 'utf8').matchAll(/'([A-Za-z0-9+/=]+)'/g)].map((m) => m[1]).join('');

beforeAll(() => {
  execFileSync(process.execPath, [join(tensor, 'assembly', 'build.mjs'), '--out-dir', out, '--wasm-dir', wasmOut], { stdio: 'pipe' });
});

test('rebuilding the WebAssembly modules from packages/tensor/assembly gives the committed files, byte for byte', () => {
  const committed = readdirSync(committedDir).filter((f) => f.endsWith('.generated.ts')).sort();
  const rebuilt = readdirSync(out).sort();
  expect(rebuilt).toEqual(committed);
  for (const file of rebuilt) {
    const same = readFileSync(join(out, file)).equals(readFileSync(join(committedDir, file)));
    expect(same, `packages/tensor/src/kernels/wasm/${file} differs from a rebuild of assembly/: run \`npm run build:wasm -w @trainkit/tensor\` and commit it`).toBe(true);
  }
});

test('each embedded build decodes to exactly the compiled module: the plain one from base64, the others by their delta against their base', () => {
  const compiled = (file: string) => readFileSync(join(wasmOut, `${file}.wasm`));
  const plain = decodeBase64(base64In('module'));
  const relaxed = applyDelta(plain, decodeBase64(base64In('moduleRelaxed')));
  const decoded = {
    module: plain,
    moduleRelaxed: relaxed,
    moduleShared: applyDelta(plain, decodeBase64(base64In('moduleShared'))),
    moduleSharedRelaxed: applyDelta(relaxed, decodeBase64(base64In('moduleSharedRelaxed'))),
  };
  for (const [file, bytes] of Object.entries(decoded)) expect(Buffer.from(bytes).equals(compiled(file)), file).toBe(true);
});
