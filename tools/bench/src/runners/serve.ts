import { createInterface } from 'node:readline';
import { measure } from '../measure';
import { type WorkloadId, report, timing } from '../spec';

/** A runner's implementation of one workload: builds its state, then one call = `units` of work. */
export type Workloads = Partial<Record<WorkloadId, () => { once: () => void; units: number }>>;

/**
 * A runner's main loop. main.ts keeps every runner alive and sends workload ids on stdin, one
 * per line, going through the table row by row so each row's columns are measured close in
 * time (the machine is shared); the runner answers each with one `RESULT` line. Run by hand
 * with `--all`, it measures every workload it has and exits.
 *
 * @param skip returns a reason to skip a workload without running it (e.g. too slow for --quick)
 */
export async function serve(workloads: Workloads, skip: (id: WorkloadId) => string | null = () => null): Promise<void> {
  const quick = process.argv.includes('--quick');
  const run = async (id: WorkloadId): Promise<void> => {
    const make = workloads[id];
    const reason = make ? skip(id) : 'not available';
    if (!make || reason) return report({ id, skipped: reason ?? 'not available' });
    try {
      const { once, units } = make();
      const m = await measure(once, { ...timing(quick), unitsPerCall: units });
      report({ id, median: m.median, windows: m.windows });
    } catch (err) {
      const msg = (err instanceof Error ? err.message : String(err)).split('\n')[0];
      report({ id, skipped: /not registered for backend|not yet implemented/i.test(msg) ? `cannot run: ${msg.slice(0, 90)}` : `error: ${msg.slice(0, 90)}` });
    }
  };
  if (process.argv.includes('--all')) {
    for (const id of Object.keys(workloads) as WorkloadId[]) await run(id);
    return;
  }
  console.log('READY');
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim()) await run(line.trim() as WorkloadId);
  }
}
