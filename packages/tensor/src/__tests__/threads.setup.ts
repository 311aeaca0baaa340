// Setup of the vitest project "kernels:threads": every kernel suite runs with a 2-thread pool.
import { startThreadPool } from '../node';

await startThreadPool(2);
