import { defineConfig } from 'tsup';
import { preset } from '../../scripts/tsup.preset';

// Two entries: the browser-safe "." and the Node-only "./node" (the thread pool). `splitting`
// gives the CJS build a shared chunk too, so both entries share one kernel runtime.
export default defineConfig({ ...preset(['src/index.ts', 'src/node.ts']), splitting: true });
