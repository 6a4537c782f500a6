/**
 * Findings read off benchmark records, worded from the numbers: how noisy
 * the run was, whether two configurations differ by more than their spread,
 * where parallel starts to win, how time grows with the work, and Amdahl's
 * law fitted only when there are enough points for it.
 */
import { SERIAL, type BenchRecord } from "./benchmark";
import { BUSY_OTHER_CORES, SPEED_DRIFT } from "./noise";
import { fitAmdahl, ladder, median, type AmdahlFit } from "./stats";
import { relativeSpeed } from "./wording";

/** Above this typical spread of a point's rounds (IQR / median) a run is noisy. */
export const NOISY_SPREAD = 0.1;

/** What {@link assessNoise} found. */
export interface RunNoise {
  /** True when any reading says the timings are disturbed. */
  noisy: boolean;
  /** Cores other processes kept busy during the run (null: unknown). */
  otherCores: number | null;
  /** Relative change of a fixed loop's time from before to after the run (null: not measured). */
  drift: number | null;
  /** Median over the points of IQR / median (null with one round, or no point long enough to judge). */
  typicalSpread: number | null;
  /** The largest IQR / median of a point (null as for typicalSpread). */
  worstSpread: number | null;
  /** The findings in one paragraph, with the numbers. */
  sentence: string;
}

const percent = (x: number): string => `${(100 * x).toFixed(x < 0.1 ? 1 : 0)} %`;

/**
 * Was a benchmark run quiet enough to trust small differences? Three
 * readings: other processes' load during the run (`otherCores`, from
 * `runRounds` or `observe`), the drift of a fixed loop's time across the run
 * (`checkQuiet` before and after), and the spread of each point's rounds
 * (IQR / median, over points with a median of at least `minMedianMs`:
 * shorter ones are dominated by timer and scheduling jitter).
 */
export function assessNoise(
  records: readonly BenchRecord[],
  readings: { otherCores: number | null; drift?: number | null; minMedianMs?: number },
): RunNoise {
  const minMedianMs = readings.minMedianMs ?? 5;
  const spreads = records.filter((r) => r.runs >= 2 && r.medianMs >= minMedianMs).map((r) => r.iqrMs / r.medianMs);
  const typicalSpread = spreads.length > 0 ? median(spreads) : null;
  const worstSpread = spreads.length > 0 ? Math.max(...spreads) : null;
  const drift = readings.drift ?? null;
  const { otherCores } = readings;
  const busy = otherCores !== null && otherCores > BUSY_OTHER_CORES;
  const drifted = drift !== null && Math.abs(drift) > SPEED_DRIFT;
  const spread = typicalSpread !== null && typicalSpread > NOISY_SPREAD;
  const parts = [
    otherCores === null ? "other processes' load unknown (no /proc on this OS)" : `other processes kept ${otherCores.toFixed(2)} cores busy${busy ? " (NOT quiet)" : ""}`,
    drift === null ? null : `a fixed loop ran ${percent(Math.abs(drift))} ${drift >= 0 ? "slower" : "faster"} after the run than before${drifted ? " (the CPU speed drifted)" : ""}`,
    typicalSpread === null || worstSpread === null
      ? "the spread of the rounds is unknown (one round, or no point long enough)"
      : `the rounds of one point typically spread over ${percent(typicalSpread)} of their median (IQR / median; worst ${percent(worstSpread)})`,
  ].filter((p): p is string => p !== null);
  const noisy = busy || drifted || spread;
  const verdict = noisy
    ? "This run was NOISY: below, differences within a point's spread are called indistinguishable, and the crossovers and fits are approximate (re-run on a quiet machine, or raise REPEATS)."
    : "The run was quiet enough: differences larger than the spread above are real on this machine.";
  return { noisy, otherCores, drift, typicalSpread, worstSpread, sentence: `During the run: ${parts.join("; ")}. ${verdict}` };
}

const range = (r: BenchRecord): string => (r.runs < 2 ? `${r.medianMs.toFixed(1)} ms` : `${r.minMs.toFixed(1)}-${r.maxMs.toFixed(1)} ms`);

/** True when every round of `a` was faster than every round of `b` (their min-max ranges do not overlap). */
export function clearlyFaster(a: BenchRecord, b: BenchRecord): boolean {
  return a.maxMs < b.minMs;
}

/**
 * One sentence comparing two measured configurations, worded from their
 * rounds: when the min-max ranges overlap, they are indistinguishable in
 * this run, whatever their medians say.
 *
 * @example compareRecords("Pool (threads)", threads, "Pool (processes)", processes)
 *   // "Pool (processes) is 2.4× slower than Pool (threads) (medians 116.8 vs 48.7 ms; the rounds do not overlap)."
 */
