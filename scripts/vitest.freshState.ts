// Setup of the vitest "default" project, whose test files share their worker's modules
// (isolate: false): before each file, put back the global state a fresh import would have —
// the default init RNG, and the kernels' runtime (backend from the environment, no thread pool).
import { manualSeed } from '@trainkit/nn';
import { resetKernels } from '@trainkit/tensor';

manualSeed(0);
await resetKernels();
