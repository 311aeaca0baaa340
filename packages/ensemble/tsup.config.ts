import { defineConfig } from 'tsup';
import { preset } from '../../scripts/tsup.preset';

// Four entries: the browser-safe "." , the Node-only "./node" (worker threads, checkpoints),
// the member worker, which "./node" starts from dist/worker.js next to itself, and the member
// trial that sweep executors load from dist/memberTrial.js.
// `splitting` shares one copy of the common code; `shims` gives CJS an import.meta.url.
export default defineConfig({ ...preset(['src/index.ts', 'src/node.ts', 'src/worker.ts', 'src/memberTrial.ts']), splitting: true, shims: true });
