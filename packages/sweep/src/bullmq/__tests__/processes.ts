/** Starts the tests' worker and coordinator processes (TypeScript sources through tsx), as the other process tests do. */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** A child process with its output so far. */
export interface Proc {
  readonly child: ChildProcess;
  readonly pid: number;
  output(): string;
  /** Resolves when the output matches `pattern` (rejects when the process exits first). */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited(): Promise<number | string>;
}

/** Runs `node --conditions=@trainkit/source --import tsx <file> <json>` with `env` added. */
export function start(file: string, options: unknown, env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, ['--conditions=@trainkit/source', '--import', tsx, fileURLToPath(new URL(file, import.meta.url)), JSON.stringify(options)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const l of listeners) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exit = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return {
    child,
    pid: child.pid!,
    output: () => out,
    exited: () => exit,
    waitFor(pattern) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = out.match(pattern);
          if (m === null) return;
          listeners.delete(check);
          resolve(m);
        };
        listeners.add(check);
        check();
        void exit.then((code) => (listeners.has(check) ? reject(new Error(`process ${file} ended (${code}) before printing ${pattern}:\n${out}`)) : undefined));
      });
    },
  };
}

/** A started sweep worker process, connected, with its name in trial records. */
export type WorkerProc = Proc & { name: string };

/** Starts a sweep worker process and waits until it is connected. */
export async function startWorkerProcess(options: Record<string, unknown>, env: Record<string, string> = {}): Promise<WorkerProc> {
  return ready(start('./workerProcess.ts', options, env));
}

async function ready(p: Proc): Promise<WorkerProc> {
  const [, name] = await p.waitFor(/^ready (\S+)$/m);
  return Object.assign(p, { name });
}

/**
 * Starts a sweep worker process that loads its modules now but connects only when `release()`
 * is called (which resolves once it is connected): process start-up overlaps other work.
 */
export function gatedWorkerProcess(options: Record<string, unknown>, env: Record<string, string>, gate: string): Proc & { release(): Promise<WorkerProc> } {
  const p = start('./workerProcess.ts', options, { ...env, TRAINKIT_TEST_GATE: gate });
  return Object.assign(p, { release: () => (writeFileSync(gate, ''), ready(p)) });
}

/** Stops processes still running (SIGKILL) and waits for them. */
export async function stopAll(procs: Iterable<Proc>): Promise<void> {
  await Promise.all([...procs].map((p) => (p.child.exitCode === null && p.child.signalCode === null && p.child.kill('SIGKILL'), p.exited())));
}
