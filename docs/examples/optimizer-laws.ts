// Property checks for the example optimizer with fast-check: the laws every optimizer keeps.
import fc from 'fast-check';
import type { Optimizer, ParamRef } from '@trainkit/core';
import { signum } from './signum';

const runs = Number(process.env.NUM_RUNS ?? 100);
const vec = fc.array(fc.float({ min: -10, max: 10, noNaN: true }), { minLength: 1, maxLength: 16 }).map((a) => Float32Array.from(a));

/** Applies `steps` updates with the same gradient; returns the final values. */
function run(opt: Optimizer, start: Float32Array, grad: Float32Array, steps = 3): Float32Array {
  const p: ParamRef = { name: 'w', value: start.slice(), grad };
  for (let i = 0; i < steps; i++) opt.step([p]);
  return p.value;
}

// #region laws
// 1. Deterministic: two fresh optimizers, same input → bit-identical output.
fc.assert(fc.property(vec, vec, (w, g) => {
  const n = Math.min(w.length, g.length);
  const a = run(signum({ lr: 0.01 }), w.subarray(0, n), g.subarray(0, n));
  const b = run(signum({ lr: 0.01 }), w.subarray(0, n), g.subarray(0, n));
  return a.every((v, i) => Object.is(v, b[i]));
}), { numRuns: runs });

// 2. Finite in, finite out.
fc.assert(fc.property(vec, (g) => run(signum({ lr: 0.01 }), new Float32Array(g.length), g).every(Number.isFinite)), { numRuns: runs });

// 3. A zero gradient from a zero state moves nothing.
fc.assert(fc.property(vec, (w) => run(signum({ lr: 0.01 }), w, new Float32Array(w.length)).every((v, i) => v === w[i])), { numRuns: runs });

// 4. Save, restore, step: the same as stepping without the round trip.
fc.assert(fc.property(vec, (g) => {
  const a = signum({ lr: 0.01 });
  const w = new Float32Array(g.length).fill(1);
  const p: ParamRef = { name: 'w', value: w, grad: g };
  a.step([p]);
  const b = signum({ lr: 0.01 });
  b.loadStateDict(a.stateDict());
  const pa = { ...p, value: p.value.slice() };
  const pb = { ...p, value: p.value.slice() };
  a.step([pa]);
  b.step([pb]);
  return pa.value.every((v, i) => Object.is(v, pb.value[i]));
}), { numRuns: runs });
// #endregion laws

console.log(`signum keeps the 4 laws (${runs} random cases each)`);
