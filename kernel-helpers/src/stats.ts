/**
 * Small, pure statistics for timings. Each function checks its input and is
 * tested against hand-computed values.
 */
import { InvalidOptionError } from "./errors";

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
