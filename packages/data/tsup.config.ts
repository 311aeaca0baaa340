import { defineConfig } from 'tsup';
import { preset } from '../../scripts/tsup.preset';

// Two entries: the browser-safe "." and the Node-only "./node". `splitting` gives the CJS
// build a shared chunk too, so both entries share one TensorDataset class; `shims` provides
// import.meta.url in CJS (the loaders resolve their data packages from it).
export default defineConfig({ ...preset(['src/index.ts', 'src/node.ts']), splitting: true, shims: true });
