import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DefaultTheme, defineConfig } from 'vitepress';

const docs = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The front matter fields the sidebar reads from a page. */
function frontMatter(file: string): Record<string, string> {
  const m = /^---\n([\s\S]*?)\n---/.exec(readFileSync(file, 'utf8'));
  const out: Record<string, string> = {};
  for (const line of m?.[1].split('\n') ?? []) {
    const kv = /^(\w+):\s*(.*)$/.exec(line);
    if (kv) out[kv[1]] = kv[2].replace(/^['"]|['"]$/g, '');
  }
  return out;
}

/**
 * Every page in a folder, ordered by its `order` front matter (then title): a new package's
 * guide appears in the sidebar by adding `docs/packages/<name>.md`, nothing else.
 */
function pagesIn(folder: string): DefaultTheme.SidebarItem[] {
  return readdirSync(join(docs, folder))
    .filter((f) => f.endsWith('.md') && f !== 'index.md')
    .map((f) => ({ f, fm: frontMatter(join(docs, folder, f)) }))
    .sort((a, b) => Number(a.fm.order ?? 100) - Number(b.fm.order ?? 100) || (a.fm.title ?? a.f).localeCompare(b.fm.title ?? b.f))
    .map(({ f, fm }) => ({ text: fm.sidebar ?? fm.title ?? f.replace(/\.md$/, ''), link: `/${folder}/${f.replace(/\.md$/, '')}` }));
}

/** The API reference's sidebar, written by `npm run api -w @trainkit/docs` (TypeDoc). */
function apiSidebar(): DefaultTheme.SidebarItem[] {
  const file = join(docs, 'api', 'typedoc-sidebar.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as DefaultTheme.SidebarItem[]) : [];
}

/**
 * One sidebar per API entry point (its own pages, expanded) plus the index's list of entry
 * points. A single sidebar of every symbol made each of the ~600 API pages carry ~800 links
 * (240 kB of HTML per page, 200 MB of site); VitePress picks the deepest matching key.
 */
function apiSidebars(): DefaultTheme.SidebarMulti {
  const entries = apiSidebar();
  const index: DefaultTheme.SidebarItem = { text: 'API reference', link: '/api/', items: entries.map(({ text, link }) => ({ text, link })) };
  const out: DefaultTheme.SidebarMulti = { '/api/': [{ text: '← Guide', link: '/getting-started' }, index] };
  for (const entry of entries) {
    if (entry.link === undefined) continue;
    out[entry.link] = [{ text: '← API index', link: '/api/' }, { ...entry, collapsed: false }];
  }
  return out;
}

const guide: DefaultTheme.SidebarItem[] = [
  {
    text: 'Introduction',
    items: [
      { text: 'Install and first script', link: '/install' },
      { text: 'Getting started', link: '/getting-started' },
      { text: 'Concepts', link: '/concepts' },
    ],
  },
  { text: 'Packages', items: pagesIn('packages') },
  { text: 'Guides', items: [...pagesIn('guide'), { text: 'Playground', link: '/playground' }] },
  { text: 'API reference', link: '/api/' },
];

export default defineConfig({
  title: 'trainkit',
  description: 'Neural-network training in TypeScript, for Node and the browser',
  lang: 'en-US',
  cleanUrls: false,
  lastUpdated: false,
  // the page-hash map and site data go to one shared chunk instead of being inlined in each of
  // the ~600 pages (130 kB per page)
  metaChunk: true,
  srcExclude: ['examples/**'],
  head: [['link', { rel: 'icon', href: 'data:,' }]],
  themeConfig: {
    nav: [
      { text: 'Guide', link: '/getting-started' },
      { text: 'Packages', link: '/packages/core' },
      { text: 'API', link: '/api/' },
      { text: 'Playground', link: '/playground' },
    ],
    sidebar: {
      ...apiSidebars(),
      '/': guide,
    },
    outline: { level: [2, 3] },
    search: { provider: 'local' },
    footer: { message: 'MIT licensed. Every code sample on this site is a file in docs/examples/ that CI runs.' },
  },
  vite: {
    worker: { format: 'es' },
    build: { chunkSizeWarningLimit: 2000 },
  },
});
