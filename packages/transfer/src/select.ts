/** How a value that is not a selector reads in an error message. */
export function describeValue(v: unknown): string {
  return typeof v === 'string' ? `the string ${JSON.stringify(v)}` : v === null || typeof v !== 'object' ? String(v) : Array.isArray(v) ? 'a list with a non-string entry' : `a ${(v as object).constructor?.name ?? 'object'}`;
}
