/**
 * Reads a workspace as the architecture check sees it: each package's manifest and, for every
 * source file, the module specifiers it imports (found in the syntax tree, so imports in
 * comments or in strings of generated code do not count).
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

export interface Manifest {
  name: string;
  private?: boolean;
  workspaces?: string[];
  exports?: Record<string, unknown>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

/** One import: the specifier as written and where (1-based line). */
export interface ImportSite {
  specifier: string;
  line: number;
}

export interface SourceFile {
  /** Path relative to the workspace root, with `/` separators. */
  path: string;
  /** A test, a test helper or build tooling (not shipped as the package's code). */
  isDev: boolean;
  imports: ImportSite[];
  /** String literals, to find optional peers that are resolved by name at run time. */
  strings: Set<string>;
}

export interface WorkspacePackage {
  /** Folder relative to the workspace root. */
  dir: string;
  manifest: Manifest;
  files: SourceFile[];
}

export interface Workspace {
  root: string;
  manifest: Manifest;
  packages: WorkspacePackage[];
}

const CODE = /\.(?:[cm]?ts|[cm]?js|vue)$/;
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'fixtures', 'results', 'cache', 'scratch']);

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** Every code file under `dir` (recursively), skipping build outputs, dependencies and data fixtures. */
function codeFiles(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir)) {
    if (SKIPPED_DIRS.has(entry) || (entry.startsWith('.') && entry !== '.vitepress')) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) codeFiles(path, out);
    else if (CODE.test(entry) && !entry.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

function literal(node: ts.Node | undefined): string | undefined {
  return node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) ? node.text : undefined;
}

/** `require('x')`, `require.resolve('x')`, `createRequire(u)('x')` and `createRequire(u).resolve('x')`. */
function requiredSpecifier(call: ts.CallExpression): string | undefined {
  const callee = call.expression;
  const isRequire = (e: ts.Expression): boolean =>
    (ts.isIdentifier(e) && e.text === 'require') ||
    (ts.isCallExpression(e) && ts.isIdentifier(e.expression) && e.expression.text === 'createRequire');
  const viaResolve = ts.isPropertyAccessExpression(callee) && callee.name.text === 'resolve' && isRequire(callee.expression);
  return isRequire(callee) || viaResolve ? literal(call.arguments[0]) : undefined;
}

/** The module specifiers a file imports, with their lines, and the string literals it holds. */
export function scanSource(fileName: string, text: string): { imports: ImportSite[]; strings: Set<string> } {
  const code = fileName.endsWith('.vue') ? (text.match(/<script[^>]*>([\s\S]*?)<\/script>/)?.[1] ?? '') : text;
  const source = ts.createSourceFile(fileName, code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const imports: ImportSite[] = [];
  const strings = new Set<string>();
  const add = (specifier: string | undefined, node: ts.Node): void => {
    if (specifier === undefined) return;
    imports.push({ specifier, line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1 });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(literal(node.moduleSpecifier), node);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) add(literal(node.moduleReference.expression), node);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(literal(node.argument.literal), node);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) add(literal(node.arguments[0]), node);
    else if (ts.isCallExpression(node)) add(requiredSpecifier(node), node);
    const text = literal(node);
    if (text !== undefined) strings.add(text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { imports, strings };
}

/** A test, test helper or build script: anything outside `src/` and, inside it, tests and `__tests__/`. */
export function isDevFile(pathInPackage: string): boolean {
  return !pathInPackage.startsWith('src/') || /\.test\.ts$|(^|\/)__tests__\//.test(pathInPackage);
}

function workspaceDirs(root: string, globs: string[]): string[] {
  return globs.flatMap((glob) => {
    if (!glob.endsWith('/*')) return [glob];
    const parent = glob.slice(0, -2);
    return readdirSync(join(root, parent))
      .map((name) => `${parent}/${name}`)
      .filter((dir) => existsSync(join(root, dir, 'package.json')));
  });
}

/**
 * Reads the workspace at `root`: the packages its package.json `workspaces` name, and their code.
 * `extraSources` adds folders (relative to the root) that belong to a package, by package name.
 */
export function readWorkspace(root: string, extraSources: Readonly<Record<string, readonly string[]>> = {}): Workspace {
  const manifest = readJson<Manifest>(join(root, 'package.json'));
  const packages = workspaceDirs(root, manifest.workspaces ?? []).sort().map((dir): WorkspacePackage => {
    const pkg = readJson<Manifest>(join(root, dir, 'package.json'));
    const own = codeFiles(join(root, dir)).map((file) => ({ file, dev: isDevFile(relative(join(root, dir), file).split('\\').join('/')) }));
    const extra = (extraSources[pkg.name] ?? []).flatMap((folder) => codeFiles(join(root, folder)).map((file) => ({ file, dev: false })));
    const files = [...own, ...extra].map(({ file, dev }): SourceFile => ({
      path: relative(root, file).split('\\').join('/'),
      isDev: dev || /\.test\.ts$/.test(file),
      ...scanSource(file, readFileSync(file, 'utf8')),
    }));
    return { dir, manifest: pkg, files };
  });
  return { root, manifest, packages };
}
