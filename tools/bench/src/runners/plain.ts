/**
 * The "plain JS loop" column: what a careful JavaScript author writes by hand on
 * Float32Arrays, for the optimizer steps and the matrix product.
 */
import { ADAM, MATMUL_N, MOMENTUM, OPT_PARAMS, lcg } from '../spec';
import { type Workloads, serve } from './serve';

function vectors(count: number): Float32Array[] {
  const r = lcg(5);
  return Array.from({ length: count }, (_, k) => (k < 2 ? Float32Array.from({ length: OPT_PARAMS }, () => r() - 0.5) : new Float32Array(OPT_PARAMS)));
}

function adamLoop(): () => void {
  const [p, g, m, v] = vectors(4);
  const { lr, beta1: b1, beta2: b2, eps } = ADAM;
  let t = 0;
  return () => {
    t++;
    const c1 = 1 - b1 ** t;
    const c2 = 1 - b2 ** t;
    for (let i = 0; i < p.length; i++) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      p[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps);
    }
  };
}

function momentumLoop(): () => void {
  const [p, g, buf] = vectors(3);
  const { lr, momentum: mu } = MOMENTUM;
  return () => {
    for (let i = 0; i < p.length; i++) {
      buf[i] = mu * buf[i] + g[i];
      p[i] -= lr * buf[i];
    }
  };
}

/** The textbook i-k-j loop (row-major, the inner loop streams a row of B and of C). */
function matmulLoop(): () => void {
  const n = MATMUL_N;
  const r = lcg(9);
  const a = Float32Array.from({ length: n * n }, r);
  const b = Float32Array.from({ length: n * n }, r);
  return () => {
    const c = new Float32Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < n; k++) {
        const aik = a[i * n + k];
        const bo = k * n;
        const co = i * n;
        for (let j = 0; j < n; j++) c[co + j] += aik * b[bo + j];
      }
    }
  };
}

const workloads: Workloads = {
  'adam-10m': () => ({ once: adamLoop(), units: OPT_PARAMS }),
  'momentum-10m': () => ({ once: momentumLoop(), units: OPT_PARAMS }),
  'matmul-1024': () => ({ once: matmulLoop(), units: (2 * MATMUL_N ** 3) / 1e9 }),
};

await serve(workloads);
