import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { resolveSitePath } from './staticServer';

/** Every .html file of the built site, relative to `dir`. */
export function htmlFiles(dir: string, sub = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, sub), { withFileTypes: true })) {
    const rel = sub === '' ? e.name : `${sub}/${e.name}`;
    if (e.isDirectory()) out.push(...htmlFiles(dir, rel));
    else if (e.name.endsWith('.html')) out.push(rel);
  }
  return out.sort();
}

const idsCache = new Map<string, Set<string>>();
function idsOf(file: string): Set<string> {
  let ids = idsCache.get(file);
  if (ids === undefined) {
    ids = new Set([...readFileSync(file, 'utf8').matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]));
    idsCache.set(file, ids);
  }
  return ids;
}

/**
 * Internal links (href/src) of every page of the built site that lead nowhere: a missing
 * page or asset, or a `#fragment` that no element of the target page has.
 */
export function brokenLinks(dir: string): string[] {
  const broken: string[] = [];
  const resolved = new Map<string, string | null>();
  const resolve = (urlPath: string): string | null => {
    if (!resolved.has(urlPath)) resolved.set(urlPath, resolveSitePath(dir, urlPath));
    return resolved.get(urlPath) ?? null;
  };
  for (const page of htmlFiles(dir)) {
    const html = readFileSync(join(dir, page), 'utf8');
    for (const m of html.matchAll(/\s(?:href|src)="([^"]+)"/g)) {
      const link = m[1].replace(/&amp;/g, '&');
      if (/^(?:[a-z]+:|\/\/)/i.test(link)) continue; // external, mailto:, data:
      const [path, fragment] = link.split('#');
      let target: string | null;
      if (path === '') target = join(dir, page);
      else {
        const urlPath = path.startsWith('/') ? path : '/' + relative(dir, join(dir, dirname(page), path));
        target = resolve(urlPath);
      }
      if (target === null) broken.push(`${page}: ${link} (no such page or file)`);
      else if (fragment && target.endsWith('.html') && !idsOf(target).has(decodeURIComponent(fragment))) broken.push(`${page}: ${link} (no element with id "${fragment}")`);
    }
  }
  return broken;
}
