import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { sizeViolations } from './size';
import { readWorkspace } from './workspace';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');

describe('the size rules', () => {
  test('no shipped source file is over 300 lines, and no function outside kernels over 80, without a stated reason', () => {
    const shipped = readWorkspace(root).packages.flatMap((p) => p.files.filter((f) => !f.isDev && /\.[cm]?ts$/.test(f.path)));
    expect(shipped.length).toBeGreaterThan(100);
    const violations = shipped.flatMap((f) => sizeViolations(f.path, readFileSync(join(root, f.path), 'utf8')));
    expect(violations).toEqual([]);
  });

  const body = (n: number) => Array.from({ length: n }, (_, i) => `  const v${i} = ${i};`).join('\n');

  test('a file over 300 lines is reported with its length, unless its first line says why', () => {
    const text = Array.from({ length: 301 }, (_, i) => `export const c${i} = ${i};`).join('\n') + '\n';
    expect(sizeViolations('packages/x/src/big.ts', text)).toEqual([
      'packages/x/src/big.ts: 301 lines (over 300); split it, or say why on its first line with "// long file: <reason>"',
    ]);
    expect(sizeViolations('packages/x/src/big.ts', `// long file: one table of constants\n${text}`)).toEqual([]);
  });

  test('a function over 80 lines is reported with its name and line, unless the line above says why', () => {
    const long = `export function tooLong() {\n${body(80)}\n}\n`;
    expect(sizeViolations('packages/x/src/f.ts', long)).toEqual([
      'packages/x/src/f.ts:1: function tooLong has 82 lines (over 80); split it, or say why above it with "// long function: <reason>"',
    ]);
    expect(sizeViolations('packages/x/src/f.ts', `// long function: the unrolled micro-kernel\n${long}`)).toEqual([]);
    expect(sizeViolations('packages/x/src/f.ts', `export const ok = () => {\n${body(78)}\n};\n`)).toEqual([]);
  });

  test('hot loops under kernels/ and assembly/ may be long functions', () => {
    const long = `export function gemm() {\n${body(120)}\n}\n`;
    expect(sizeViolations('packages/tensor/src/kernels/gemm.ts', long)).toEqual([]);
    expect(sizeViolations('packages/tensor/assembly/gemm.ts', long)).toEqual([]);
  });
});
