import { createReadStream, existsSync, statSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.bin': 'application/octet-stream',
};

/** Resolves a URL path to a file of the built site the way a static host does (`/a` → `a.html`, `/a/` → `a/index.html`). */
export function resolveSitePath(dir: string, urlPath: string): string | null {
  const clean = normalize(decodeURIComponent(urlPath.split(/[?#]/)[0])).replace(/^(\.\.[/\\])+/, '');
  const candidates = [join(dir, clean), join(dir, clean, 'index.html'), join(dir, `${clean}.html`)];
  return candidates.find((f) => f.startsWith(dir) && existsSync(f) && statSync(f).isFile()) ?? null;
}

/** Serves a folder on 127.0.0.1 (a free port); resolves with its base URL and a close function. */
export async function serveStatic(dir: string): Promise<{ url: string; close(): Promise<void>; server: Server }> {
  const server = createServer((req, res) => {
    const file = resolveSitePath(dir, req.url ?? '/');
    if (file === null) {
      const notFound = join(dir, '404.html');
      res.writeHead(404, { 'content-type': TYPES['.html'] });
      if (existsSync(notFound)) createReadStream(notFound).pipe(res);
      else res.end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    // a browser keeps its keep-alive connections open: close them, or close() waits on them
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
