/** Timing helpers: one run, or repeated runs summarised by their median. */
import { summarize, type TimingSummary } from "./stats";
import { checkFunction, checkInteger } from "../primitives/validate";
import { checkKnownOptions } from "../primitives/known-options";
import { progress } from "./progress";

/** A value with the time it took, from {@link time}. */
export interface Timed<T> {
  value: T;
  elapsedMs: number;
}

/**
 * Runs `fn` once (awaiting it if it returns a promise) and measures the
 * wall-clock time with `performance.now()`.
 *
 * @example const { value, elapsedMs } = await time(() => leibnizPi(5_000_000));
 */
export async function time<T>(fn: () => T | Promise<T>): Promise<Timed<T>> {
  const start = performance.now();
  const value = await fn();
  return { value, elapsedMs: performance.now() - start };
}

/** Options of {@link timeRepeated}. */
export interface RepeatOptions {
  /** Timed runs. Default 5. */
  repeats?: number;
  /** Untimed runs first, so V8 has compiled the code (and caches are warm). Default 1. */
  warmup?: number;
  /** Called after each timed run with the run number (1-based), the total and its time. */
  onRun?: (run: number, repeats: number, elapsedMs: number) => void;
}

/** Result of {@link timeRepeated}: the summary plus every sample and the last value. */
export interface RepeatedTiming<T> extends TimingSummary {
  samplesMs: number[];
  value: T;
}

/**
 * Runs `fn` `warmup + repeats` times one after the other and summarises the
 * timed runs. Report the median: on a shared machine single runs are noisy.
 *
 * @example const t = await timeRepeated(() => leibnizPi(5e6), { repeats: 7 }); t.medianMs
 */
export async function timeRepeated<T>(fn: () => T | Promise<T>, options: RepeatOptions = {}): Promise<RepeatedTiming<T>> {
  checkKnownOptions(options, ["repeats", "warmup", "onRun"], "`timeRepeated`");
  if (options.onRun !== undefined) checkFunction("`onRun`", options.onRun, "`timeRepeated`");
  const repeats = checkInteger("`repeats`", options.repeats ?? 5, { min: 1, max: 100_000 });
  const warmup = checkInteger("`warmup`", options.warmup ?? 1, { min: 0, max: 100_000 });
  for (let i = 0; i < warmup; i++) await fn();
  const samplesMs: number[] = [];
  let value!: T;
  for (let run = 1; run <= repeats; run++) {
    const timed = await time(fn);
    value = timed.value;
    samplesMs.push(timed.elapsedMs);
    options.onRun?.(run, repeats, timed.elapsedMs);
  }
  return { ...summarize(samplesMs), samplesMs, value };
}

/** Options of {@link measure}. */
export interface MeasureOptions {
  /** Timed runs. Default 3. */
  repeats?: number;
  /** Untimed runs first (V8 compiles the code, workers start, caches fill). Default 1. */
  warmup?: number;
}

/**
 * {@link timeRepeated} with a progress line that counts the warm-up and the
 * timed runs (and says how many of each): the notebooks' way to time one case.
 *
 * @param label - what is timed, shown on the progress line.
 * @param run - one run of the work.
 * @example const serial = await measure("serial", () => tasks.map((n) => leibnizPi(n)), { repeats: REPEATS });
 */
export async function measure<T>(label: string, run: () => T | Promise<T>, options: MeasureOptions = {}): Promise<RepeatedTiming<T>> {
  checkKnownOptions(options, ["repeats", "warmup"], "`measure`");
  const repeats = checkInteger("`repeats`", options.repeats ?? 3, { min: 1, max: 100_000 });
  const warmup = checkInteger("`warmup`", options.warmup ?? 1, { min: 0, max: 100_000 });
  const bar = progress(label, warmup + repeats);
  bar.note(warmup > 0 ? `${warmup} warm-up + ${repeats} timed` : `${repeats} timed`);
  try {
    for (let i = 0; i < warmup; i++) {
      await run();
      bar.tick();
    }
    return await timeRepeated(run, { repeats, warmup: 0, onRun: () => bar.tick() });
  } finally {
    bar.done();
  }
}
