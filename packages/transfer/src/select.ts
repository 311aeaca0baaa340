import type { ParamSelector } from '@trainkit/core';

/** Whether `selector` (a pattern, a list of names or a predicate) selects `name`. */
export function matches(selector: ParamSelector, name: string): boolean {
  // a /g or /y regex keeps state between calls: tested without it, or every other name would be skipped
  if (selector instanceof RegExp && (selector.global || selector.sticky)) return new RegExp(selector.source, selector.flags.replace('g', '')).test(name);
  return typeof selector === 'function' ? selector(name) : selector instanceof RegExp ? selector.test(name) : selector.includes(name);
}

/** Whether `v` is a selector: a RegExp, a list of names or a predicate (a plain string would match by substring of itself). */
export function isSelector(v: unknown): v is ParamSelector {
  return v instanceof RegExp || typeof v === 'function' || (Array.isArray(v) && v.every((n) => typeof n === 'string'));
}

/** How a value that is not a selector reads in an error message. */
export function describeValue(v: unknown): string {
  return typeof v === 'string' ? `the string ${JSON.stringify(v)}` : v === null || typeof v !== 'object' ? String(v) : Array.isArray(v) ? 'a list with a non-string entry' : `a ${(v as object).constructor?.name ?? 'object'}`;
}