export function compareRecords(referenceName: string, reference: BenchRecord, otherName: string, other: BenchRecord): string {
  const medians = `medians ${other.medianMs.toFixed(1)} vs ${reference.medianMs.toFixed(1)} ms`;
  if (reference.runs < 2 || other.runs < 2) {
    return `${otherName} is ${relativeSpeed(reference.medianMs, other.medianMs)} ${referenceName} (${medians}; one round each, so no spread to judge by).`;
  }
  if (!clearlyFaster(reference, other) && !clearlyFaster(other, reference)) {
    return `${otherName} and ${referenceName} cannot be told apart in this run: their rounds overlap (${range(other)} vs ${range(reference)}).`;
  }
  return `${otherName} is ${relativeSpeed(reference.medianMs, other.medianMs)} ${referenceName} (${medians}; the rounds do not overlap).`;
}

/** How the best parallel configuration did against serial at one weight. */
export interface WeightVerdict {
  weight: number;
  /** "parallel" when every parallel round beat every serial round, "serial" the other way round, else "too close". */
  winner: "parallel" | "serial" | "too close";
  /** The fastest parallel configuration (by median) at this weight. */
  best: BenchRecord;
  serial: BenchRecord;
}

/** Where parallel starts to win at one task count, from {@link crossover}. */
export interface Crossover {
  tasks: number;
  verdicts: WeightVerdict[];
  /** The smallest weight from which parallel wins at every larger weight of the grid; null when it never does. */
  fromWeight: number | null;
  /** One sentence with the numbers. */
  sentence: string;
}

/**
 * At one task count, for each weight: did the best parallel configuration
 * win against serial? A win is counted only when every parallel round beat
 * every serial round, so the verdict follows the run's own noise.
 */
export function crossover(records: readonly BenchRecord[], tasks: number): Crossover {
  const atTasks = records.filter((r) => r.tasks === tasks);
  const weights = [...new Set(atTasks.map((r) => r.weight))].sort((a, b) => a - b);
  const verdicts = weights.flatMap((weight): WeightVerdict[] => {
    const here = atTasks.filter((r) => r.weight === weight);
    const serial = here.find((r) => r.strategy === SERIAL);
    const parallel = here.filter((r) => r.strategy !== SERIAL);
    if (!serial || parallel.length === 0) return [];
    const best = parallel.reduce((a, b) => (b.medianMs < a.medianMs ? b : a));
    const winner = clearlyFaster(best, serial) ? "parallel" : clearlyFaster(serial, best) ? "serial" : "too close";
    return [{ weight, winner, best, serial }];
  });
  if (verdicts.length === 0) return { tasks, verdicts, fromWeight: null, sentence: `T = ${tasks}: no serial and parallel runs to compare.` };
  const from = verdicts.findIndex((_, i) => verdicts.slice(i).every((v) => v.winner === "parallel"));
  const w = (x: number): string => x.toLocaleString("en-US");
  const name = (r: BenchRecord): string => `${r.strategy} with ${r.workers} worker(s)`;
  let sentence: string;
  if (from < 0) {
    const top = verdicts.reduce((a, b) => (b.best.speedupVsSerial > a.best.speedupVsSerial ? b : a));
    sentence =
      `T = ${tasks}: parallel never clearly wins in this grid (its best: ${name(top.best)}, ${top.best.speedupVsSerial.toFixed(2)}× the serial ` +
      `speed at W = ${w(top.weight)}${top.winner === "too close" ? ", too close to call" : ""}).`;
  } else {
    const start = verdicts[from]!;
    const below = verdicts.slice(0, from);
    const count = (winner: WeightVerdict["winner"]): number => below.filter((v) => v.winner === winner).length;
    sentence =
      `T = ${tasks}: parallel wins from W = ${w(start.weight)} on (${w(tasks * start.weight)} points in all; there ${name(start.best)} ran ` +
      `${start.best.speedupVsSerial.toFixed(2)}× the serial speed, every round faster than every serial round)` +
      (below.length === 0
        ? ", at every weight of the grid."
        : `; at the ${below.length} smaller weight(s): serial faster at ${count("serial")}, too close to call at ${count("too close")}` +
          (count("parallel") > 0 ? `, parallel faster at ${count("parallel")} (but not at every weight above it)` : "") + ".");
  }
  return { tasks, verdicts, fromWeight: from < 0 ? null : verdicts[from]!.weight, sentence };
}

/** The slope of log(y) against log(x) between two points: 1 means y grows in proportion to x. */
export function logSlope(x0: number, y0: number, x1: number, y1: number): number {
  return Math.log(y1 / y0) / Math.log(x1 / x0);
}

