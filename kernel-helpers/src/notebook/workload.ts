/**
 * Workloads drawn once and reused, so that runs compared with each other do
 * the same work: a seeded random generator (the same seed gives the same
 * numbers on every machine and every run) and the nesting notebook's tasks.
 */
import type { NestedTask } from "../tasks/jobs";
import { checkInteger } from "../primitives/validate";
import { InvalidOptionError } from "../primitives/errors";

/**
 * A small, fast generator of uniform numbers in [0, 1) from a 32-bit seed
 * (mulberry32). Not for cryptography; for workloads that must be the same in
 * every run: the same seed always gives the same sequence.
 *
 * @param seed - any integer (taken modulo 2^32).
 * @example const random = seededRandom(42); random(); random();
 */
export function seededRandom(seed: number): () => number {
  checkInteger("`seed`", seed, { min: Number.MIN_SAFE_INTEGER });
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * `count` whole numbers evenly spaced from `min` to `max` (both included;
 * just `min` when `count` is 1), as the original's `numpy.linspace` sizes.
 * @example evenlySpaced(1_000_000, 6_500_000, 12) // [1000000, 1500000, ..., 6500000]
 */
export function evenlySpaced(min: number, max: number, count: number): number[] {
  checkInteger("`count`", count, { min: 1 });
  if (!(Number.isFinite(min) && Number.isFinite(max) && max >= min)) {
    throw new InvalidOptionError("`max`", `Expected \`min\` ≤ \`max\`, both finite, got ${min} and ${max}.`);
  }
  return Array.from({ length: count }, (_, i) => Math.round(count === 1 ? min : min + ((max - min) * i) / (count - 1)));
}

/** Options of {@link nestedWorkload}. */
export interface NestedWorkloadOptions {
  /** How many tasks. */
  tasks: number;
  /** Sizes evenly spaced from `minSize` to `maxSize`. */
  minSize: number;
  maxSize: number;
  /** Seed of the weights: the same seed gives the same workload. */
  seed: number;
  /** The weights to draw from, each equally likely. Default [1, 2, 3], the original's. */
  weights?: readonly number[];
}

/**
 * The nesting notebook's tasks with their weights drawn once, from a seed:
 * task i has a size evenly spaced from `minSize` to `maxSize` and a weight
 * drawn from `weights`. Pass the same array to every run you compare (the
 * original draws the weights inside the workers, so two of its runs do
 * different work).
 *
 * @example nestedWorkload({ tasks: 12, minSize: 1e6, maxSize: 6.5e6, seed: 1 })
 */
export function nestedWorkload(options: NestedWorkloadOptions): NestedTask[] {
  const weights = options.weights ?? [1, 2, 3];
  if (weights.length === 0 || !weights.every((w) => Number.isInteger(w) && w >= 1)) {
    throw new InvalidOptionError("`weights`", "Expected `weights` to be a non-empty array of integers from 1 up.");
  }
  const random = seededRandom(options.seed);
  return evenlySpaced(options.minSize, options.maxSize, options.tasks).map((size, index) => ({
    index,
    size,
    weight: weights[Math.floor(random() * weights.length)]!,
  }));
}

/** How many random numbers a nested workload sums: size × weight × sub-tasks, over all tasks (tasks without a weight count as weight 2, the mean of 1, 2, 3). */
export function workloadNumbers(tasks: readonly NestedTask[], subtasks: number): number {
  return tasks.reduce((total, t) => total + t.size * (t.weight ?? 2) * subtasks, 0);
}
