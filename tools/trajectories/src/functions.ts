// The 2-D test functions: each is a landscape where one optimizer's weakness shows.

/** A 2-D function with its gradient, where to start, the minimum and the window to draw. */
export interface TestFunction {
  id: string;
  title: string;
  /** The formula, as shown on the picture. */
  formula: string;
  value(x: number, y: number): number;
  grad(x: number, y: number): [number, number];
  start: [number, number];
  /** A global minimum and its value. */
  minimum: [number, number];
  minValue: number;
  /** Drawing window: [xmin, xmax, ymin, ymax]; the picture grows it to contain every path. */
  window: [number, number, number, number];
  /** Converged once f − f* falls below this. */
  tolerance: number;
}

/**
 * f = ½(x² + 50y²): the curvature along y is 50× that along x. Plain SGD must keep its lr
 * small enough for y, so it zig-zags across the valley and crawls along it.
 */
export const illConditioned: TestFunction = {
  id: 'ill-conditioned',
  title: 'Ill-conditioned quadratic',
  formula: 'f(x, y) = ½ (x² + 50 y²)',
  value: (x, y) => 0.5 * (x * x + 50 * y * y),
  grad: (x, y) => [x, 50 * y],
  start: [-8, 2],
  minimum: [0, 0],
  minValue: 0,
  window: [-9, 3, -2.5, 2.5],
  tolerance: 1e-3,
};

/**
 * f = x² + y⁴/4 − y²/2: a saddle point at the origin between two minima at (0, ±1). Started
 * almost on the ridge, plain SGD sees a tiny gradient along y and waits a long time.
 */
export const saddle: TestFunction = {
  id: 'saddle',
  title: 'Saddle point',
  formula: 'f(x, y) = x² + y⁴/4 − y²/2',
  value: (x, y) => x * x + (y * y * y * y) / 4 - (y * y) / 2,
  grad: (x, y) => [2 * x, y * y * y - y],
  start: [-1.5, 1e-3],
  minimum: [0, 1],
  minValue: -0.25,
  window: [-2, 2, -1.5, 1.5],
  tolerance: 1e-3,
};

/** Rosenbrock's banana: a curved, flat-bottomed valley leading to the minimum at (1, 1). */
export const rosenbrock: TestFunction = {
  id: 'rosenbrock',
  title: 'Rosenbrock',
  formula: 'f(x, y) = (1 − x)² + 100 (y − x²)²',
  value: (x, y) => (1 - x) ** 2 + 100 * (y - x * x) ** 2,
  grad: (x, y) => [-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)],
  start: [-1.2, 1],
  minimum: [1, 1],
  minValue: 0,
  window: [-1.5, 1.5, -0.5, 1.5],
  tolerance: 1e-3,
};

export const FUNCTIONS: readonly TestFunction[] = [illConditioned, saddle, rosenbrock];
