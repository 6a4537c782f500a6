import { checkInteger, MAX_WORK } from "../primitives/validate";

/**
 * Random-number tasks (notebooks 02-04): sums of uniform numbers and Monte
 * Carlo pi. Each call draws from `Math.random`, which every thread and process
 * seeds on its own, so parallel workers do not repeat each other's numbers.
 */

/**
 * Sums `count` uniform random numbers from [0, 1). The expected result is
 * `count / 2`.
 *
 * @param count - how many numbers to draw (an integer ≥ 0).
 */
export function sumRandomNumbers(count: number): number {
  checkInteger("`count`", count, { min: 0, max: MAX_WORK });
  let sum = 0;
  for (let i = 0; i < count; i++) sum += Math.random();
  return sum;
}

/**
 * Estimates pi by throwing `points` random points into the unit square and
 * counting those inside the quarter circle: pi ≈ 4 · inside / points.
 *
 * @param points - number of random points (the task's weight), ≥ 1.
 */
export function monteCarloPi(points: number): number {
  checkInteger("`points`", points, { min: 1, max: MAX_WORK });
  let inside = 0;
  for (let i = 0; i < points; i++) {
    const x = Math.random();
    const y = Math.random();
    if (x * x + y * y <= 1) inside++;
  }
  return (4 * inside) / points;
}
