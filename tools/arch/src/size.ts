/**
 * The size rules of the house: a shipped source file stays within 300 lines and a function within
 * 80, unless a comment says why. Kernels (hot loops under `kernels/` or `assembly/`) are exempt
 * from the function rule; tests and build scripts from both.
 */
import ts from 'typescript';

export const MAX_FILE_LINES = 300;
export const MAX_FUNCTION_LINES = 80;
/** The comment, on a file's first line, that lets it grow past {@link MAX_FILE_LINES}. */
export const LONG_FILE = /^\/\/ long file: \S/;
/** The comment, on the line above a function, that lets it grow past {@link MAX_FUNCTION_LINES}. */
export const LONG_FUNCTION = /\/\/ long function: \S/;

/** A kernel file: a hot loop may be long there. */
export function isKernelPath(path: string): boolean {
  return /(^|\/)(kernels|assembly)\//.test(path);
}

/** What breaks the size rules in one file (`path` only names it in the messages). */
export function sizeViolations(path: string, text: string): string[] {
  const lines = text.split('\n');
  const count = text.endsWith('\n') ? lines.length - 1 : lines.length;
  const out: string[] = [];
  if (count > MAX_FILE_LINES && !LONG_FILE.test(lines[0] ?? '')) {
    out.push(`${path}: ${count} lines (over ${MAX_FILE_LINES}); split it, or say why on its first line with "// long file: <reason>"`);
  }
  if (isKernelPath(path)) return out;
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const length = end - start + 1;
      const above = lines[start - 1] ?? '';
      if (length > MAX_FUNCTION_LINES && !LONG_FUNCTION.test(above) && !LONG_FUNCTION.test(lines[start] ?? '')) {
        const name = 'name' in node && node.name !== undefined ? ` ${(node.name as ts.Node).getText(source)}` : '';
        out.push(`${path}:${start + 1}: function${name} has ${length} lines (over ${MAX_FUNCTION_LINES}); split it, or say why above it with "// long function: <reason>"`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}
