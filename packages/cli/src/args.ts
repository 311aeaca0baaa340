import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './errors';

type Options = NonNullable<ParseArgsConfig['options']>;

/** The parsed command line of one subcommand: option values and positionals. */
export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/**
 * Parses `args` strictly with node:util's `parseArgs`; an unknown option, a missing value or a
 * value given to a flag becomes a {@link UsageError} that names the subcommand's `--help`.
 */
export function parse(command: string, args: readonly string[], options: Options): Parsed {
  try {
    const { values, positionals } = parseArgs({ args: [...args], options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    return { values: values as Parsed['values'], positionals };
  } catch (e) {
    const message = (e as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new UsageError(`trainkit ${command}: ${message} (see trainkit ${command} --help)`);
  }
}

/** A string option, or undefined. */
export function text(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === 'string' ? v : undefined;
}

/** A number option checked by `ok` (which says what is expected), or `fallback` when absent. */
export function num(command: string, p: Parsed, name: string, fallback: number, ok: (v: number) => string | null): number {
  const raw = text(p, name);
  if (raw === undefined) return fallback;
  const v = raw.trim() === '' ? NaN : Number(raw);
  const problem = Number.isFinite(v) ? ok(v) : 'a number';
  if (problem !== null) throw new UsageError(`trainkit ${command}: --${name} must be ${problem}, got ${JSON.stringify(raw)}`);
  return v;
}

/** Checks for {@link num}. */
export const positiveInt = (v: number): string | null => (Number.isInteger(v) && v >= 1 ? null : 'a positive integer');
export const nonNegativeInt = (v: number): string | null => (Number.isInteger(v) && v >= 0 ? null : 'an integer ≥ 0');
export const positive = (v: number): string | null => (v > 0 ? null : 'a positive number');
export const fraction = (v: number): string | null => (v >= 0 && v < 1 ? null : 'a number in [0, 1)');

/** One of `choices`, or `fallback` when absent. */
export function choice<T extends string>(command: string, p: Parsed, name: string, choices: readonly T[], fallback: T): T {
  const raw = text(p, name) ?? fallback;
  if (!(choices as readonly string[]).includes(raw)) throw new UsageError(`trainkit ${command}: --${name} must be one of ${choices.join(', ')}, got ${JSON.stringify(raw)}`);
  return raw as T;
}

/** A comma-separated list (empty items dropped), or [] when absent. */
export function list(p: Parsed, name: string): string[] {
  return (text(p, name) ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
}
