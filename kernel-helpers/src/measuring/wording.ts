/**
 * Sentences computed from a run pick their words from the numbers, so that
 * "close to ideal" is only ever printed beside an efficiency that is. One
 * place for the thresholds, so every notebook words the same numbers alike.
 */
import { compareTimes, parallelEfficiency, speedup } from "./stats";

/** Efficiency at or above this reads "close to ideal". */
export const CLOSE_TO_IDEAL = 0.9;
/** Efficiency at or above this (and below ideal) reads "good". */
export const GOOD_EFFICIENCY = 0.7;
/** Efficiency at or above this reads "modest"; below, "poor". */
export const MODEST_EFFICIENCY = 0.4;
/** Efficiency above 1 + this is beyond ideal: an artefact to explain, not a gain. */
export const ABOVE_IDEAL_MARGIN = 0.05;
/** Two times within this relative difference are "about the same". */
export const SAME_TIME = 0.05;

/**
 * One word (or phrase) for a parallel efficiency (speed-up / workers):
 * "above ideal", "close to ideal", "good", "modest" or "poor". Pass the
 * efficiency as you print it (e.g. rounded to two decimals), so that the
 * word and the number beside it agree.
 */
export function efficiencyWord(efficiency: number): string {
  if (efficiency > 1 + ABOVE_IDEAL_MARGIN) return "above ideal";
  if (efficiency >= CLOSE_TO_IDEAL) return "close to ideal";
  if (efficiency >= GOOD_EFFICIENCY) return "good";
  if (efficiency >= MODEST_EFFICIENCY) return "modest";
  return "poor";
}

/**
 * A sentence on a parallel run against the serial one, with the numbers:
 * "2 workers: 1.74× the serial speed, efficiency 0.87 (good)." An
 * efficiency above ideal, or a parallel run slower than serial, gets the
 * usual causes named, since they are artefacts or costs, not gains.
 *
 * @param serialMs - the serial time (same work).
 * @param parallelMs - the parallel time.
 * @param workers - how many workers the parallel run used.
 * @example describeSpeedup(2890, 1660, 2)
 */
export function describeSpeedup(serialMs: number, parallelMs: number, workers: number): string {
  const s = speedup(serialMs, parallelMs);
  // the word follows the number as printed (two decimals), so "0.90" never reads "good"
  const e = Number(parallelEfficiency(serialMs, parallelMs, workers).toFixed(2));
  const word = efficiencyWord(e);
  const base = `${workers} worker${workers === 1 ? "" : "s"}: ${s.toFixed(2)}× the serial speed, efficiency ${e.toFixed(2)} (${word})`;
  if (word === "above ideal") {
    return (
      `${base}. More than ${workers}× cannot come from the workers alone: the usual causes are noise in the serial ` +
      "runs, a CPU that runs faster with some cores idle, or the serial run paying costs (compilation, caches) that the parallel one had already paid."
    );
  }
  if (s < 1 - SAME_TIME) return `${base}: slower than serial, so the costs of going parallel (starting workers, sending tasks and results, waiting for the slowest) outweighed the work that was shared.`;
  return `${base}.`;
}

/**
 * {@link describeSpeedup} for any number of workers: from two on, the same
 * sentence; a run with one worker at a time gets words of its own, because
 * nothing in it runs in parallel, so its efficiency (equal to its speed-up)
 * measures only what going parallel costs, and "the work that was shared"
 * does not apply. Pass the workers that could run at once, as for
 * describeSpeedup.
 *
 * @param serialMs - the serial time (same work).
 * @param parallelMs - the time with workers.
 * @param workers - how many of them could run at once.
 * @example describeAgainstSerial(170, 221, 1) // "1 worker: 0.77× the serial speed. With one worker running at a time ..."
 */
export function describeAgainstSerial(serialMs: number, parallelMs: number, workers: number): string {
  if (workers !== 1) return describeSpeedup(serialMs, parallelMs, workers);
  const s = speedup(serialMs, parallelMs);
  const base = `1 worker: ${s.toFixed(2)}× the serial speed`;
  const alone = "with one worker running at a time nothing runs in parallel";
  if (s > 1 + SAME_TIME) {
    return (
      `${base}: faster than serial, although ${alone}, so the gain cannot come from the worker: the usual causes are noise in the serial ` +
      "runs, or the serial run paying costs (compilation, caches) that the worker had already paid."
    );
  }
  if (s >= 1 - SAME_TIME) return `${base}, about the same: ${alone}, and the costs of going parallel were small next to the work.`;
  return (
    `${base}: ${alone}, so the run can at best match serial: it does the same work plus the costs of going parallel ` +
    `(starting workers, sending tasks and results). It took ${(1 / s).toFixed(2)}× as long.`
  );
}

/**
 * "about the same as", or "1.5× faster than" / "2.0× slower than": how
 * `otherMs` compares with `referenceMs`, ready to sit between two names.
 *
 * @example `Threads were ${relativeSpeed(processMs, threadMs)} processes.`
 */
export function relativeSpeed(referenceMs: number, otherMs: number): string {
  const ratio = otherMs / referenceMs;
  if (Math.abs(ratio - 1) <= SAME_TIME) return "about as fast as";
  return `${compareTimes(referenceMs, otherMs)} than`;
}

/**
 * How big a part is of a whole, in words and numbers: "23 % of", "about
 * half of", "3× as long as". For overheads next to the work they come with.
 */
export function shareOf(partMs: number, wholeMs: number): string {
  const share = partMs / wholeMs;
  if (share >= 1.5) return `${share.toFixed(1)}× as long as`;
  if (share >= 0.45 && share <= 0.55) return `about half of`;
  if (share < 0.01) return `under 1 % of`;
  return `${Math.round(share * 100)} % of`;
}

/** "negligible", "small", "noticeable" or "large": the weight of a cost that is `share` of the work (0.05 = 5 %). */
export function costWord(share: number): string {
  if (share < 0.02) return "negligible";
  if (share < 0.1) return "small";
  if (share < 0.3) return "noticeable";
  return "large";
}
