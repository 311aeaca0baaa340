#!/usr/bin/env node
import { main } from './main';

// `trainkit predict … | head`: a closed pipe ends the output, not with a stack trace
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
