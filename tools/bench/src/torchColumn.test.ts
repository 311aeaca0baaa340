import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PYTHON, torchArgs, torchAvailable } from './processes';
import { type Results, markdown } from './table';
import { AGREEMENT, agrees } from './torchCheck';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const noTorch = torchAvailable() !== null;

/** Starts the PyTorch runner with `env` (no thread variables unless given), sends `input`, returns its stdout lines. */
function runTorchRunner(env: Record<string, string>, input: string, args = torchArgs([])): string[] {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(OMP|OPENBLAS|MKL)_NUM_THREADS$/.test(k)));
  const r = spawnSync(PYTHON, args, { cwd: root, env: { ...base, ...env }, input, encoding: 'utf8', timeout: 120_000 });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split('\n');
}

const info = (lines: string[]) => JSON.parse(lines.find((l) => l.startsWith('INFO '))!.slice(5)) as Record<string, unknown>;

describe('torch check agreement', () => {
  it('a runner rate agrees with the plain loop exactly when it is within 15 % of it', () => {
    fc.assert(
      fc.property(fc.double({ min: 1, max: 1e6, noNaN: true }), fc.double({ min: -0.9, max: 0.9, noNaN: true }), (plain, d) => {
        fc.pre(Math.abs(Math.abs(d) - AGREEMENT) > 1e-9);
        expect(agrees(plain * (1 + d), plain)).toBe(Math.abs(d) < AGREEMENT);
      }),
    );
  });
});

describe('results page', () => {
  const results = (warning: string | null): Results => ({
    machine: { cpu: 'x', cores: 2, node: 'v20', threads: 1, loadAverageAtStart: 0, loadAverageAtEnd: 0, date: 'd', mode: 'quick' },
    columns: [
      { key: 'trainkit', label: 'trainkit', unavailable: null },
      { key: 'torch', label: 'PyTorch, 1 thread', unavailable: null, info: 'PyTorch 1.13, BLAS: OpenBLAS 0.3.21', warning },
    ],
    rows: [{ id: 'matmul-1024-tidy', name: 'tidy matmul', unit: 'GFLOPS', cells: { trainkit: { id: 'matmul-1024-tidy', skipped: 'not available' }, torch: { id: 'matmul-1024-tidy', skipped: 'not available' } } }],
    memory: null,
    bundle: null,
    seconds: 1,
  });

  it('names the BLAS the PyTorch column ran on, and warns only when the runner warned', () => {
    const quiet = markdown(results(null), []);
    expect(quiet).toContain('- PyTorch, 1 thread: PyTorch 1.13, BLAS: OpenBLAS 0.3.21');
    expect(quiet).not.toContain('WARNING');
    expect(markdown(results('torch uses the reference BLAS'), [])).toContain('**WARNING (PyTorch, 1 thread)**: torch uses the reference BLAS');
  });

  it('shows a workload a library does not have as a bare dash', () => {
    expect(markdown(results(null), [])).toContain('| tidy matmul | GFLOPS | — | — |');
  });
});

describe.skipIf(noTorch)('PyTorch runner', () => {
  it('runs OpenBLAS and torch on one thread even when spawned without the thread variables', () => {
    const r = info(runTorchRunner({}, ''));
    expect(r.torchThreads).toBe(1);
    expect([1, null]).toContain(r.blasThreads);
    expect(r.threadVarsAtSpawn).toContain('OPENBLAS_NUM_THREADS unset');
    expect(r.warning).toBeNull();
  });

  it('reports the BLAS library mapped into the process, with its kind', () => {
    const r = info(runTorchRunner({ OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' }, ''));
    expect(r.threadVarsAtSpawn).toBe('all 1');
    if (String(r.blasLibrary).includes('openblas')) expect(String(r.blas)).toMatch(/^OpenBLAS \d/);
    expect(String(r.describe)).toContain(`BLAS: ${String(r.blas)}`);
  });

  it('runs with oneDNN as a default install has it, and says so', () => {
    const r = info(runTorchRunner({ OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' }, ''));
    expect(r.mkldnnEnabled).toBe(r.mkldnn);
    expect(String(r.describe)).toContain(r.mkldnn ? 'oneDNN on' : 'oneDNN not built');
  });

  it('warns when torch runs on the reference BLAS', () => {
    const code = 'import sys, torch; sys.path.insert(0, "src/runners"); import torch_env, json; print(json.dumps(torch_env.blas_report(torch, ["/usr/lib/x86_64-linux-gnu/blas/libblas.so.3"])))';
    const r = spawnSync(PYTHON, ['-c', code], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    const report = JSON.parse(r.stdout) as { blas: string; warning: string };
    expect(report.blas).toBe('reference BLAS');
    expect(report.warning).toContain('reference BLAS (/usr/lib/x86_64-linux-gnu/blas/libblas.so.3)');
    expect(report.warning).toContain('libopenblas0');
  });

  it('trains on MNIST and says which file is missing when the folder lacks it', () => {
    const lines = runTorchRunner({}, 'mlp-train\n', ['src/runners/torch_bench.py', '--quick', '--mnist=/nonexistent-mnist']);
    const cell = JSON.parse(lines.find((l) => l.startsWith('RESULT '))!.slice(7)) as { skipped: string };
    expect(cell.skipped).toContain('MNIST IDX file not found: /nonexistent-mnist/train-images-idx3-ubyte');
  });
});
