import { describe, expect, it } from 'vitest';
import { type Cell, type WorkloadId, mergeRounds } from './spec';
import { type Results, markdown, targets } from './table';

/** A one-row run of `id` with the given medians per column (all rates: higher is faster). */
function run(id: WorkloadId, medians: Record<string, number>): Results {
  const cells: Record<string, Cell> = Object.fromEntries(Object.entries(medians).map(([k, median]) => [k, { id, median, windows: [median] }]));
  return {
    machine: { cpu: 'x', cores: 2, node: 'v20', threads: 1, loadAverageAtStart: 0, loadAverageAtEnd: 0, date: 'd', mode: 'quick' },
    columns: Object.keys(medians).map((key) => ({ key, label: key, unavailable: null })),
    rows: [{ id, name: 'row', unit: 'samples/s', cells }],
    memory: null,
    bundle: null,
    seconds: 1,
  };
}

describe('ratios in the table', () => {
  it('show trainkit ÷ peer, so a value above 1 means trainkit is faster', () => {
    expect(markdown(run('cnn-train', { trainkit: 300, torch: 150, convnetjs: 600 }), [])).toContain('| row | samples/s | **300** | 150 (2.00×) | 600 (0.50×) |');
  });

  it('show the 2-thread column as 2 threads ÷ 1 thread', () => {
    expect(markdown(run('cnn-train', { trainkit: 200, 'trainkit-2t': 300 }), [])).toContain('300 (1.50× of 1 thread)');
  });

  it('check the targets in the same direction as the table', () => {
    const t = targets(run('cnn-train', { trainkit: 200, 'trainkit-2t': 300, torch: 400, convnetjs: 10 }));
    expect(t.find((x) => x.what === 'CNN training vs PyTorch (1 thread)')).toMatchObject({ need: '≥ 0.6×', got: '0.50×', met: false });
    expect(t.find((x) => x.what === 'CNN training vs ConvNetJS')).toMatchObject({ got: '20.00×', met: true });
    expect(t.find((x) => x.what === 'CNN training, 2 threads vs 1 thread')).toMatchObject({ need: '≥ 1.7×', got: '1.50×', met: false });
    expect(targets(run('cnn-train', { trainkit: 240, 'trainkit-2t': 420, torch: 400 })).filter((x) => x.what.startsWith('CNN training')).map((x) => x.met)).toEqual([null, true, true]);
  });

  it('list the second round: ratios to PyTorch, 2 threads vs 1 on four rows, and matmul GFLOPS, unmeasured rows as not measured', () => {
    const t = targets(run('matmul-1024', { trainkit: 36.2, 'trainkit-2t': 50 }));
    expect(t.find((x) => x.what === '1024×1024 matmul, 1 thread')).toEqual({ what: '1024×1024 matmul, 1 thread', need: '≥ 35 GFLOPS', got: '36.2 GFLOPS', met: true });
    for (const what of ['MLP training vs PyTorch (1 thread)', 'CNN inference vs PyTorch (1 thread)', 'ResNet-8 training vs PyTorch (1 thread)', 'MLP training, 2 threads vs 1 thread', 'Adam step, 2 threads vs 1 thread', 'momentum step, 2 threads vs 1 thread']) {
      expect(t.find((x) => x.what === what)).toMatchObject({ got: 'not measured', met: null });
    }
    expect(targets(run('momentum-10m', { trainkit: 100, 'trainkit-2t': 149 })).find((x) => x.what === 'momentum step, 2 threads vs 1 thread')).toMatchObject({ need: '≥ 1.5×', got: '1.49×', met: false });
  });
});

describe('the memory target', () => {
  const withRss = (rss: number[]): Results => ({ ...run('cnn-train', { trainkit: 1 }), memory: { images: 60_000, rss, rssAfterGc: rss, seconds: 1 } as Results['memory'] });
  const MiB = 2 ** 20;

  it('is missed by growth of 5 % or more from epoch 1 to epoch 3 (a leak)', () => {
    expect(targets(withRss([100 * MiB, 103 * MiB, 106 * MiB])).find((x) => x.what.startsWith('RSS growth'))).toMatchObject({ got: '100 → 106 MiB (+6.0%)', met: false });
  });

  it('is met when memory is given back (an RSS that shrinks is no leak)', () => {
    expect(targets(withRss([353 * MiB, 340 * MiB, 334 * MiB])).find((x) => x.what.startsWith('RSS growth'))).toMatchObject({ got: '353 → 334 MiB (−5.4%)', met: true });
  });
});


describe('rounds', () => {
  it('pool every round\'s windows into one median, and a skipped round skips the cell', () => {
    const a = { id: 'cnn-train' as const, median: 2, windows: [1, 2, 3], cpuMedian: 2 };
    const b = { id: 'cnn-train' as const, median: 20, windows: [10, 20, 30], cpuMedian: 20 };
    expect(mergeRounds([a, b])).toEqual({ id: 'cnn-train', median: 6.5, windows: [1, 2, 3, 10, 20, 30], cpuMedian: 11 });
    expect(mergeRounds([a])).toBe(a);
    expect(mergeRounds([a, { id: 'cnn-train', skipped: 'no wasm kernel' }])).toEqual({ id: 'cnn-train', skipped: 'no wasm kernel' });
  });
});
