/**
 * Where the member worker's script is, next to this module: `worker.ts` when running from the
 * TypeScript sources (then it needs the `@trainkit/source` condition and tsx), `worker.js` in
 * the published build.
 */
export function memberWorkerUrl(): { url: URL; fromSource: boolean } {
  const here = import.meta.url;
  const fromSource = /\.ts$/.test(new URL(here).pathname);
  return { url: new URL(fromSource ? './worker.ts' : './worker.js', here), fromSource };
}

/** Where the member trial module (`memberTrial.ts` / `memberTrial.js`) is, for executors to load. */
export function memberTrialUrl(): URL {
  const here = import.meta.url;
  return new URL(/\.ts$/.test(new URL(here).pathname) ? './memberTrial.ts' : './memberTrial.js', here);
}
