// Setup of the vitest "default" project, whose test files share their worker's modules
// (isolate: false): before each file, put back the global state a fresh import would have —
// the default init RNG, the kernel backend, no thread pool.
import { manualSeed } from '@trainkit/nn';
import { setKernelBackend } from '@trainkit/tensor';
import { stopThreadPool } from '@trainkit/tensor/node';

manualSeed(0);
setKernelBackend('auto');
await stopThreadPool();
