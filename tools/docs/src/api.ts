/**
 * Generates the API reference (docs/api/**) from the TSDoc comments of every package's
 * public entry points, with TypeDoc + typedoc-plugin-markdown (+ the VitePress theme, which
 * also writes the sidebar). Run: `npm run api -w @trainkit/docs` (docs:build runs it first).
 */
import { rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Application, ReflectionKind } from 'typedoc';
import { entryPoints, root } from './entries';

/** Writes docs/api; returns the number of warnings TypeDoc reported. */
export async function generateApi(): Promise<number> {
  const entries = entryPoints();
  const out = join(root, 'docs', 'api');
  rmSync(out, { recursive: true, force: true });
  const app = await Application.bootstrapWithPlugins({
    entryPoints: entries.map((e) => e.source),
    entryPointStrategy: 'resolve',
    tsconfig: join(root, 'tools', 'docs', 'tsconfig.typedoc.json'),
    plugin: ['typedoc-plugin-markdown', 'typedoc-vitepress-theme'],
    out,
    docsRoot: join(root, 'docs'),
    readme: 'none',
    name: 'API reference',
    excludeExternals: true,
    excludePrivate: true,
    excludeInternal: true,
    disableSources: true,
    hidePageHeader: true,
    hideBreadcrumbs: true,
    indexFormat: 'table',
    parametersFormat: 'table',
    interfacePropertiesFormat: 'table',
    classPropertiesFormat: 'table',
    typeDeclarationFormat: 'table',
    useCodeBlocks: true,
    sidebar: { autoConfiguration: true, format: 'vitepress', pretty: false, collapsed: true },
    logLevel: 'Warn',
  } as Record<string, unknown>);
  const project = await app.convert();
  if (project === undefined) throw new Error('TypeDoc could not convert the packages (see the errors above)');
  // name each module after its import specifier instead of its file path
  for (const child of project.children ?? []) {
    if (!child.kindOf(ReflectionKind.Module)) continue;
    // TypeDoc names a module after its path relative to the common root: "core/src", "data/src/node"
    const entry = entries.find((e) => relative(join(root, 'packages'), e.source).replace(/\.ts$/, '').replace(/\/index$/, '') === child.name);
    if (entry !== undefined) child.name = entry.spec;
  }
  await app.generateOutputs(project);
  return app.logger.warningCount;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const started = performance.now();
  const warnings = await generateApi();
  console.log(`API reference written to docs/api in ${((performance.now() - started) / 1000).toFixed(1)} s (${warnings} TypeDoc warnings)`);
}
