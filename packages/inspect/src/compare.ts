import type { Module } from '@trainkit/nn';
import { formatShape, sameShape } from '@trainkit/tensor';
import { InspectError } from './errors';
import { filterGrid } from './filters';
import { escapeXml } from './svg';

/** How much one parameter moved between two models. */
export interface LayerChange {
  name: string;
  shape: readonly number[];
  /** ‖W_b − W_a‖ / ‖W_a‖ (Frobenius norms); Infinity when W_a is all zeros and W_b is not; NaN when either holds a NaN. */
  relativeChange: number;
  normA: number;
  normB: number;
}

/** Two models side by side: which parameters moved how far, and their first filters. */
export interface ModelComparison {
  /** Parameters present in both with the same shape, in `a`'s order. */
  layers: LayerChange[];
  /** Names only `a` has, only `b` has, and names whose shapes differ (e.g. a replaced head). */
  onlyInA: string[];
  onlyInB: string[];
  mismatched: string[];
  /** The first 4-D parameter both share (the first convolution), or null when there is none. */
  filters: { name: string; svg: string } | null;
  /** A bar per parameter: its relative change. */
  changeSvg: string;
}

const norm = (d: Float32Array): number => Math.sqrt(d.reduce((a, v) => a + v * v, 0));

/** The relative change of each shared parameter, and the names that are not shared. */
function changes(a: Module, b: Module): Pick<ModelComparison, 'layers' | 'onlyInA' | 'onlyInB' | 'mismatched'> {
  const pb = new Map(b.namedParameters());
  const out: ReturnType<typeof changes> = { layers: [], onlyInA: [], onlyInB: [], mismatched: [] };
  for (const [name, wa] of a.namedParameters()) {
    const wb = pb.get(name);
    if (wb === undefined) out.onlyInA.push(name);
    else if (!sameShape(wa.shape, wb.shape)) out.mismatched.push(`${name}: ${formatShape(wa.shape)} vs ${formatShape(wb.shape)}`);
    else {
      const diff = wa.data.map((v, i) => wb.data[i] - v);
      const [normA, normB, d] = [norm(wa.data), norm(wb.data), norm(diff)];
      out.layers.push({ name, shape: wa.shape, relativeChange: normA === 0 ? (d === 0 ? 0 : Infinity) : d / normA, normA, normB });
    }
  }
  const inA = new Set(a.namedParameters().map(([n]) => n));
  out.onlyInB = [...pb.keys()].filter((n) => !inA.has(n));
  return out;
}

/** Horizontal bars, one per layer, of the relative change (the longest bar is the largest change). */
function changeBars(layers: readonly LayerChange[], title: string): string {
  const finite = layers.map((l) => (Number.isFinite(l.relativeChange) ? l.relativeChange : 0));
  const top = Math.max(1e-12, ...finite);
  const labelW = Math.min(220, 12 + 7 * Math.max(4, ...layers.map((l) => l.name.length)));
  const [barW, rowH] = [300, 18];
  const width = labelW + barW + 90;
  const height = 30 + layers.length * rowH + 8;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`];
  parts.push(`<rect width="${width}" height="${height}" fill="#fff"/>`, `<text x="8" y="18" font-size="13">${escapeXml(title)}</text>`);
  layers.forEach((l, i) => {
    const y = 30 + i * rowH;
    const w = Math.max(1, Math.round((barW * finite[i]) / top));
    parts.push(`<text x="${labelW - 6}" y="${y + 12}" text-anchor="end">${escapeXml(l.name)}</text>`);
    parts.push(`<rect x="${labelW}" y="${y + 2}" width="${w}" height="${rowH - 6}" fill="#4a78c2"/>`);
    parts.push(`<text x="${labelW + w + 4}" y="${y + 12}">${Number.isNaN(l.relativeChange) ? 'NaN' : Number.isFinite(l.relativeChange) ? l.relativeChange.toFixed(3) : '∞'}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** Two SVG documents next to each other in one, each under its label. */
export function sideBySide(left: string, right: string, labels: [string, string]): string {
  const size = (svg: string): [number, number] => {
    const m = /width="(\d+(?:\.\d+)?)" height="(\d+(?:\.\d+)?)"/.exec(svg);
    return m === null ? [300, 150] : [Number(m[1]), Number(m[2])];
  };
  const [[wl, hl], [wr, hr]] = [size(left), size(right)];
  const [width, height] = [wl + wr + 16, Math.max(hl, hr) + 20];
  const place = (svg: string, x: number): string => svg.trim().replace(/^<svg /, `<svg x="${x}" y="20" `);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="4" y="14">${escapeXml(labels[0])}</text>`,
    `<text x="${wl + 16}" y="14">${escapeXml(labels[1])}</text>`,
    place(left, 0),
    place(right, wl + 16),
    '</svg>',
    '',
  ].join('\n');
}

/**
 * Compares two models of one architecture by parameter name, e.g. the pretrained and the
 * fine-tuned network of transfer learning: each shared parameter's relative change
 * ‖W_b − W_a‖ / ‖W_a‖ (which layers moved), and the first convolution's filters side by side
 * (which filters carried over).
 *
 * @example
 * const { layers, filters } = compareModels(pretrained, fineTuned);
 */
export function compareModels(a: Module, b: Module, labels: [string, string] = ['a', 'b']): ModelComparison {
  const found = changes(a, b);
  if (found.layers.length === 0) {
    throw new InspectError(`compareModels: the two models share no parameter of the same name and shape (a: ${a.namedParameters().map(([n]) => n).join(', ') || 'none'}; b: ${b.namedParameters().map(([n]) => n).join(', ') || 'none'})`);
  }
  const first = found.layers.find((l) => l.shape.length === 4);
  const pa = new Map(a.namedParameters());
  const pb = new Map(b.namedParameters());
  const filters =
    first === undefined
      ? null
      : { name: first.name, svg: sideBySide(filterGrid(pa.get(first.name)!).svg, filterGrid(pb.get(first.name)!).svg, [`${labels[0]}: ${first.name}`, `${labels[1]}: ${first.name}`]) };
  return { ...found, filters, changeSvg: changeBars(found.layers, `relative weight change, ${labels[0]} → ${labels[1]}`) };
}
