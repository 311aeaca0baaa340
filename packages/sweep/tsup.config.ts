import { defineConfig } from 'tsup';
import { preset } from '../../scripts/tsup.preset';

// Three entries: the browser-safe "." , the Node-only "./node" (worker threads, sweep
// directories) and the trial worker, which "./node" starts from dist/worker.js next to itself.
export default defineConfig({ ...preset(['src/index.ts', 'src/node.ts', 'src/worker.ts']), splitting: true, shims: true });
