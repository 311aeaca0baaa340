import { INDEX_1D, type KernelDef, MAIN_1D } from '../kernel';

/** Operation codes of {@link binaryKernel}. */
export const BINARY = { add: 0, sub: 1, mul: 2, div: 3, rsub: 4, rdiv: 5 } as const;

/**
 * Z[i] = op(X[i], Y[i mod m]) · scale, for the element-wise ops of device tensors: same shapes
 * (m = n), a scalar (m = 1) or a trailing broadcast such as a bias row (m divides n). `rsub` and
 * `rdiv` swap the operands (a number on the left of − or ÷).
 */
export const binaryKernel: KernelDef = {
  name: 'binary',
  buffers: [['X', 'read', 'f32'], ['Y', 'read', 'f32'], ['Z', 'read_write', 'f32']],
  uniforms: [['n', 'u32'], ['m', 'u32'], ['op', 'u32'], ['scale', 'f32']],
  body: `${MAIN_1D} {
  ${INDEX_1D('p.n')}
  let x = X[i];
  let y = Y[i % p.m];
  var z = 0.0;
  switch p.op {
    case 0u: { z = x + y; }
    case 1u: { z = x - y; }
    case 2u: { z = x * y; }
    case 3u: { z = x / y; }
    case 4u: { z = y - x; }
    default: { z = y / x; }
  }
  Z[i] = z * p.scale;
}`,
};

/** Y[i] = X[i mod m] · scale: a scalar spread over a tensor (the gradient of a sum), or a scaled copy (m = n). */
export const broadcastKernel: KernelDef = {
  name: 'broadcast',
  buffers: [['X', 'read', 'f32'], ['Y', 'read_write', 'f32']],
  uniforms: [['n', 'u32'], ['m', 'u32'], ['scale', 'f32']],
  body: `${MAIN_1D} {
  ${INDEX_1D('p.n')}
  Y[i] = X[i % p.m] * p.scale;
}`,
};

/** A[i] += G[i]: a gradient added into the one a tensor already has. */
export const accumulateKernel: KernelDef = {
  name: 'accumulate',
  buffers: [['G', 'read', 'f32'], ['A', 'read_write', 'f32']],
  uniforms: [['n', 'u32']],
  body: `${MAIN_1D} {
  ${INDEX_1D('p.n')}
  A[i] += G[i];
}`,
};
