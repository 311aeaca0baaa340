/**
 * Measures what parsing hostile headers costs: wall time and peak memory above the process's
 * resident size once the file is loaded (Linux: VmHWM after a reset through /proc/self/clear_refs), one fresh Node process per case (running the parser
 * bundled by esbuild, so that no compiler shares the process). The bound the parser promises is
 * 8 × the file size + 32 MB and about 1 s per 10 MB of header.
 *
 *   npx tsx packages/safetensors/src/__tests__/measureHeaderCost.ts [case-name …]
 *
 * The JSON.parse column times JSON.parse of the same header in the same process: a yardstick
 * for how loaded the machine was.
 *
 * Not a test (timings on a shared machine are noisy); the numbers go in the report and README.
 */
import { spawnSync } from 'node:child_process';
import { buildSync } from 'esbuild';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ParseOptions } from '../index';

const MB = 1_000_000;
const pad = (i: number) => String(i).padStart(7, '0');

function file(header: string, data: Uint8Array = new Uint8Array(0)): Buffer {
  const h = Buffer.from(header, 'utf8');
  const out = Buffer.alloc(8 + h.length + data.length);
  out.writeBigUInt64LE(BigInt(h.length), 0);
  h.copy(out, 8);
  out.set(data, 8 + h.length);
  return out;
}

function tensors(n: number, bytesEach: 0 | 1): Buffer {
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    parts.push(bytesEach === 0 ? `"t${pad(i)}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}` : `"t${pad(i)}":{"dtype":"U8","shape":[1],"data_offsets":[${i},${i + 1}]}`);
  }
  return file(`{${parts.join(',')}}`, new Uint8Array(n * bytesEach));
}

function metadataKeys(n: number): Buffer {
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(`"k${pad(i)}":""`);
  return file(`{"__metadata__":{${parts.join(',')}}}`);
}

/** Every case: a name and a file maker, with the options to parse it with. */
const CASES: Record<string, { make: () => Buffer; options?: ParseOptions }> = {
  'zero-size-1M-unlimited': { make: () => tensors(1_000_000, 0), options: { maxTensors: Infinity } },
  'zero-size-1M-defaults': { make: () => tensors(1_000_000, 0) },
  'zero-size-100k': { make: () => tensors(100_000, 0) },
  'one-byte-1M-unlimited': { make: () => tensors(1_000_000, 1), options: { maxTensors: Infinity } },
  'one-byte-100k': { make: () => tensors(100_000, 1) },
  'metadata-escapes-90MB': { make: () => file(`{"__metadata__":{"k":"${'\\n'.repeat(45 * MB)}"}}`) },
  'metadata-surrogate-pairs-90MB': { make: () => file(`{"__metadata__":{"k":"${'\\ud83c\\udf89'.repeat(7.5 * MB)}"}}`) },
  'metadata-10k-keys': { make: () => metadataKeys(10_000) },
  'metadata-5M-keys': { make: () => metadataKeys(5_000_000) },
  'metadata-array-90MB': { make: () => file(`{"__metadata__":[${'0,'.repeat(45 * MB)}0]}`) },
  'long-names-90MB': { make: () => file(`{${Array.from({ length: 1000 }, (_, i) => `"${pad(i)}${'x'.repeat(90_000)}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`).join(',')}}`) },
  'whitespace-90MB': { make: () => file(`{${' '.repeat(90 * MB)}}`) },
};

/** The child: loads the bundled parser and one file, parses it, prints {ms, extraMB, outcome}. */
const CHILD = `
import { readFileSync, writeFileSync } from 'node:fs';
import { parseSafetensors } from './parser.mjs';
const options = JSON.parse(process.argv[3], (_k, v) => (v === 'Infinity' ? Infinity : v));
const bytes = readFileSync(process.argv[2]);
globalThis.gc();
// the peak resident size (VmHWM) of this process image, reset to the current size just before parsing
// (Linux; getrusage's maxRSS would also count the parent's size at fork)
const peakRss = () => Number(/VmHWM:\\s+(\\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
writeFileSync('/proc/self/clear_refs', '5');
const before = process.memoryUsage().rss;
const start = performance.now();
let outcome;
try {
  outcome = 'ok, ' + parseSafetensors(bytes, options).tensors.size + ' tensors';
} catch (e) {
  outcome = String(e.message).slice(0, 110);
}
const ms = performance.now() - start;
const peak = peakRss();
// a yardstick for how loaded the machine is: JSON.parse of the same header text (it may throw)
const text = bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString();
const jsonStart = performance.now();
try { JSON.parse(text); } catch {}
const jsonMs = performance.now() - jsonStart;
console.log(JSON.stringify({ ms: Math.round(ms), extraMB: Math.round((peak - before) / 1e6), jsonMs: Math.round(jsonMs), outcome }));
`;

function main(): void {
  const dir = join(tmpdir(), `trainkit-header-cost-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  // SAFETENSORS_PARSER=<path of another version's src/index.ts> measures that version instead
  const entry = process.env.SAFETENSORS_PARSER ?? fileURLToPath(new URL('../index.ts', import.meta.url));
  buildSync({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'neutral', outfile: join(dir, 'parser.mjs'), logLevel: 'warning' });
  writeFileSync(join(dir, 'child.mjs'), CHILD);
  const names = process.argv.length > 2 ? process.argv.slice(2) : Object.keys(CASES);
  try {
    for (const name of names) {
      const { make, options = {} } = CASES[name];
      const bytes = make();
      const path = join(dir, `${name}.safetensors`);
      writeFileSync(path, bytes);
      const opts = JSON.stringify(options, (_k, v: unknown) => (v === Infinity ? 'Infinity' : v));
      const child = spawnSync(process.execPath, ['--expose-gc', join(dir, 'child.mjs'), path, opts], { encoding: 'utf8' });
      const r = JSON.parse(child.stdout.trim().split('\n').pop() || '{}') as { ms: number; extraMB: number; jsonMs: number; outcome: string };
      const fileMB = bytes.length / MB;
      const bound = { ms: Math.max(100, (fileMB / 10) * 1000), mb: 8 * fileMB + 32 };
      const ok = r.ms <= bound.ms && r.extraMB <= bound.mb ? 'within' : 'OVER';
      console.log(`${name.padEnd(30)} ${fileMB.toFixed(1).padStart(6)} MB  ${String(r.ms).padStart(6)} ms  +${String(r.extraMB).padStart(5)} MB  (bound ${Math.round(bound.ms)} ms, ${Math.round(bound.mb)} MB: ${ok}; JSON.parse ${r.jsonMs} ms)  ${r.outcome ?? child.stderr.slice(0, 200)}`);
      rmSync(path);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
