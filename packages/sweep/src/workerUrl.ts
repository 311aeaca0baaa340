/**
 * Where the trial worker's script is, next to this module: `worker.ts` when running from the
 * TypeScript sources (then it needs the `@trainkit/source` condition and tsx), `worker.js` in
 * the published build. The same layout as `@trainkit/ensemble`'s member worker.
 */
export function trialWorkerUrl(): { url: URL; fromSource: boolean } {
  const here = import.meta.url;
  const fromSource = /\.ts$/.test(new URL(here).pathname);
  return { url: new URL(fromSource ? './worker.ts' : './worker.js', here), fromSource };
}
