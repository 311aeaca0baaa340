import { describe, expect, test } from 'vitest';
import fixtures from './__tests__/torchvision-fixtures.json';
import { colorJitter, randomCrop, randomErasing, randomHorizontalFlip, randomResizedCrop, randomRotation, randomTranslate, randomVerticalFlip } from './index';
import { rotationInverse } from './rotation';
import type { Transform } from './transform';

// torchvision's functional transforms on small images with fixed parameters (see
// tools/aug-preview/fixtures/torchvision_fixtures.py): the same parameters replayed through
// our transforms must give the same pixels. This pins the conventions — rotation sign and
// centre, which flip is which, translation direction, padding, resize sampling, colour maths.

interface Case {
  name: string;
  transform: string;
  shape: [number, number, number, number];
  input: number[];
  params: Record<string, unknown>;
  output: number[];
}

function ours(c: Case): { t: Transform; params: unknown } {
  const p = c.params as Record<string, never>;
  const rgb = c.shape[1] === 3;
  switch (c.transform) {
    case 'randomRotation':
      return { t: randomRotation({ degrees: 0, fill: p.fill, interpolation: p.interpolation }), params: [{ angle: p.angle }] };
    case 'randomHorizontalFlip':
      return { t: randomHorizontalFlip({ p: 1 }), params: [true] };
    case 'randomVerticalFlip':
      return { t: randomVerticalFlip({ p: 1 }), params: [true] };
    case 'randomTranslate':
      return { t: randomTranslate({ max: 3, fill: p.fill }), params: [{ dx: p.dx, dy: p.dy }] };
    case 'randomCrop':
      return { t: randomCrop({ size: p.size, padding: p.padding, fill: p.fill }), params: [{ top: p.top, left: p.left }] };
    case 'randomResizedCrop':
      return { t: randomResizedCrop({ size: p.size }), params: [{ top: p.top, left: p.left, height: p.height, width: p.width }] };
    case 'randomErasing':
      return { t: randomErasing({ value: p.value }), params: [{ top: p.top, left: p.left, height: p.height, width: p.width }] };
    case 'colorJitter':
      return { t: colorJitter(rgb ? { brightness: 1, contrast: 1, saturation: 1, hue: 0.5 } : { brightness: 1, contrast: 1 }), params: [c.params] };
    default:
      throw new Error(`no mapping for ${c.transform}`);
  }
}

describe(`torchvision ${fixtures.torchvision} equivalence`, () => {
  test.each((fixtures.cases as Case[]).map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const { t, params } = ours(c);
    const [n, ch, h, w] = c.shape;
    const shape = { n, c: ch, h, w };
    const outShape = t.outputShape(shape);
    const out = new Float32Array(outShape.n * outShape.c * outShape.h * outShape.w);
    t.apply(Float32Array.from(c.input), out, shape, params);
    expect(out.length).toBe(c.output.length);
    let worst = 0;
    out.forEach((v, k) => (worst = Math.max(worst, Math.abs(v - c.output[k]))));
    expect(worst).toBeLessThan(2e-5);
  });

  test("rotation: where all four bilinear neighbours lie inside the image, pixels equal torchvision's own fill= output", () => {
    // torchvision's fill= blends m·sample + (1 − m)·fill over an already zero-padded sample, so
    // it differs from ours (and leaves the input range) only where the 2×2 neighbourhood is cut.
    for (const c of (fixtures.cases as Case[]).filter((k) => k.transform === 'randomRotation' && k.params.masked !== undefined)) {
      const masked = c.params.masked as number[];
      const [, ch, h, w] = c.shape;
      const m = rotationInverse(c.params.angle as number, h, w);
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          const [sx, sy] = [m.a * x + m.b * y + m.tx, m.c * x + m.d * y + m.ty];
          const inside = Math.floor(sx) >= 0 && Math.floor(sy) >= 0 && Math.ceil(sx) < w && Math.ceil(sy) < h;
          for (let k = 0; k < ch; k++) if (inside) expect(Math.abs(c.output[k * h * w + y * w + x] - masked[k * h * w + y * w + x])).toBeLessThan(2e-5);
        }
    }
  });
});
