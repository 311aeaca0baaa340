import { defineConfig } from 'tsup';
import { preset } from '../../scripts/tsup.preset';

// Two entries: the browser-safe "." (history, charts) and the Node-only "./node" (terminal
// bars, file writers). `splitting` lets both share one copy of the common code.
export default defineConfig({ ...preset(['src/index.ts', 'src/node.ts']), splitting: true });
