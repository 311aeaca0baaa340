import type { Plugin } from '@trainkit/core';
import type { Parameter } from '@trainkit/nn';
import { type Tensor, ValueError, abs, add, mul, square, sum } from '@trainkit/tensor';

/** Decides which parameters a penalty applies to. */
export type ParamFilter = (name: string, param: Parameter) => boolean;

/** Token and position embeddings, which timm leaves out of weight decay (its `no_weight_decay` names). */
const EMBEDDING_TOKENS = /(?:^|\.)(?:cls_token|dist_token|pos_embed|position_embeddings?|relative_position_bias_table)$/;

/**
 * The default filter: weights only — parameters of rank ≥ 2 (linear and conv kernels), so
 * biases and normalization scales/shifts (rank 1) are not decayed; nor are a ViT's class
 * token and position embedding (`cls_token`, `pos_embed`, …: rank 3, but not weights), as in timm.
 */
export const weightsOnly: ParamFilter = (name, p) => p.rank >= 2 && !EMBEDDING_TOKENS.test(name);

/** Options of {@link penalty}. */
export interface PenaltyOptions {
  /** λ of the L2 term λ·Σw² (default 0). */
  l2?: number;
  /** λ of the L1 term λ·Σ|w| (default 0). */
  l1?: number;
  /** Which parameters are penalized (default {@link weightsOnly}). */
  filter?: ParamFilter;
}

function checkLambda(name: string, v: number | undefined): number {
  const x = v ?? 0;
  if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) throw new ValueError(`penalty: ${name} must be a finite number ≥ 0, got ${String(v)}`);
  return x;
}

function checkFilter(f: unknown): ParamFilter {
  if (f === undefined) return weightsOnly;
  if (typeof f === 'function') return f as ParamFilter;
  const head = 'penalty: filter must be a function (name, param) => boolean, got';
  if (f instanceof RegExp) throw new ValueError(`${head} the RegExp ${String(f)}; e.g. filter: (name) => ${String(f)}.test(name)`);
  if (Array.isArray(f)) throw new ValueError(`${head} a list of names; e.g. filter: (name) => names.includes(name)`);
  throw new ValueError(`${head} ${f === null ? 'null' : `a ${typeof f} (${JSON.stringify(f)})`}`);
}

/**
 * Adds weight penalties to the loss in the `onLoss` hook: L2 (λ·Σw²), L1 (λ·Σ|w|), or both
 * (elastic net). Each term is part of the logged `loss` and also logged as its own metric
 * (`l2`, `l1`). Frozen parameters are skipped. Unlike the optimizers' `weightDecay` (added to
 * the gradient as λ·w), the L2 term here contributes 2λ·w to the gradient.
 *
 * @example
 * new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [penalty({ l2: 1e-4 })] });
 */
export function penalty(options: PenaltyOptions): Plugin {
  if (options === null || typeof options !== 'object') {
    const hint = typeof options === 'number' ? ` (for an L2 term alone: l2Penalty(${options}))` : '';
    throw new ValueError(`penalty: options must be an object such as { l2: 1e-4 }, got ${String(options)}${hint}`);
  }
  const l2 = checkLambda('l2', options.l2);
  const l1 = checkLambda('l1', options.l1);
  if (l2 === 0 && l1 === 0) throw new ValueError('penalty: give l2 and/or l1 greater than 0');
  const filter = checkFilter(options.filter);
  return {
    name: 'penalty',
    onLoss(ctx) {
      const params = ctx.model.namedParameters().filter(([n, p]) => p.requiresGrad && filter(n, p));
      if (params.length === 0) return;
      const total = (f: (t: Tensor) => Tensor): Tensor => params.map(([, p]) => sum(f(p))).reduce((a, b) => add(a, b));
      if (l2 > 0) ctx.addLoss('l2', mul(total(square), l2));
      if (l1 > 0) ctx.addLoss('l1', mul(total(abs), l1));
    },
  };
}

/** L2 only: `l2Penalty(1e-4)` is `penalty({ l2: 1e-4 })`. */
export function l2Penalty(lambda: number, filter?: ParamFilter): Plugin {
  return penalty({ l2: lambda, filter });
}

/** L1 only: `l1Penalty(1e-5)` is `penalty({ l1: 1e-5 })`. */
export function l1Penalty(lambda: number, filter?: ParamFilter): Plugin {
  return penalty({ l1: lambda, filter });
}

/** Elastic net: both terms. */
export function elasticNet(l1: number, l2: number, filter?: ParamFilter): Plugin {
  return penalty({ l1, l2, filter });
}
