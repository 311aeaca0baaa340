/**
 * The tables of profileModels.ts: trainkit's op names and PyTorch's (aten ops, autograd nodes)
 * put into the same op groups, each group's share of its framework's step, and the hot-spot
 * verdict (a new op whose trainkit share is above 3× PyTorch's share).
 */

export type Phase = 'forward' | 'backward' | 'optimizer';

/** Milliseconds per step of one op (trainkit op or function name; PyTorch aten op or autograd node) in one phase. */
export interface ProfileGroup {
  phase: Phase | 'other';
  op: string;
  ms: number;
}

export interface Timing {
  /** Step time without the profiler, and with it. */
  stepMs: number;
  profiledStepMs: number;
  groups: ProfileGroup[];
  describe: string;
}

/** A new op's share may be at most this many times PyTorch's share before it counts as a hot spot. */
export const HOT_SPOT_RATIO = 3;

/** Op groups, first match wins; `isNew`: an op added with the zoo (the hot-spot check applies to it). */
const GROUPS: ReadonlyArray<{ group: string; test: RegExp; isNew: boolean }> = [
  { group: 'cross-entropy', test: /log_?softmax|nll|cross_?entropy/i, isNew: false },
  { group: 'softmax', test: /softmax/i, isNew: true },
  { group: 'LayerNorm', test: /layer_?norm/i, isNew: true },
  { group: 'GroupNorm', test: /group_?norm/i, isNew: true },
  { group: 'BatchNorm', test: /batch_?norm/i, isNew: true },
  { group: 'GELU', test: /gelu/i, isNew: true },
  { group: 'attention matmuls (batched)', test: /bmm|^(aten::)?matmul$|MatmulBackward/i, isNew: true },
  { group: 'convolution', test: /conv/i, isNew: false },
  { group: 'linear', test: /linear|addmm|^aten::mm$|MmBackward|^aten::t$|TBackward/i, isNew: false },
  { group: 'ReLU', test: /relu|threshold/i, isNew: false },
  { group: 'average pooling (global)', test: /avg_?pool|adaptive|globalAvgPool|^(aten::)?mean$|MeanBackward/i, isNew: true },
  { group: 'add, mul, div', test: /^(aten::)?(add|sub|mul|div)_?$|^(Add|Sub|Mul|Div)Backward/i, isNew: false },
  { group: 'reshape, permute, concat, slice', test: /view|reshape|permute|transpose|cat|concat|slice|select|expand|clone|contiguous|copy|chunk|split|flatten|unsafe|as_strided|squeeze/i, isNew: false },
  { group: 'optimizer step', test: /\(optimizer\)/, isNew: false },
];
const OTHER = 'other (module code, autograd bookkeeping, GC)';

export function groupOf(op: string): { group: string; isNew: boolean } {
  return GROUPS.find((g) => g.test.test(op)) ?? { group: OTHER, isNew: false };
}

interface Row {
  forward: number;
  backward: number;
  total: number;
}

/** Milliseconds per step by op group, and the whole profiled step (the sum of every group). */
export function byGroup(t: Timing): { rows: Map<string, Row>; total: number } {
  const rows = new Map<string, Row>();
  let total = 0;
  for (const g of t.groups) {
    const key = groupOf(g.op).group;
    const row = rows.get(key) ?? { forward: 0, backward: 0, total: 0 };
    if (g.phase === 'forward') row.forward += g.ms;
    if (g.phase === 'backward') row.backward += g.ms;
    row.total += g.ms;
    total += g.ms;
    rows.set(key, row);
  }
  return { rows, total };
}

const f1 = (x: number) => (x >= 10 ? x.toFixed(0) : x.toFixed(1));
const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

/** One model's section: the table by op group, then the hot-spot verdict for the new ops. */
export function renderProfile(title: string, tk: Timing, torch: Timing | string): string {
  const a = byGroup(tk);
  const b = typeof torch === 'string' ? null : byGroup(torch);
  const keys = [...new Set([...a.rows.keys(), ...(b?.rows.keys() ?? [])])].sort((x, y) => (a.rows.get(y)?.total ?? 0) - (a.rows.get(x)?.total ?? 0));
  const lines = [
    `## ${title}`,
    '',
    `- ${tk.describe}: ${f1(tk.stepMs)} ms per step (${f1(tk.profiledStepMs)} ms while profiled)`,
    typeof torch === 'string' ? `- PyTorch: not measured (${torch})` : `- ${torch.describe}: ${f1(torch.stepMs)} ms per step (${f1(torch.profiledStepMs)} ms while profiled)`,
    '',
    '| op group | trainkit fwd ms | trainkit bwd ms | trainkit share | PyTorch fwd ms | PyTorch bwd ms | PyTorch share | share ratio |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const hot: string[] = [];
  const checked: string[] = [];
  for (const key of keys) {
    const r = a.rows.get(key) ?? { forward: 0, backward: 0, total: 0 };
    const q = b?.rows.get(key);
    const shareA = r.total / a.total;
    const shareB = q && b ? q.total / b.total : null;
    const ratio = shareB === null || shareB === 0 ? null : shareA / shareB;
    const isNew = GROUPS.find((g) => g.group === key)?.isNew ?? false;
    const name = isNew ? `${key} (new)` : key;
    lines.push(`| ${name} | ${f1(r.forward)} | ${f1(r.backward)} | ${pct(shareA)} | ${q ? f1(q.forward) : '—'} | ${q ? f1(q.backward) : '—'} | ${shareB === null ? '—' : pct(shareB)} | ${ratio === null ? '—' : `${ratio.toFixed(2)}×`} |`);
    if (isNew && r.total > 0) {
      checked.push(key);
      if (ratio !== null && ratio > HOT_SPOT_RATIO) hot.push(`${key} (${pct(shareA)} of trainkit's step against ${pct(shareB as number)} of PyTorch's, ${ratio.toFixed(1)}×)`);
    }
  }
  lines.push('', `New ops in this model: ${checked.join(', ') || 'none'}.`);
  if (b === null) lines.push('Hot spots: not decided (no PyTorch profile).');
  else lines.push(hot.length === 0 ? `Hot spots above ${HOT_SPOT_RATIO}× PyTorch's share: none.` : `**Hot spots above ${HOT_SPOT_RATIO}× PyTorch's share:** ${hot.join('; ')}.`);
  return lines.join('\n') + '\n';
}
