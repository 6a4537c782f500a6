/**
 * Benchmarking over a grid, the plumbing behind notebook 03: a plan of
 * measurements (task count × weight × strategy × workers), run in rounds,
 * summarised into records with their spread and their speed-up over the
 * serial run of the same point. Saving and reading runs is in
 * `benchmark-files.ts`, the findings in `benchmark-findings.ts`, the figures
 * in `benchmark-charts.ts`.
 */
import { cpuSnapshot, otherCores, ownCpuMs } from "./cpu";
import { InvalidOptionError } from "../primitives/errors";
import { progress } from "./progress";
import { mean, summarize } from "./stats";
import { checkInteger } from "../primitives/validate";

/** The name of the strategy every other is compared with. */
export const SERIAL = "serial";

/**
 * One measurement of a benchmark: `tasks` tasks of `weight` units of work
 * each, run by `strategy` with `workers` workers (1 for serial).
 */
export interface GridPoint {
  tasks: number;
  weight: number;
  strategy: string;
  workers: number;
}

/** A stable text key for a point, e.g. "100|3900|Pool (threads)|2". */
export function pointKey(point: GridPoint): string {
  return `${point.tasks}|${point.weight}|${point.strategy}|${point.workers}`;
}

/**
 * `steps` values from `min` to `max`, evenly spaced on a log scale and
 * rounded to two significant digits (the ends exact, duplicates dropped):
 * each decade gets the same number of points.
 *
 * @example logSpaced(150, 100_000, 3) // [150, 3900, 100000]
 */
export function logSpaced(min: number, max: number, steps: number): number[] {
  checkInteger("`min`", min, { min: 1 });
  checkInteger("`max`", max, { min: min });
  checkInteger("`steps`", steps, { min: 1, max: 1000 });
  const values = Array.from({ length: steps }, (_, i) => {
    if (i === 0) return min;
    if (i === steps - 1) return max;
    const exact = min * (max / min) ** (i / (steps - 1));
    const unit = 10 ** Math.max(0, Math.floor(Math.log10(exact)) - 1);
    return Math.round(exact / unit) * unit;
  });
  return [...new Set(values)];
}

/** What {@link gridPlan} builds a plan from. */
export interface PlanOptions {
  /** Task counts T of the grid. */
  taskCounts: readonly number[];
  /** Weights W of the grid. */
  weights: readonly number[];
  /** The parallel strategies (serial is always included, with one worker). */
  strategies: readonly string[];
  /** How many workers every parallel strategy gets on the grid. */
  gridWorkers: number;
  /** Worker counts for the sweep at the heaviest point (largest T and W), e.g. `ladder(CORES)`. */
  sweepWorkers: readonly number[];
  /**
   * Past `parallelCores` (oversubscribed: more workers than cores that run at
   * once), sweep only `strategies`. Every strategy shows the same thing there,
   * the cores shared, and starting many processes costs the most. Default:
   * every strategy at every count.
   */
  beyondCores?: { parallelCores: number; strategies: readonly string[] };
}

/**
 * The measurements of a benchmark: every (T, W) serially and with each
 * parallel strategy at `gridWorkers`, plus, at the heaviest point only, each
 * parallel strategy at every count of `sweepWorkers` (past the cores that run
 * in parallel, only the strategies `beyondCores` names). Sweeping worker
 * counts at one point, not at all of them, keeps a run on a big machine short.
 */
export function gridPlan(options: PlanOptions): GridPoint[] {
  const { taskCounts, weights, strategies, gridWorkers, sweepWorkers, beyondCores } = options;
  if (taskCounts.length === 0 || weights.length === 0) {
    throw new InvalidOptionError("`taskCounts`", "Expected at least one task count and one weight.");
  }
  const points: GridPoint[] = [];
  for (const tasks of taskCounts) {
    for (const weight of weights) {
      points.push({ tasks, weight, strategy: SERIAL, workers: 1 });
      for (const strategy of strategies) points.push({ tasks, weight, strategy, workers: gridWorkers });
    }
  }
  const heavy = heaviestPoint(taskCounts, weights);
  for (const strategy of strategies) {
    for (const workers of sweepWorkers) {
      if (beyondCores && workers > beyondCores.parallelCores && !beyondCores.strategies.includes(strategy)) continue;
      points.push({ ...heavy, strategy, workers });
    }
  }
  const seen = new Set<string>();
  return points.filter((p) => !seen.has(pointKey(p)) && seen.add(pointKey(p)));
}

/** The largest task count and the largest weight of a grid. */
export function heaviestPoint(taskCounts: readonly number[], weights: readonly number[]): { tasks: number; weight: number } {
  return { tasks: Math.max(...taskCounts), weight: Math.max(...weights) };
}

/** Options of {@link runRounds}. */
export interface RoundsOptions<P extends GridPoint> {
  /** Rounds over the whole plan; each point is timed once per round. */
  rounds: number;
  /** The progress line's label. Default "benchmark". */
  label?: string;
  /** Pause after every timed run, in ms (lets a laptop that throttles when hot cool down). Default 0. */
  cooldownMs?: number;
  /** The progress line's text for a point. Default: T, W, strategy and workers. */
  describe?: (point: P) => string;
}

/** The samples of one point after {@link runRounds}. */
export interface PointSamples<P extends GridPoint = GridPoint> {
  point: P;
  /** One wall-clock time per round, in ms. */
  samplesMs: number[];
  /** Every value the runs returned, all rounds together (e.g. the pi estimates). */
  values: number[];
}

