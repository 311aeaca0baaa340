// Run as a separate process by imageCache.kill.test.ts: builds the decoded cache of the folder
// given as argv[2] slowly (one worker, one image in flight), so it can be killed mid-write.
import { imageFolder } from '../node/imageFolder';

await imageFolder(process.argv[2], { size: 16, workers: 1, prefetch: 1 });
console.log('built');
