/**
 * A `startWorker` process for the tests: options as JSON in argv[2]; prints `ready <name>` once
 * connected. With TRAINKIT_TEST_GATE set it loads everything, then waits for that file to exist
 * before it connects, so a test can start processes early and let them take trials later.
 */
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { startWorker } from '../index';

const gate = process.env.TRAINKIT_TEST_GATE;
while (gate !== undefined && !existsSync(gate)) await sleep(20);
const worker = await startWorker({ ...(JSON.parse(process.argv[2]) as Parameters<typeof startWorker>[0]), log: (line) => console.error(line) });
console.log(`ready ${worker.name}`);
process.on('SIGTERM', () => void worker.close().then(() => process.exit(0)));