/**
 * Words for a log-log slope of time against work: "in proportion" from 0.9
 * to 1.1, else "less than" or "more than in proportion" with the usual
 * cause. A parallel run's time grows less than in proportion while its
 * fixed cost (start-up, messages) is a large share; serial code has almost
 * no fixed cost, so there a low slope points at the smaller runs being
 * slowed by something else.
 *
 * @param kind - whose time it is: "serial" or "parallel".
 */
export function growthWords(slope: number, kind: "serial" | "parallel"): string {
  if (slope >= 0.9 && slope <= 1.1) return "in proportion";
  if (slope > 1.1) return "more than in proportion (noise, or a cost that grows faster than the work)";
  return kind === "parallel"
    ? "less than in proportion: a fixed cost (start-up, messages) is still a large share"
    : "less than in proportion, which serial code (no start-up) does not explain: the smaller runs were slowed by something else (noise, or V8 still compiling)";
}

/**
 * The serial work, in ms, above which a pool of `workers` that costs
 * `startupMs` to start and stop pays off, if it split the work perfectly:
 * startup + work / workers < work, so work > startup · workers / (workers − 1).
 * Infinity for one worker, which can never pay off.
 */
export function breakEvenMs(startupMs: number, workers: number): number {
  return workers <= 1 ? Infinity : (startupMs * workers) / (workers - 1);
}

/** A measured speed-up with its worker count, for {@link amdahlIfEnough}. */
export interface ScalingPoint {
  workers: number;
  speedup: number;
}

/** What {@link amdahlIfEnough} decided: a fit over the points it used, or why there is none. */
export interface ScalingFit {
  /** The fit, or null when the points cannot support one. */
  fit: AmdahlFit | null;
  /** The worker counts it was fitted on (empty without a fit). */
  workers: number[];
  /** Why there is no fit, and what would give one; null with a fit. */
  reason: string | null;
}

/** The smallest core count whose `ladder` has at least `counts` worker counts. */
export function coresForCounts(counts: number): number {
  let cores = 1;
  while (ladder(cores).length < counts) cores++;
  return cores;
}

/**
 * Fits Amdahl's law only when the points can support it: at least
 * `minCounts` distinct worker counts (1 included) no larger than
 * `parallelCores` (beyond it, more workers share the cores: that measures the
 * core limit, not the serial fraction), each count above 1 with a speed-up
 * between 1 and its worker count (a slowdown is start-up, which the law has
 * no term for; a speed-up at or above the worker count is noise).
 * Otherwise says why, and what would give enough points.
 *
 * @param points - the measured speed-ups (serial / parallel) at each worker count.
 * @param machine - `parallelCores`: cores that can run in parallel here; `cores`: the largest worker count asked for (CORES).
 */
export function amdahlIfEnough(points: readonly ScalingPoint[], machine: { parallelCores: number; cores: number }, minCounts = 4): ScalingFit {
  const { parallelCores, cores } = machine;
  const need = coresForCounts(minCounts);
  const within = [...new Set(points.map((p) => p.workers).filter((n) => n <= parallelCores))].sort((a, b) => a - b);
  const head = `Amdahl's law is not fitted: a fit needs at least ${minCounts} worker counts (1 and ${minCounts - 1} more) up to the ${parallelCores} core(s) that can run in parallel here`;
  if (within.length < minCounts) {
    const what =
      parallelCores < need
        ? ` That takes a machine with at least ${need} cores that run in parallel (this one has ${parallelCores}); --cores above ${parallelCores} ` +
          "only adds oversubscribed points, which measure the core limit, not the serial fraction."
        : cores < need
          ? ` Run with --cores ${need} or more (up to ${parallelCores} on this machine).`
          : "";
    return { fit: null, workers: [], reason: `${head}, and this run measured ${within.join(", ") || "none"}.${what}` };
  }
  const usable = points.filter((p) => p.workers > 1 && p.workers <= parallelCores && p.speedup > 1 && p.speedup < p.workers);
  const counts = [...new Set(usable.map((p) => p.workers))];
  if (counts.length < minCounts - 1) {
    const slow = points.some((p) => p.workers > 1 && p.workers <= parallelCores && p.speedup <= 1);
    const cause = slow
      ? "some are not faster than serial: at this point start-up outweighs the work (raise TASKS_MAX or WEIGHT_MAX)"
      : "the others are at or above ideal, which is noise, not a serial fraction (raise REPEATS or re-run on a quiet machine)";
    return { fit: null, workers: [], reason: `${head}, each with a speed-up between 1 and its worker count; only ${counts.length} qualify here, as ${cause}.` };
  }
  const used = points.filter((p) => p.workers === 1 || usable.includes(p));
  return { fit: fitAmdahl(used.map((p) => p.workers), used.map((p) => p.speedup)), workers: [...new Set(used.map((p) => p.workers))].sort((a, b) => a - b), reason: null };
}
