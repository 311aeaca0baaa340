/**
 * `npm run docs:build`: the API reference from the TSDoc comments (TypeDoc), then the
 * VitePress site into docs/.vitepress/dist. Offline: everything comes from the repository
 * and node_modules. (Nx builds the packages first: the playground bundles their dist builds.)
 */
import { join } from 'node:path';
import { build } from 'vitepress';
import { generateApi } from './api';
import { root } from './entries';

const t0 = performance.now();
const warnings = await generateApi();
const t1 = performance.now();
console.log(`API reference: ${((t1 - t0) / 1000).toFixed(1)} s (${warnings} TypeDoc warnings)`);
await build(join(root, 'docs'));
console.log(`site: ${((performance.now() - t1) / 1000).toFixed(1)} s → docs/.vitepress/dist`);
