import { defineConfig } from 'vitest/config';

// Tests run against the TypeScript sources: every package's exports map lists the
// "@trainkit/source" condition first, pointing at src/index.ts.
const conditions = ['@trainkit/source', 'module', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@trainkit/source'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'tools/*/src/**/*.test.ts', 'examples/*/src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    // the JSON report is what .ci/run counts ("N passed, N failed")
    reporters: ['default', ['json', { outputFile: '.vitest-results.json' }]],
  },
});
