import { defineConfig } from 'tsup';
import { preset } from '../../scripts/tsup.preset';

// Four entries: the browser-safe "." , the Node-only "./node" (worker threads, sweep
// directories), "./bullmq" (the queue executor and its worker), and the trial worker, which
// "./node" starts from dist/worker.js next to itself.
export default defineConfig({
  ...preset([]),
  entry: { index: 'src/index.ts', node: 'src/node.ts', bullmq: 'src/bullmq/index.ts', worker: 'src/worker.ts' },
  splitting: true,
  shims: true,
});
