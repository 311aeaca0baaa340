import { defineConfig } from 'tsup';
import { preset } from '../../scripts/tsup.preset';

// Two entries: the browser-safe "." (plugin, codec, memory store) and the Node-only "./node"
// (directory store, atomic writes, files). `splitting` lets both share one Checkpointer class.
export default defineConfig({ ...preset(['src/index.ts', 'src/node.ts']), splitting: true });
