/**
 * Handing out tasks of different sizes to workers that each take the next
 * task as soon as they are free (a shared input queue, a pool with
 * `chunkSize: 1`): in which order to hand them out, what a run of that order
 * should look like, and how even the work came out, in words chosen from the
 * numbers.
 */
import { InvalidOptionError } from "../primitives/errors";
import { checkInteger } from "../primitives/validate";

/** What {@link simulateQueue} predicts for one order of the items. */
export interface QueueSchedule {
  /** The work each worker ends up with, in the items' size units. */
  loads: number[];
  /** For each worker, the positions (in the given order) of the items it takes, in the order it takes them. */
  taken: number[][];
  /** The largest load: when the last worker finishes, in size units. */
  makespan: number;
  /** No order can finish sooner: the larger of an even share (total / workers) and the largest item. */
  lowerBound: number;
}

function checkSizes(sizes: readonly number[]): void {
  if (!Array.isArray(sizes) || !sizes.every((s) => Number.isFinite(s) && s >= 0)) {
    throw new InvalidOptionError("`sizes`", "Expected `sizes` to be an array of finite numbers from 0 up.");
  }
}

/**
 * Predicts a shared input queue: the items leave the queue in the given
 * order, and each goes to the worker that becomes free first (the one with
 * the least work so far; ties go to the lowest-numbered worker). Assumes
 * that every worker starts at the same moment and that an item's time is
 * proportional to its size, so a real run differs by start-up times and
 * noise: compare it with the measured run, not instead of one.
 *
 * @param sizes - the items' sizes, in the order they are handed out.
 * @param workers - how many workers take from the queue (an integer ≥ 1).
 * @example simulateQueue([1, 2, 3, 4], 2).makespan // 6: worker 0 takes 1 then 3 (4), worker 1 takes 2 then 4 (6)
 */
export function simulateQueue(sizes: readonly number[], workers: number): QueueSchedule {
  checkSizes(sizes);
  checkInteger("`workers`", workers, { min: 1, max: 1_000_000 });
  const loads = new Array<number>(workers).fill(0);
  const taken = Array.from({ length: workers }, () => [] as number[]);
  sizes.forEach((size, position) => {
    let free = 0;
    for (let w = 1; w < workers; w++) if (loads[w]! < loads[free]!) free = w;
    loads[free]! += size;
    taken[free]!.push(position);
  });
  const total = sizes.reduce((a, b) => a + b, 0);
  return { loads, taken, makespan: Math.max(...loads), lowerBound: Math.max(total / workers, ...sizes, 0) };
}

/**
 * A copy of `items` sorted largest first ("longest processing time first",
 * LPT): the classic order for a shared queue, because the big items start
 * early and the small ones at the end fill the gaps, so the workers finish
 * close together. Equal sizes keep their order.
 *
 * @param size - the size of an item (default: the item itself, for numbers).
 * @example largestFirst([1, 5, 3]) // [5, 3, 1]
 */
export function largestFirst<T>(items: readonly T[], size: (item: T) => number = (item) => Number(item)): T[] {
  return items
    .map((item, index) => ({ item, index, size: size(item) }))
    .sort((a, b) => b.size - a.size || a.index - b.index)
    .map((entry) => entry.item);
}

/** How work was shared among workers, from {@link loadBalance}. */
export interface LoadBalance {
  total: number;
  /** Each worker's share of the total (0 to 1). */
  shares: number[];
  /** The largest share, and the share an even split gives (1 / workers). */
  largestShare: number;
  evenShare: number;
  /** Largest load divided by the mean load: 1 is perfectly even; the run lasts this much longer than an even split would. */
  imbalance: number;
}

/**
 * How evenly `loads` are shared (work per worker, in any unit).
 * @example loadBalance([46, 54]).imbalance // 1.08
 */
export function loadBalance(loads: readonly number[]): LoadBalance {
  checkSizes(loads);
  if (loads.length === 0) throw new InvalidOptionError("`loads`", "Expected at least one worker's load.");
  const total = loads.reduce((a, b) => a + b, 0);
  const shares = loads.map((load) => (total === 0 ? 1 / loads.length : load / total));
  const largestShare = Math.max(...shares);
  return { total, shares, largestShare, evenShare: 1 / loads.length, imbalance: largestShare * loads.length };
}

/** Imbalance (largest load / mean load) at or below this reads "even". */
export const EVEN_IMBALANCE = 1.03;
/** Imbalance at or below this reads "nearly even". */
export const NEARLY_EVEN_IMBALANCE = 1.1;
/** Imbalance at or below this reads "uneven"; above, "very uneven". */
export const UNEVEN_IMBALANCE = 1.5;

/** One word for an imbalance (largest load / mean load): "even", "nearly even", "uneven" or "very uneven". */
export function balanceWord(imbalance: number): string {
  if (imbalance <= EVEN_IMBALANCE) return "even";
  if (imbalance <= NEARLY_EVEN_IMBALANCE) return "nearly even";
  if (imbalance <= UNEVEN_IMBALANCE) return "uneven";
  return "very uneven";
}

/**
 * A sentence on how the work was shared: "the busiest of 2 workers did 54 % of
 * the work, where an even split gives 50 %: nearly even (the run lasts 1.08×
 * as long as an even split would)".
 *
 * @param loads - work per worker (any unit: items' sizes, busy time).
 */
export function describeBalance(loads: readonly number[]): string {
  const b = loadBalance(loads);
  if (loads.length === 1) return "one worker did all the work";
  const percent = (share: number): string => `${(share * 100).toFixed(1)} %`;
  return (
    `the busiest of ${loads.length} workers did ${percent(b.largestShare)} of the work, where an even split gives ${percent(b.evenShare)}: ` +
    `${balanceWord(b.imbalance)} (the busiest worker had ${b.imbalance.toFixed(2)}× the mean load)`
  );
}
