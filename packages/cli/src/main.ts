import { EXIT_USAGE, UsageError, isUserError } from './errors';
import { evaluate } from './evaluate';
import { MAIN_HELP } from './help';
import { predict } from './predict';
import { sweep } from './sweepReport';
import { type Io, train } from './train';
import { worker } from './worker';

const COMMANDS: Record<string, (args: readonly string[], io: Io) => Promise<number>> = { train, eval: evaluate, predict, sweep, worker };

/**
 * Runs the `trainkit` command line and resolves with its exit code: 0 done, 1 an unexpected
 * error (with its stack), 2 a bad command line or bad input (one line saying what and where),
 * 130 stopped by ctrl-C.
 *
 * @example
 * process.exitCode = await main(process.argv.slice(2));
 */
export async function main(argv: readonly string[], io: Io = { out: (l) => console.log(l), err: (l) => console.error(l) }): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') return (io.out(MAIN_HELP), command === undefined ? EXIT_USAGE : 0);
    const run = COMMANDS[command];
    if (run === undefined) throw new UsageError(`trainkit: unknown command ${JSON.stringify(command)}; the commands are train, eval, predict, sweep and worker (see trainkit --help)`);
    return await run(rest, io);
  } catch (e) {
    if (isUserError(e)) {
      io.err(e instanceof UsageError ? e.message : `trainkit ${command}: ${e.message}`);
      return EXIT_USAGE;
    }
    io.err(`trainkit ${command}: unexpected error (please report it): ${(e as Error)?.stack ?? String(e)}`);
    return 1;
  }
}
