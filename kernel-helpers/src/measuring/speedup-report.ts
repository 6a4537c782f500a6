/**
 * Where a speed-up came from: the CPU time behind the wall-clock times.
 *
 * Parallel efficiency (speed-up / workers) splits into three measured parts:
 *
 * - utilization: how busy the workers' cores were during the parallel runs,
 *   parallel CPU time / (workers × parallel wall time); below 1 when cores sat idle;
 * - CPU inflation: parallel CPU time / serial CPU time for the same work; above
 *   1 when the parallel runs paid for their machinery (starting workers,
 *   messages) or each core computed more slowly while all were busy, below 1
 *   when the serial runs paid something the parallel ones did not;
 * - serial busy cores: serial CPU time / serial wall time; below 1 when the
 *   serial runs did not get a whole core.
 *
 * efficiency = utilization / (CPU inflation × serial busy cores): exactly for
 * one pair of runs, approximately for medians.
 */
import { observe } from "./cpu";
import { machineSummary, type MachineSummary } from "./machine";
import type { Figure } from "./plot";
import { median, parallelEfficiency, speedup, summarize } from "./stats";
import { measure, type MeasureOptions, type RepeatedTiming } from "./timing";
import { efficiencyWord } from "./wording";

/** {@link measureCpu}'s result: the timing plus what the CPU did in each timed run. */
export interface CpuTiming<T> extends RepeatedTiming<T> {
  /** CPU time of this process tree (main thread, worker threads, child processes) per timed run, in ms; null without Linux /proc. */
  cpuMs: (number | null)[];
  /** Cores other processes kept busy during each timed run; null without Linux /proc. */
  otherCores: (number | null)[];
}

/**
 * One run of `run` under {@link observe}: its value, its wall time (timed
 * inside, without the /proc readings around it), the CPU time this process
 * tree used and the cores other processes kept busy meanwhile (null without
 * Linux /proc). Used by {@link measureCpu} and measureCpuInTurns (in-turns.ts).
 */
export async function runWithCpu<T>(run: () => T | Promise<T>): Promise<{ value: T; ms: number; cpuMs: number | null; otherCores: number | null }> {
  const observed = await observe(async () => {
    const start = performance.now();
    const value = await run();
    return { value, ms: performance.now() - start };
  });
  return { ...observed.value, cpuMs: observed.ownCpuMs, otherCores: observed.otherCores };
}

/**
 * Like `measure` (same progress line, same warm-up rule: `warmup` untimed
 * runs first, default 1), and also records the CPU time this process tree
 * used in each timed run and how busy other processes kept the machine.
 * The CPU readings are taken outside the timed window.
 *
 * @param label - what is timed, shown on the progress line.
 * @param run - one run of the work.
 * @example const serial = await measureCpu("serial", () => sizes.map(leibnizPi), { repeats: 3, warmup: 1 });
 */
export async function measureCpu<T>(label: string, run: () => T | Promise<T>, options: MeasureOptions = {}): Promise<CpuTiming<T>> {
  const innerMs: number[] = [];
  const cpuMs: (number | null)[] = [];
  const others: (number | null)[] = [];
  // measure() times this wrapper; the sample kept is the inner time, without the /proc readings around it
  const timing = await measure(label, async () => {
    const one = await runWithCpu(run);
    innerMs.push(one.ms);
    cpuMs.push(one.cpuMs);
    others.push(one.otherCores);
    return one.value;
  }, options);
  const timed = timing.samplesMs.length; // the last runs; the first were the warm-up
  const samplesMs = innerMs.slice(-timed);
  return { ...summarize(samplesMs), samplesMs, value: timing.value, cpuMs: cpuMs.slice(-timed), otherCores: others.slice(-timed) };
}

/** The part of a {@link CpuTiming} that {@link accountSpeedup} reads. */
export interface CpuSamples {
  samplesMs: readonly number[];
  cpuMs: readonly (number | null)[];
  otherCores: readonly (number | null)[];
}

/** {@link accountSpeedup}'s result. The CPU parts are null when {@link SpeedupAccount.unknownBecause} says why. */
export interface SpeedupAccount {
  workers: number;
  /** Median serial time / median parallel time. */
  speedup: number;
  /** speedup / workers. */
  efficiency: number;
  /** Parallel CPU time / (workers × parallel wall time). */
  utilization: number | null;
  /** Parallel CPU time / serial CPU time, for the same work. */
  cpuInflation: number | null;
  /** Serial CPU time / serial wall time (1 = a whole core). */
  serialBusyCores: number | null;
  /** Median cores other processes kept busy during the serial runs. */
  serialOtherCores: number | null;
  /** The same during the parallel runs. */
  parallelOtherCores: number | null;
  /** Why the CPU parts are unknown, or null when they are known. */
  unknownBecause: string | null;
}

