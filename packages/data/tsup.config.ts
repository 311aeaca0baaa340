import { defineConfig } from 'tsup';
import { preset } from '../../scripts/tsup.preset';

// Three entries: the browser-safe ".", the Node-only "./node" and the browser-only "./web".
// `splitting` gives the CJS build a shared chunk too, so the entries share one TensorDataset class; `shims` provides
// import.meta.url in CJS (the loaders resolve their data packages from it).
export default defineConfig({ ...preset(['src/index.ts', 'src/node.ts', 'src/web.ts']), splitting: true, shims: true });
