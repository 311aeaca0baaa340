import type { Optimizer } from '@trainkit/core';
import type { TestFunction } from './functions';

/** An optimizer in the race: how to make it, its fixed options and its lr per test function. */
export interface Contender {
  label: string;
  make: (options: never) => Optimizer;
  options: Record<string, number | boolean>;
  /** Learning rate per test function id. */
  lr: Record<string, number>;
  color: string;
  /** Stroke width in px; wider paths are drawn first, so a path underneath shows as a border. */
  width: number;
  /** SVG stroke-dasharray, to tell similar paths apart. */
  dash?: string;
  /** The marker drawn at steps 1, 2, 4, 8, … of the path. */
  marker: MarkerShape;
}

export type MarkerShape = 'circle' | 'square' | 'triangle' | 'diamond' | 'cross' | 'plus';

/** One optimizer's run on one function. */
export interface Run {
  contender: Contender;
  lr: number;
  /** Every visited point, the start first. */
  path: Array<[number, number]>;
  /** The first step after which f − f* < tolerance, or null if never within the budget. */
  stepsToTolerance: number | null;
  diverged: boolean;
}

/** Parameters further out than this count as diverged. */
const DIVERGED = 1e6;

/**
 * Runs a fresh optimizer on the function from its start point for up to `maxSteps` steps
 * (float32 parameters, double-precision gradients rounded to float32), stopping early once
 * converged and `stopAtTolerance` is set, or once it diverges.
 */
export function runOn(fn: TestFunction, contender: Contender, { maxSteps, stopAtTolerance = false }: { maxSteps: number; stopAtTolerance?: boolean }): Run {
  const lr = contender.lr[fn.id];
  const opt = (contender.make as (o: Record<string, number | boolean>) => Optimizer)({ ...contender.options, lr });
  const param = { name: 'xy', value: Float32Array.from(fn.start), grad: new Float32Array(2) };
  const path: Array<[number, number]> = [[param.value[0], param.value[1]]];
  let stepsToTolerance: number | null = null;
  let diverged = false;
  for (let t = 1; t <= maxSteps; t++) {
    param.grad.set(fn.grad(param.value[0], param.value[1]));
    try {
      opt.step([param]);
    } catch {
      diverged = true; // a non-finite gradient: the optimizer refused the step
      break;
    }
    const [x, y] = param.value;
    if (!(Math.abs(x) < DIVERGED && Math.abs(y) < DIVERGED)) {
      diverged = true;
      break;
    }
    path.push([x, y]);
    if (stepsToTolerance === null && fn.value(x, y) - fn.minValue < fn.tolerance) {
      stepsToTolerance = t;
      if (stopAtTolerance) break;
    }
  }
  return { contender, lr, path, stepsToTolerance, diverged };
}
