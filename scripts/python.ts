import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian's python3 with torch, which the PyTorch round-trip tests run (they skip, saying why, without it). */
export const PYTHON = '/usr/bin/python3';

let cached: string | null | undefined;

/** Why the PyTorch tests cannot run here, or null when they can. */
export function torchMissing(): string | null {
  if (cached !== undefined) return cached;
  if (!existsSync(PYTHON)) return (cached = `${PYTHON} not found`);
  const r = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
  return (cached = r.status === 0 ? null : `${PYTHON} cannot import torch and numpy (${(r.stderr || '').trim().split('\n').pop()})`);
}

/** Runs a Python script and parses the JSON it prints. */
export function runPython(script: string, args: string[], cwd: string): unknown {
  const r = spawnSync(PYTHON, [script, ...args], { encoding: 'utf8', cwd, timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${script} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}
