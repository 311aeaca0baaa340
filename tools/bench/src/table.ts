import type { BundleReport } from './bundle';
import type { MemoryResult } from './processes';
import type { Cell, WorkloadId } from './spec';

export interface Results {
  machine: Record<string, string | number>;
  /** `info`/`warning`: what a runner reported about itself (the PyTorch runner: its BLAS). */
  columns: Array<{ key: string; label: string; unavailable: string | null; info?: string; warning?: string | null }>;
  rows: Array<{ id: WorkloadId; name: string; unit: string; cells: Record<string, Cell> }>;
  memory: MemoryResult | { error: string } | null;
  bundle: BundleReport | null;
  seconds: number;
}

export interface Target {
  what: string;
  need: string;
  got: string;
  /** null when it could not be measured in this run */
  met: boolean | null;
}

export function formatValue(x: number, unit: string): string {
  if (unit === 'GFLOPS') return x.toFixed(x < 10 ? 2 : 1);
  if (x >= 1e6) return `${(x / 1e6).toFixed(x >= 1e8 ? 0 : 1)} M`;
  return x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toPrecision(3);
}

const value = (r: Results['rows'][number] | undefined, key: string): number | null => {
  const c = r?.cells[key];
  return c && 'median' in c ? c.median : null;
};

function cellText(r: Results['rows'][number], key: string): string {
  const c = r.cells[key];
  if (!c) return '';
  if (!('median' in c)) return c.skipped === 'not available' ? '—' : `— (${c.skipped})`;
  const v = formatValue(c.median, r.unit);
  if (key === 'trainkit') return `**${v}**`;
  const tk = value(r, 'trainkit');
  if (key === 'trainkit-2t') return tk === null ? v : `${v} (${(c.median / tk).toFixed(2)}× of 1 thread)`;
  return tk === null ? v : `${v} (${(tk / c.median).toFixed(tk / c.median >= 10 ? 0 : 2)}×)`;
}

function ratio(results: Results, id: WorkloadId, peer: string): number | null {
  const r = results.rows.find((x) => x.id === id);
  const a = value(r, 'trainkit');
  const b = value(r, peer);
  return a === null || b === null ? null : a / b;
}

/**
 * The must-show lists of the performance issues, checked against this run: the first round's,
 * then the second's (ratios to a correctly measured PyTorch, 2 threads ÷ 1 thread, matmul
 * GFLOPS), each listed once at the stricter of the two needs where both rounds set one.
 */