/** Runs shorter than this (median, ms) are too short for /proc's 10 ms CPU clock. */
export const MIN_ACCOUNTED_MS = 250;

function medianOrNull(values: readonly (number | null)[]): number | null {
  return values.length > 0 && values.every((v): v is number => v !== null) ? median(values) : null;
}

/**
 * Splits a speed-up into utilization, CPU inflation and serial busy cores
 * (see the module's description), from medians.
 *
 * @param serial - the serial runs, from {@link measureCpu}.
 * @param parallel - the parallel runs of the same work, from {@link measureCpu}.
 * @param workers - how many workers the parallel runs used.
 */
export function accountSpeedup(serial: CpuSamples, parallel: CpuSamples, workers: number): SpeedupAccount {
  const serialMs = median(serial.samplesMs);
  const parallelMs = median(parallel.samplesMs);
  const base = {
    workers,
    speedup: speedup(serialMs, parallelMs),
    efficiency: parallelEfficiency(serialMs, parallelMs, workers),
    serialOtherCores: medianOrNull(serial.otherCores),
    parallelOtherCores: medianOrNull(parallel.otherCores),
  };
  const serialCpu = medianOrNull(serial.cpuMs);
  const parallelCpu = medianOrNull(parallel.cpuMs);
  let unknownBecause: string | null = null;
  if (serialCpu === null || parallelCpu === null) unknownBecause = "this OS does not report CPU time per process (no Linux /proc)";
  else if (Math.min(serialMs, parallelMs) < MIN_ACCOUNTED_MS) {
    unknownBecause = `the runs are too short (under ${MIN_ACCOUNTED_MS} ms) for the CPU clock's 10 ms ticks: run at full scale`;
  } else if (serialCpu <= 0 || parallelCpu <= 0) unknownBecause = "the CPU clock recorded no time";
  if (unknownBecause !== null || serialCpu === null || parallelCpu === null) {
    return { ...base, utilization: null, cpuInflation: null, serialBusyCores: null, unknownBecause };
  }
  return {
    ...base,
    utilization: parallelCpu / (workers * parallelMs),
    cpuInflation: parallelCpu / serialCpu,
    serialBusyCores: serialCpu / serialMs,
    unknownBecause: null,
  };
}

const two = (x: number): string => x.toFixed(2);

/** The measured causes of an efficiency above ideal, strongest first. */
function gains(a: SpeedupAccount): string[] {
  const found: string[] = [];
  if (a.serialBusyCores !== null && a.serialBusyCores < 0.95) {
    found.push(`the serial runs got only ${two(a.serialBusyCores)} of a core, so serial looks slower than it is`);
  }
  if (a.cpuInflation !== null && a.cpuInflation < 0.95) {
    found.push(
      `the same work took less CPU time in parallel (${two(a.cpuInflation)}× the serial CPU time): the serial runs paid ` +
        "something the parallel ones did not (compilation, cold caches, a core slowed by other work)",
    );
  }
  if (a.serialOtherCores !== null && a.parallelOtherCores !== null && a.serialOtherCores > a.parallelOtherCores + 0.1) {
    found.push(`other processes were busier during the serial runs (${two(a.serialOtherCores)} cores against ${two(a.parallelOtherCores)})`);
  }
  return found;
}

/** The cores of a machine, as far as {@link explainSpeedup} needs them. */
type CoreCounts = Pick<MachineSummary, "logicalCores" | "physicalCores">;

/** The measured causes of an efficiency below ideal, strongest first; SMT is named only where two logical cores may share a physical one. */
function losses(a: SpeedupAccount, cores: CoreCounts): string[] {
  const mayShare = cores.physicalCores === null || cores.physicalCores < cores.logicalCores;
  const found: string[] = [];
  if (a.utilization !== null && a.utilization < 0.9) {
    found.push(
      `the workers' cores were busy only ${Math.round(a.utilization * 100)} % of the parallel time (idle while waiting ` +
        "for the last task, for workers to start, or for messages)",
    );
  }
  if (a.cpuInflation !== null && a.cpuInflation > 1.1) {
    found.push(
      `the parallel runs used ${two(a.cpuInflation)}× the serial CPU time for the same work: CPU spent on the parallel ` +
        "machinery itself (starting workers, passing messages), or cores computing more slowly with all of them busy " +
        `(shared caches and memory bandwidth, lower turbo clocks, ${mayShare ? "SMT siblings where two share a physical core, " : ""}a busy host)`,
    );
  }
  if (a.parallelOtherCores !== null && a.parallelOtherCores > 0.1) {
    found.push(`other processes kept ${two(a.parallelOtherCores)} cores busy during the parallel runs`);
  }
  return found;
}