/** What {@link runRounds} measured. */
export interface RoundsResult<P extends GridPoint = GridPoint> {
  results: PointSamples<P>[];
  /** Wall-clock time of all rounds, in ms. */
  elapsedMs: number;
  /** Cores other processes kept busy meanwhile (null where the OS does not tell). */
  otherCores: number | null;
  /** CPU time of this process tree meanwhile, in ms (null where the OS does not tell). */
  ownCpuMs: number | null;
}

const describePoint = (p: GridPoint): string =>
  `T = ${p.tasks}, W = ${p.weight.toLocaleString("en-US")}, ${p.strategy}` + (p.strategy === SERIAL ? "" : `, ${p.workers} worker(s)`);

/** How often the event loop gets a turn between runs, in ms. */
const TURN_MS = 200;

/**
 * Times `run` once per point per round. Repeats are rounds over the whole
 * plan, not back-to-back runs of one point: a burst of other work on the
 * machine then spoils one sample of several points instead of every sample
 * of one point, and the median discards it. One progress line says where
 * the run is (it redraws at most every 150 ms), and the event loop gets a
 * turn at least every 200 ms, so the kernel sends each redraw before the
 * next run starts: a tslab kernel sent hundreds of updates in a burst can
 * drop the cell's output.
 *
 * @param plan - the points, e.g. from {@link gridPlan}.
 * @param run - one run of a point; what it returns is kept in `values`.
 * @example const run = await runRounds(plan, (p) => strategies[p.strategy](p), { rounds: 5 });
 */
export async function runRounds<P extends GridPoint>(
  plan: readonly P[],
  run: (point: P) => readonly number[] | Promise<readonly number[]>,
  options: RoundsOptions<P>,
): Promise<RoundsResult<P>> {
  const rounds = checkInteger("`rounds`", options.rounds, { min: 1, max: 10_000 });
  const cooldownMs = checkInteger("`cooldownMs`", options.cooldownMs ?? 0, { min: 0 });
  const describe = options.describe ?? describePoint;
  const results: PointSamples<P>[] = plan.map((point) => ({ point, samplesMs: [], values: [] }));
  const bar = progress(options.label ?? "benchmark", rounds * plan.length);
  const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
  let lastTurnMs = -Infinity;
  let done = 0;
  const before = cpuSnapshot();
  const start = performance.now();
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const entry of results) {
        bar.note(`round ${round}/${rounds}: ${describe(entry.point)}`);
        if (performance.now() - lastTurnMs >= TURN_MS) {
          await nextTurn();
          lastTurnMs = performance.now();
        }
        const t0 = performance.now();
        const values = await run(entry.point);
        entry.samplesMs.push(performance.now() - t0);
        entry.values.push(...values);
        bar.set(++done);
        if (cooldownMs > 0) await new Promise((resolve) => setTimeout(resolve, cooldownMs));
      }
    }
    bar.note(`${rounds} round(s) done`);
  } finally {
    bar.done();
  }
  const after = cpuSnapshot();
  return { results, elapsedMs: performance.now() - start, otherCores: otherCores(before, after), ownCpuMs: ownCpuMs(before, after) };
}

/** One measured point: its median and spread, and how it compares with serial at the same (T, W). */
export interface BenchRecord extends GridPoint {
  /** Rounds measured. */
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** Inter-quartile range of the rounds (75th minus 25th percentile), in ms. */
  iqrMs: number;
  /** Serial median at the same (T, W) / this median: above 1 is faster than serial. */
  speedupVsSerial: number;
  /** Speed-up / workers (1 for a perfect split). */
  efficiency: number;
  /** The mean of every value the runs returned (e.g. the pi estimates); NaN when none. */
  meanValue: number;
  /** Every round's time, in ms. */
  samplesMs: number[];
}

/**
 * Summarises each point's rounds and relates it to the serial run at the
 * same (T, W).
 * @throws InvalidOptionError when a (T, W) has no serial run to compare with.
 */
export function toRecords(results: readonly PointSamples[]): BenchRecord[] {
  const serialMedian = new Map<string, number>();
  for (const { point, samplesMs } of results) {
    if (point.strategy === SERIAL) serialMedian.set(`${point.tasks}|${point.weight}`, summarize(samplesMs).medianMs);
  }
  return results.map(({ point, samplesMs, values }) => {
    const s = summarize(samplesMs);
    const serial = serialMedian.get(`${point.tasks}|${point.weight}`);
    if (serial === undefined) {
      throw new InvalidOptionError("`results`", `No serial run at T = ${point.tasks}, W = ${point.weight} to compare ${point.strategy} with.`);
    }
    const speedupVsSerial = serial / s.medianMs;
    return {
      tasks: point.tasks,
      weight: point.weight,
      strategy: point.strategy,
      workers: point.workers,
      runs: s.runs,
      medianMs: s.medianMs,
      minMs: s.minMs,
      maxMs: s.maxMs,
      iqrMs: s.iqrMs,
      speedupVsSerial,
      efficiency: speedupVsSerial / point.workers,
      meanValue: values.length > 0 ? mean(values) : NaN,
      samplesMs: [...samplesMs],
    };
  });
}

/**
 * The record of one point.
 * @throws InvalidOptionError naming the point when there is none.
 */
export function findRecord(records: readonly BenchRecord[], tasks: number, weight: number, strategy: string, workers = 1): BenchRecord {
  const found = records.find((r) => r.tasks === tasks && r.weight === weight && r.strategy === strategy && r.workers === workers);
  if (!found) {
    throw new InvalidOptionError("`records`", `No record for T = ${tasks}, W = ${weight}, ${strategy}, ${workers} worker(s).`);
  }
  return found;
}
