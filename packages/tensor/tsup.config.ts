import { defineConfig } from 'tsup';
import { preset } from '../../scripts/tsup.preset';

// Three entries: the browser-safe ".", and the thread pools for Node ("./node") and browsers
// ("./web"). `splitting` gives the CJS build a shared chunk too, so the entries share one
// kernel runtime.
export default defineConfig({ ...preset(['src/index.ts', 'src/node.ts', 'src/web.ts']), splitting: true });