export function targets(results: Results): Target[] {
  const t: Target[] = [];
  const check = (what: string, need: number, x: number | null, got = (v: number) => `${v.toFixed(2)}×`, needText = `≥ ${need}×`) =>
    t.push({ what, need: needText, got: x === null ? 'not measured' : got(x), met: x === null ? null : x >= need });
  const ratioTarget = (what: string, id: WorkloadId, peer: string, need: number) => check(what, need, ratio(results, id, peer));
  const threadsTarget = (what: string, id: WorkloadId, need: number) => {
    const row = results.rows.find((x) => x.id === id);
    const one = value(row, 'trainkit');
    const two = value(row, 'trainkit-2t');
    check(`${what}, 2 threads vs 1 thread`, need, one === null || two === null ? null : two / one);
  };
  ratioTarget('CNN training vs ConvNetJS', 'cnn-train', 'convnetjs', 20);
  ratioTarget('MLP training vs TF.js wasm', 'mlp-train', 'tfjs-wasm', 2);
  ratioTarget('Adam step vs plain JS loop', 'adam-10m', 'plain', 3);
  ratioTarget('momentum step vs plain JS loop', 'momentum-10m', 'plain', 3);
  ratioTarget('matmul vs TF.js wasm', 'matmul-1024', 'tfjs-wasm', 0.6);
  ratioTarget('CNN training vs PyTorch (1 thread)', 'cnn-train', 'torch', 0.6);
  ratioTarget('MLP training vs PyTorch (1 thread)', 'mlp-train', 'torch', 0.5);
  ratioTarget('CNN inference vs PyTorch (1 thread)', 'cnn-infer', 'torch', 0.7);
  ratioTarget('ResNet-8 training vs PyTorch (1 thread)', 'resnet8-train', 'torch', 0.5);
  threadsTarget('CNN training', 'cnn-train', 1.7);
  threadsTarget('MLP training', 'mlp-train', 1.5);
  threadsTarget('Adam step', 'adam-10m', 1.5);
  threadsTarget('momentum step', 'momentum-10m', 1.5);
  const gflops = value(results.rows.find((x) => x.id === 'matmul-1024'), 'trainkit');
  check('1024×1024 matmul, 1 thread', 35, gflops, (v) => `${v.toFixed(1)} GFLOPS`, '≥ 35 GFLOPS');
  const m = results.memory;
  if (m && 'rss' in m) {
    const mib = (x: number) => (x / 2 ** 20).toFixed(0);
    // a leak shows as growth; memory given back between epochs (a smaller RSS) is not one
    const pct = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(1)}%`;
    const d = (m.rss[2] - m.rss[0]) / m.rss[0];
    t.push({ what: `RSS growth from epoch 1 to epoch 3 (${m.images.toLocaleString('en-US')} images/epoch)`, need: '< 5%', got: `${mib(m.rss[0])} → ${mib(m.rss[2])} MiB (${pct(d)})`, met: d < 0.05 });
    const g = (m.rssAfterGc[2] - m.rssAfterGc[0]) / m.rssAfterGc[0];
    t.push({ what: 'the same, each after a full GC', need: '< 5%', got: `${mib(m.rssAfterGc[0])} → ${mib(m.rssAfterGc[2])} MiB (${pct(g)})`, met: g < 0.05 });
  }
  const b = results.bundle;
  if (b) {
    t.push({ what: 'minimal training program, minified + gzip, WASM included', need: '≤ 60 KB', got: `${(b.minimal.gzip / 1000).toFixed(1)} KB`, met: b.minimal.gzip <= 60_000 });
    const unused = b.plugins.map((p) => p.unusedImportAddsBytes ?? 0);
    t.push({ what: 'a plugin imported but not used adds', need: '0 bytes', got: `${Math.max(...unused)} bytes (max over ${unused.length} plugins)`, met: unused.every((x) => x === 0) });
  }
  return t;
}

export function markdown(results: Results, checks: Target[]): string {
  const m = results.machine;
  const cols = results.columns.filter((c) => c.unavailable === null);
  const lines = [
    `# trainkit benchmark (${m.mode})`,
    '',
    `${m.cpu}, ${m.cores} cores, Node ${m.node}, 1 thread per library; load average ${Number(m.loadAverageAtStart).toFixed(1)} at start, ${Number(m.loadAverageAtEnd).toFixed(1)} at end; ${m.date}; ${results.seconds.toFixed(0)} s.`,
    '',
    `${Number(m.rounds ?? 1) > 1 ? `Each row measured in ${m.rounds} rounds, the libraries taking turns; each cell is the median of its timed windows (≥ 3 per round, after warm-up) over all rounds.` : 'Median of ≥ 3 timed windows after warm-up.'} In parentheses: trainkit (1 thread) ÷ that library, measured in this run (rows are measured one at a time across all libraries, so a row's numbers share the machine's load; compare within a row).`,
    '',
    `| workload | unit | ${cols.map((c) => c.label).join(' | ')} |`,
    `|---|---|${cols.map(() => '---|').join('')}`,
    ...results.rows.map((r) => `| ${r.name} | ${r.unit} | ${cols.map((c) => cellText(r, c.key)).join(' | ')} |`),
    '',
    'The augmentation rows run the same JavaScript in every trainkit column (no kernel or thread setting applies to them), so their differences there are run-to-run noise. With 2 threads the pool splits convolutions, matrix products and optimizer updates of 65,536 values or more; the rest of a step (element-wise ops, normalization, softmax) runs on one thread.',
    '',
  ];
  const missing = results.columns.filter((c) => c.unavailable !== null);
  if (missing.length) lines.push(...missing.map((c) => `- ${c.label}: ${c.unavailable}`), '');
  for (const c of cols.filter((x) => x.info)) lines.push(`- ${c.label}: ${c.info}`, ...(c.warning ? [`- **WARNING (${c.label})**: ${c.warning}`] : []), '');
  lines.push('## Targets', '', '| target | needs | this run | |', '|---|---|---|---|', ...checks.map((c) => `| ${c.what} | ${c.need} | ${c.got} | ${c.met === null ? '—' : c.met ? 'met' : 'missed'} |`), '');
  const b = results.bundle;
  if (b) {
    lines.push(
      '## Bundle size',
      '',
      `Minimal browser training program (tensor + nn + core + optim-adam: MLP, fit, predict), esbuild --minify: ${b.minimal.bytes.toLocaleString('en-US')} bytes, ${b.minimal.gzip.toLocaleString('en-US')} gzip, including the WebAssembly kernels (${b.wasmModule.moduleBytes.toLocaleString('en-US')} bytes, embedded as ${b.wasmModule.base64Bytes.toLocaleString('en-US')} characters of base64${b.wasmModule.relaxedDeltaBase64Bytes === undefined ? '' : `, and the relaxed SIMD build as a delta against it, ${b.wasmModule.relaxedDeltaBase64Bytes.toLocaleString('en-US')} characters`}).`,
      '',
      '| plugin added | + bytes | + gzip | imported but unused |',
      '|---|---|---|---|',
      ...b.plugins.map((p) => `| ${p.pkg} | ${'error' in p.used ? p.used.error : p.used.bytes.toLocaleString('en-US')} | ${'error' in p.used ? '' : p.used.gzip.toLocaleString('en-US')} | ${p.unusedImportAddsBytes === null ? '' : `+${p.unusedImportAddsBytes}`} |`),
      '',
    );
  }
  const mem = results.memory;
  if (mem) {
    lines.push('## Memory', '', 'error' in mem ? `memory run failed: ${mem.error}` : `Reference CNN, Adam, batch 64, ${mem.images.toLocaleString('en-US')} MNIST images per epoch, RSS after epochs 1-3: ${mem.rss.map((x) => `${(x / 2 ** 20).toFixed(0)} MiB`).join(', ')}; after a full GC: ${mem.rssAfterGc.map((x) => `${(x / 2 ** 20).toFixed(0)} MiB`).join(', ')} (${mem.seconds.toFixed(0)} s).`, '');
  }
  return lines.join('\n');
}
