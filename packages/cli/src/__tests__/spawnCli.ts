import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const bin = fileURLToPath(new URL('../bin.ts', import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** What a finished `trainkit` process did. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real `trainkit` bin (its TypeScript source, through tsx) in `cwd`. `onStdout` sees
 * the output as it comes and may signal the process (ctrl-C); `child` is the process (a test kills it when it fails).
 */
export function trainkit(args: readonly string[], cwd: string, onStdout?: (text: string, signal: (s: NodeJS.Signals) => void) => void): Promise<CliResult> & { child: ChildProcessWithoutNullStreams } {
  let child!: ChildProcessWithoutNullStreams;
  const result = new Promise<CliResult>((resolve, reject) => {
    child = spawn(process.execPath, ['--conditions=@trainkit/source', '--import', tsx, bin, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      onStdout?.(stdout, (s) => child.kill(s));
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return Object.assign(result, { child });
}