/**
 * Says, in words chosen from the numbers, where a speed-up's efficiency went
 * (or came from, above ideal): the utilization, CPU inflation and serial
 * busy cores of {@link accountSpeedup}, and the cause they point to.
 *
 * @param a - from {@link accountSpeedup}
 * @param cores - the machine's logical and physical cores (default: this one's, {@link machineSummary}), so that
 *   SMT is named as a cause only where logical cores may share a physical one
 * @example console.log(explainSpeedup(accountSpeedup(serial, pooled, 2)));
 */
export function explainSpeedup(a: SpeedupAccount, cores: CoreCounts = machineSummary()): string {
  if (a.unknownBecause !== null || a.utilization === null || a.cpuInflation === null || a.serialBusyCores === null) {
    return `CPU accounting: not possible here, because ${a.unknownBecause ?? "CPU time is unknown"}.`;
  }
  const facts =
    `CPU accounting: the parallel runs kept ${two(a.utilization * a.workers)} of ${a.workers} cores busy (utilization ${two(a.utilization)}); ` +
    `the same work used ${two(a.cpuInflation)}× the serial CPU time (CPU inflation); the serial runs kept ${two(a.serialBusyCores)} cores busy.`;
  const word = efficiencyWord(a.efficiency);
  if (word === "above ideal") {
    const found = gains(a);
    return found.length > 0
      ? `${facts} Efficiency above 1 because ${found.join("; and ")}.`
      : `${facts} None of these explains an efficiency above 1, so it is most likely run-to-run noise: compare the min-max spreads, or raise the repeats.`;
  }
  const starved =
    a.serialBusyCores < 0.9
      ? ` The serial runs got only ${two(a.serialBusyCores)} of a core: other work slowed both sides, so read this comparison with care.`
      : "";
  const found = losses(a, cores);
  if (word === "close to ideal") {
    return found.length === 0
      ? `${facts} Nothing measurable was lost: the cores were busy and computed about as fast as one core alone.${starved}`
      : `${facts} Close to ideal all the same, although ${found.join("; and ")}.${starved}`;
  }
  return found.length === 0
    ? `${facts} No single part stands out: small losses in each add up (efficiency ≈ utilization / (CPU inflation × serial busy cores)).${starved}`
    : `${facts} Efficiency was lost because ${found.join("; and ")}.${starved}`;
}

/** One bar of {@link speedupBars}: a serial and a parallel set of runs of the same work. */
export interface SpeedupGroup {
  label: string;
  serialMs: readonly number[];
  parallelMs: readonly number[];
  color?: string;
}

/**
 * A bar chart of speed-ups on a linear axis (ratios read right only there),
 * with the serial speed (1×) and the ideal drawn as lines. Bars: median serial
 * / median parallel; whiskers: slowest serial run / fastest parallel run and
 * the other way round, the full range any pairing of runs gives.
 *
 * @param ideal - the speed-up perfect scaling would give (the number of workers that can really run at once).
 * @example showFigure(speedupBars([{ label: "plain loop", serialMs: s.samplesMs, parallelMs: p.samplesMs }], { title: "Pool of 2", ideal: 2 }))
 */
export function speedupBars(groups: readonly SpeedupGroup[], options: { title: string; ideal: number; idealLabel?: string }): Figure {
  const bars = groups.map((g) => ({
    median: median(g.serialMs) / median(g.parallelMs),
    low: Math.min(...g.serialMs) / Math.max(...g.parallelMs),
    high: Math.max(...g.serialMs) / Math.min(...g.parallelMs),
  }));
  const top = Math.max(options.ideal, ...bars.map((b) => b.high)) * 1.15;
  const line = (y: number, dash: string) => ({ type: "line", xref: "paper", x0: 0, x1: 1, y0: y, y1: y, line: { dash, width: 2, color: "#555" } });
  const note = (y: number, text: string) => ({ xref: "paper", x: 1, xanchor: "right", y, yanchor: "bottom", text, showarrow: false });
  return {
    data: [
      {
        type: "bar",
        x: groups.map((g) => g.label),
        y: bars.map((b) => b.median),
        error_y: { type: "data", symmetric: false, array: bars.map((b) => b.high - b.median), arrayminus: bars.map((b) => b.median - b.low) },
        marker: { color: groups.map((g) => g.color ?? "#4c78a8") },
        hovertemplate: "%{x}: %{y:.2f}×<extra></extra>",
      },
    ],
    layout: {
      title: { text: `${options.title}<br><sub>bars: median serial / median parallel time; whiskers: the range over every pairing of runs</sub>` },
      yaxis: { title: { text: "speed-up over serial (×, linear scale)" }, range: [0, top] },
      shapes: [line(1, "dot"), line(options.ideal, "dash")],
      annotations: [note(1, "serial (1×)"), note(options.ideal, options.idealLabel ?? `ideal (${options.ideal}×)`)],
      height: 420,
      showlegend: false,
    },
  };
}
