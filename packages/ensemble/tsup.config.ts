import { defineConfig } from 'tsup';
import { preset } from '../../scripts/tsup.preset';

// Three entries: the browser-safe "." , the Node-only "./node" (worker threads, checkpoints)
// and the member worker, which "./node" starts from dist/worker.js next to itself.
// `splitting` shares one copy of the common code; `shims` gives CJS an import.meta.url.
export default defineConfig({ ...preset(['src/index.ts', 'src/node.ts', 'src/worker.ts']), splitting: true, shims: true });
