import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..', '..');

/** Result of a trainRun.ts process. */
export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Starts trainRun.ts in a new Node process (TypeScript sources through tsx). `onStart` gets the
 * child as soon as it runs, e.g. to kill it.
 */
export function spawnRun(options: Record<string, unknown>, onStart?: (child: ReturnType<typeof spawn>) => void): Promise<RunResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--conditions=@trainkit/source', '--import', 'tsx', join(here, 'trainRun.ts'), JSON.stringify(options)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', fail);
    child.on('exit', (code, signal) => done({ code, signal, stdout, stderr }));
    onStart?.(child);
  });
}

/** The history line a finished run printed. */
export function historyOf(r: RunResult): Array<{ epoch: number; metrics: Record<string, number> }> {
  if (r.code !== 0) throw new Error(`training process failed (code ${r.code}, signal ${r.signal}): ${r.stderr}`);
  return (JSON.parse(r.stdout.trim().split('\n').pop()!) as { history: Array<{ epoch: number; metrics: Record<string, number> }> }).history;
}
