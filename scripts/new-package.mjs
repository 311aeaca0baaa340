// Writes the package.json / tsup.config.ts / tsconfig.json skeleton shared by every package.
// Usage: node scripts/new-package.mjs <dir> <description> [dep@range ...]
import { copyFileSync, mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const [dir, description, ...deps] = process.argv.slice(2);
const root = join('packages', dir);
mkdirSync(join(root, 'src'), { recursive: true });
const entry = (name) => ({
  '@trainkit/source': `./src/${name}.ts`,
  import: { types: `./dist/${name}.d.ts`, default: `./dist/${name}.js` },
  require: { types: `./dist/${name}.d.cts`, default: `./dist/${name}.cjs` },
});
const dependencies = Object.fromEntries(deps.map((d) => {
  const at = d.lastIndexOf('@');
  return [d.slice(0, at), d.slice(at + 1)];
}));
const pkg = {
  name: `@trainkit/${dir}`,
  version: '0.1.0',
  description,
  license: 'MIT',
  repository: { type: 'git', url: 'git+https://github.com/trainkit/trainkit.git', directory: `packages/${dir}` },
  homepage: `https://github.com/trainkit/trainkit/tree/main/packages/${dir}#readme`,
  bugs: { url: 'https://github.com/trainkit/trainkit/issues' },
  keywords: ['trainkit', 'machine-learning', 'deep-learning', 'typescript'],
  type: 'module',
  sideEffects: false,
  exports: { '.': entry('index'), './package.json': './package.json' },
  main: './dist/index.cjs',
  module: './dist/index.js',
  types: './dist/index.d.ts',
  files: ['dist', 'src', '!src/**/*.test.ts', '!src/__tests__'],
  scripts: {
    build: 'tsup',
    'test:lib': 'vitest run --root ../.. packages/' + dir + '/',
    'test:types': 'tsc -p tsconfig.json',
    'test:eslint': 'eslint src',
    'test:build': 'publint --strict && attw --pack .',
  },
  dependencies,
};
if (!existsSync(join(root, 'package.json'))) writeFileSync(join(root, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
copyFileSync('LICENSE', join(root, 'LICENSE')); // npm puts it in the tarball; tools/packaging checks it matches the root's
writeFileSync(join(root, 'tsup.config.ts'), `import { defineConfig } from 'tsup';
import { preset } from '../../scripts/tsup.preset';

export default defineConfig(preset(['src/index.ts']));
`);
writeFileSync(join(root, 'tsconfig.json'), JSON.stringify({ extends: '../../tsconfig.base.json', include: ['src'] }, null, 2) + '\n');
