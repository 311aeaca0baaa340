import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

/** Where a process kills itself: just before the `nth` call (1-based) of `fs.promises[fn]` whose first argument contains `match`. */
export interface KillSwitch {
  fn: 'open' | 'rename' | 'rm' | 'link' | 'writeFile';
  nth: number;
  match?: string;
}

/**
 * Makes this process SIGKILL itself at a chosen file-system call, for crash tests that need a
 * kill at an exact point (between two writes, between a write and a delete) rather than at a
 * random moment. It wraps the function on `fs.promises` and re-syncs the ES module exports of
 * `node:fs/promises`, so modules that imported it by name see the wrapper too.
 */
export function installKillSwitch({ fn, nth, match = '' }: KillSwitch): void {
  const original = fs.promises[fn] as (...args: unknown[]) => Promise<unknown>;
  let calls = 0;
  (fs.promises as unknown as Record<string, unknown>)[fn] = (...args: unknown[]) => {
    if (String(args[0]).includes(match) && ++calls === nth) process.kill(process.pid, 'SIGKILL');
    return original(...args);
  };
  syncBuiltinESMExports();
}
