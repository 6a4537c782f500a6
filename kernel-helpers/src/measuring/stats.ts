/**
 * Small, pure statistics for timings. Each function checks its input and is
 * tested against hand-computed values.
 */
import { InvalidOptionError } from "../primitives/errors";

function checkSamples(samples: readonly number[]): void {
  if (!Array.isArray(samples) || samples.length === 0 || !samples.every(Number.isFinite)) {
    throw new InvalidOptionError("`samples`", "Expected `samples` to be a non-empty array of finite numbers.");
  }
}

/** Arithmetic mean. @param samples - non-empty list of finite numbers. */
export function mean(samples: readonly number[]): number {
  checkSamples(samples);
  return samples.reduce((s, x) => s + x, 0) / samples.length;
}

/**
 * The q-quantile with linear interpolation between order statistics (the
 * default of numpy's `quantile`). `quantile(xs, 0.5)` is the median.
 * @param q - between 0 and 1.
 */
export function quantile(samples: readonly number[], q: number): number {
  checkSamples(samples);
  if (!(q >= 0 && q <= 1)) throw new InvalidOptionError("`q`", `Expected \`q\` to be from 0 to 1, got ${q}.`);
  const sorted = [...samples].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.ceil(position);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (position - below);
}

/** The median: the middle value, or the mean of the two middle values. */
export function median(samples: readonly number[]): number {
  return quantile(samples, 0.5);
}

/** Sample standard deviation (n - 1 in the denominator); 0 for one sample. */
export function standardDeviation(samples: readonly number[]): number {
  checkSamples(samples);
  if (samples.length < 2) return 0;
  const m = mean(samples);
  return Math.sqrt(samples.reduce((s, x) => s + (x - m) ** 2, 0) / (samples.length - 1));
}

/** Summary of repeated timings, in milliseconds. */
export interface TimingSummary {
  /** Number of samples. */
  runs: number;
  medianMs: number;
  meanMs: number;
  minMs: number;
  maxMs: number;
  /** Sample standard deviation. */
  stdevMs: number;
  /** Inter-quartile range (75th minus 25th percentile): the spread that ignores outliers. */
  iqrMs: number;
}

/** Summarises timing samples (milliseconds) into median, spread and range. */
export function summarize(samplesMs: readonly number[]): TimingSummary {
  checkSamples(samplesMs);
  return {
    runs: samplesMs.length,
    medianMs: median(samplesMs),
    meanMs: mean(samplesMs),
    minMs: Math.min(...samplesMs),
    maxMs: Math.max(...samplesMs),
    stdevMs: standardDeviation(samplesMs),
    iqrMs: quantile(samplesMs, 0.75) - quantile(samplesMs, 0.25),
  };
}

function checkPositive(option: string, value: number): void {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new InvalidOptionError(option, `Expected ${option} to be a positive finite number, got ${value}.`);
  }
}

/**
 * Speed-up of a parallel run over the serial one: serial time / parallel time.
 * 2 means twice as fast.
 */
export function speedup(serialMs: number, parallelMs: number): number {
  checkPositive("`serialMs`", serialMs);
  checkPositive("`parallelMs`", parallelMs);
  return serialMs / parallelMs;
}

/**
 * Parallel efficiency: speed-up divided by the number of workers. 1 is
 * perfect scaling; 0.5 means half of the workers' time was wasted.
 */
export function parallelEfficiency(serialMs: number, parallelMs: number, workers: number): number {
  checkPositive("`workers`", workers);
  return speedup(serialMs, parallelMs) / workers;
}

/**
 * How `otherMs` compares with `referenceMs`, in words for a sentence that
 * goes on with "than ...": "2.1× faster", "1.5× slower"; near-ties keep two
 * decimals ("1.02× slower") so they do not read as "1.0× slower".
 *
 * @example `The pool is ${compareTimes(serialMs, pooledMs)} than serial.`
 */
export function compareTimes(referenceMs: number, otherMs: number): string {
  checkPositive("`referenceMs`", referenceMs);
  checkPositive("`otherMs`", otherMs);
  const faster = otherMs <= referenceMs;
  const ratio = faster ? referenceMs / otherMs : otherMs / referenceMs;
  return `${ratio.toFixed(ratio < 1.1 ? 2 : 1)}× ${faster ? "faster" : "slower"}`;
}

/**
 * Amdahl's law: the speed-up on `workers` workers of a job whose
 * `serialFraction` cannot run in parallel: 1 / (f + (1 - f) / workers).
 */
export function amdahlSpeedup(serialFraction: number, workers: number): number {
  if (!(serialFraction >= 0 && serialFraction <= 1)) {
    throw new InvalidOptionError("`serialFraction`", `Expected \`serialFraction\` to be from 0 to 1, got ${serialFraction}.`);
  }
  checkPositive("`workers`", workers);
  return 1 / (serialFraction + (1 - serialFraction) / workers);
}

/** Result of {@link fitAmdahl}. */
export interface AmdahlFit {
  /** The fitted serial fraction f, from 0 (perfectly parallel) to 1 (no gain). */
  serialFraction: number;
  /** The largest speed-up the fit allows with unlimited workers: 1 / f (Infinity when f = 0). */
  maxSpeedup: number;
  /** Root-mean-square difference between the measured and the fitted speed-ups. */
  rmsError: number;
}

/**
 * Fits Amdahl's law to measured speed-ups by least squares on 1/S, which is
 * linear in f: 1/S - 1/N = f · (1 - 1/N). Points with one worker carry no
 * information (both sides are 0) and are ignored. The result is clamped to [0, 1].
 *
 * @param workers - worker counts (≥ 1).
 * @param speedups - measured speed-ups, same length.
 * @throws InvalidOptionError without at least one point with more than one worker.
 */
export function fitAmdahl(workers: readonly number[], speedups: readonly number[]): AmdahlFit {
  if (workers.length !== speedups.length) {
    throw new InvalidOptionError("`speedups`", "Expected `workers` and `speedups` to have the same length.");
  }
  let numerator = 0;
  let denominator = 0;
  workers.forEach((n, i) => {
    const s = speedups[i]!;
    checkPositive("`workers`", n);
    checkPositive("`speedups`", s);
    const x = 1 - 1 / n;
    numerator += x * (1 / s - 1 / n);
    denominator += x * x;
  });
  if (denominator === 0) {
    throw new InvalidOptionError("`workers`", "Fitting Amdahl's law needs at least one measurement with more than one worker.");
  }
  const serialFraction = Math.min(1, Math.max(0, numerator / denominator));
  const rmsError = Math.sqrt(
    workers.reduce((sum, n, i) => sum + (amdahlSpeedup(serialFraction, n) - speedups[i]!) ** 2, 0) / workers.length,
  );
  return { serialFraction, maxSpeedup: serialFraction === 0 ? Infinity : 1 / serialFraction, rmsError };
}

/**
 * Worker counts for a sweep that stays short on big machines: 1, 2, 4, 8, ...
 * below `max`, then `max` itself. 16 cores give 1, 2, 4, 8, 16 (5 counts, not 16).
 * @example ladder(6) // [1, 2, 4, 6]
 */
export function ladder(max: number): number[] {
  if (!(Number.isInteger(max) && max >= 1)) throw new InvalidOptionError("`max`", `Expected \`max\` to be an integer from 1 and up, got ${max}.`);
  const steps: number[] = [];
  for (let n = 1; n < max; n *= 2) steps.push(n);
  steps.push(max);
  return steps;
}
