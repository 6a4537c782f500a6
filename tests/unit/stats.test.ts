/**
 * stats (hand-computed values) and timing (counts and validation only: no
 * assertion depends on how long anything took).
 */
import {
  InvalidOptionError,
  amdahlSpeedup,
  fitAmdahl,
  compareTimes,
  mean,
  median,
  parallelEfficiency,
  quantile,
  speedup,
  standardDeviation,
  summarize,
  time,
  timeRepeated,
} from "kernel-helpers";

describe("mean, median, quantile, standardDeviation", () => {
  test("mean of [1, 2, 3, 4] is 2.5 and of [7] is 7", () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    expect(mean([7])).toBe(7);
    expect(mean([-1, 1])).toBe(0);
  });

  test("median of an odd count is the middle value (after sorting)", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([9, 1, 5, 3, 7])).toBe(5);
    expect(median([42])).toBe(42);
  });

  test("median of an even count is the mean of the two middle values", () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([10, 20])).toBe(15);
  });

  test("median does not reorder its input", () => {
    const samples = [3, 1, 2];
    median(samples);
    expect(samples).toEqual([3, 1, 2]);
  });

  test.each([
    [[1, 2, 3, 4], 0, 1],
    [[1, 2, 3, 4], 0.25, 1.75],
    [[1, 2, 3, 4], 0.5, 2.5],
    [[1, 2, 3, 4], 0.75, 3.25],
    [[1, 2, 3, 4], 1, 4],
    [[10, 20, 30], 0.1, 12],
    [[5], 0.3, 5],
    [[4, 3, 2, 1], 0.25, 1.75],
  ])("quantile(%p, %p) is %p (numpy's linear interpolation)", (samples, q, expected) => {
    expect(quantile(samples, q)).toBeCloseTo(expected, 12);
  });

  test("sample standard deviation of [2, 4, 4, 4, 5, 5, 7, 9] is sqrt(32/7) = 2.138...", () => {
    const sd = standardDeviation([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(sd).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(sd).toBeCloseTo(2.13809, 5);
  });

  test("standard deviation of one sample is 0, and of equal samples is 0", () => {
    expect(standardDeviation([3])).toBe(0);
    expect(standardDeviation([5, 5, 5])).toBe(0);
  });

  test.each([
    ["mean", (xs: number[]) => mean(xs)],
    ["median", (xs: number[]) => median(xs)],
    ["quantile", (xs: number[]) => quantile(xs, 0.5)],
    ["standardDeviation", (xs: number[]) => standardDeviation(xs)],
    ["summarize", (xs: number[]) => summarize(xs)],
  ])("%s throws InvalidOptionError for an empty list and for NaN or Infinity", (_name, f) => {
    for (const bad of [[], [1, Number.NaN], [Number.POSITIVE_INFINITY], "1,2" as unknown as number[]]) {
      expect(() => f(bad)).toThrow(InvalidOptionError);
    }
    expect(() => f([])).toThrow("`samples`");
  });

  test.each([-0.1, 1.1, Number.NaN])("quantile with q = %p throws InvalidOptionError", (q) => {
    expect(() => quantile([1, 2], q)).toThrow(InvalidOptionError);
    expect(() => quantile([1, 2], q)).toThrow("`q`");
  });
});

describe("summarize", () => {
  test("summarize([4, 1, 3, 2]) gives runs, median, mean, min, max, stdev and IQR", () => {
    const s = summarize([4, 1, 3, 2]);
    expect(s.runs).toBe(4);
    expect(s.medianMs).toBe(2.5);
    expect(s.meanMs).toBe(2.5);
    expect(s.minMs).toBe(1);
    expect(s.maxMs).toBe(4);
    expect(s.stdevMs).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(s.iqrMs).toBeCloseTo(3.25 - 1.75, 12);
    expect(Object.keys(s).sort()).toEqual(["iqrMs", "maxMs", "meanMs", "medianMs", "minMs", "runs", "stdevMs"]);
  });

  test("summarize of one sample has zero spread", () => {
    expect(summarize([7])).toEqual({ runs: 1, medianMs: 7, meanMs: 7, minMs: 7, maxMs: 7, stdevMs: 0, iqrMs: 0 });
  });
});

describe("speedup and parallelEfficiency", () => {
  test("speedup is serial time / parallel time", () => {
    expect(speedup(10, 4)).toBe(2.5);
    expect(speedup(3, 6)).toBe(0.5);
  });

  test("parallel efficiency is speed-up / workers", () => {
    expect(parallelEfficiency(10, 4, 2)).toBe(1.25);
    expect(parallelEfficiency(8, 2, 4)).toBe(1);
    expect(parallelEfficiency(8, 4, 4)).toBe(0.5);
  });

  test.each([
    [0, 1],
    [1, 0],
    [-1, 1],
    [Number.NaN, 1],
    [1, Number.POSITIVE_INFINITY],
  ])("speedup(%p, %p) throws InvalidOptionError", (serial, parallel) => {
    expect(() => speedup(serial, parallel)).toThrow(InvalidOptionError);
    expect(() => parallelEfficiency(serial, parallel, 2)).toThrow(InvalidOptionError);
  });

  test.each([0, -2, Number.NaN])("parallelEfficiency with workers = %p throws InvalidOptionError naming `workers`", (workers) => {
    expect(() => parallelEfficiency(10, 5, workers)).toThrow(InvalidOptionError);
    expect(() => parallelEfficiency(10, 5, workers)).toThrow("`workers`");
  });
});

describe("time and timeRepeated", () => {
  test("time returns the value and a non-negative elapsed time, for sync and async functions", async () => {
    const sync = await time(() => 6 * 7);
    expect(sync.value).toBe(42);
    expect(sync.elapsedMs).toBeGreaterThanOrEqual(0);
    const asynchronous = await time(async () => "done");
    expect(asynchronous.value).toBe("done");
  });

  test("timeRepeated runs warmup + repeats times and returns `repeats` samples", async () => {
    let calls = 0;
    const onRun = jest.fn();
    const result = await timeRepeated(() => ++calls, { repeats: 4, warmup: 2, onRun });
    expect(calls).toBe(6);
    expect(result.samplesMs).toHaveLength(4);
    expect(result.runs).toBe(4);
    expect(result.value).toBe(6); // the last run's value
    expect(result.samplesMs.every((ms) => ms >= 0)).toBe(true);
    expect(result.minMs).toBe(Math.min(...result.samplesMs));
    expect(result.maxMs).toBe(Math.max(...result.samplesMs));
    expect(result.medianMs).toBe(median(result.samplesMs));
    expect(onRun).toHaveBeenCalledTimes(4);
    expect(onRun.mock.calls.map(([run, repeats]) => [run, repeats])).toEqual([
      [1, 4],
      [2, 4],
      [3, 4],
      [4, 4],
    ]);
  });

  test("timeRepeated defaults to 1 warmup run and 5 repeats", async () => {
    let calls = 0;
    const result = await timeRepeated(async () => ++calls);
    expect(calls).toBe(6);
    expect(result.samplesMs).toHaveLength(5);
  });

  test("timeRepeated with warmup 0 times every run", async () => {
    let calls = 0;
    const result = await timeRepeated(() => ++calls, { repeats: 1, warmup: 0 });
    expect(calls).toBe(1);
    expect(result.samplesMs).toHaveLength(1);
  });

  test.each([
    ["repeats 0", { repeats: 0 }, "`repeats`"],
    ["repeats 1.5", { repeats: 1.5 }, "`repeats`"],
    ["repeats NaN", { repeats: Number.NaN }, "`repeats`"],
    ["warmup -1", { warmup: -1 }, "`warmup`"],
    ["warmup 0.5", { warmup: 0.5 }, "`warmup`"],
  ])("timeRepeated with %s rejects with InvalidOptionError before running", async (_label, options, option) => {
    const fn = jest.fn();
    await expect(timeRepeated(fn, options)).rejects.toThrow(InvalidOptionError);
    await expect(timeRepeated(fn, options)).rejects.toThrow(option);
    expect(fn).not.toHaveBeenCalled();
  });

  test("an error thrown by the timed function propagates", async () => {
    await expect(
      timeRepeated(() => {
        throw new Error("inside");
      }),
    ).rejects.toThrow("inside");
  });
});

describe("compareTimes", () => {
  test("says how many times faster or slower, with two decimals for near-ties", () => {
    expect(compareTimes(4000, 2000)).toBe("2.0× faster");
    expect(compareTimes(1000, 3000)).toBe("3.0× slower");
    expect(compareTimes(1000, 1020)).toBe("1.02× slower");
    expect(compareTimes(1000, 1000)).toBe("1.00× faster");
  });
  test("rejects times that are not positive", () => {
    expect(() => compareTimes(0, 1)).toThrow("`referenceMs`");
    expect(() => compareTimes(1, Number.NaN)).toThrow("`otherMs`");
  });
});

describe("Amdahl's law", () => {
  test("amdahlSpeedup matches 1 / (f + (1 - f) / N) computed by hand", () => {
    expect(amdahlSpeedup(0, 4)).toBe(4);
    expect(amdahlSpeedup(1, 4)).toBe(1);
    expect(amdahlSpeedup(0.5, 2)).toBeCloseTo(1 / (0.5 + 0.25), 12); // 1.333...
    expect(amdahlSpeedup(0.1, 8)).toBeCloseTo(1 / 0.2125, 12);
  });

  test("fitAmdahl recovers the serial fraction from exact speed-ups", () => {
    const workers = [1, 2, 4, 8];
    const fit = fitAmdahl(workers, workers.map((n) => amdahlSpeedup(0.1, n)));
    expect(fit.serialFraction).toBeCloseTo(0.1, 12);
    expect(fit.maxSpeedup).toBeCloseTo(10, 9);
    expect(fit.rmsError).toBeLessThan(1e-12);
  });

  test("fitAmdahl on one two-worker point: S = 1.9 gives f = 1/S·2 - 1 = 0.0526...", () => {
    // 1/1.9 = f + (1 - f)/2  =>  f = 2/1.9 - 1
    expect(fitAmdahl([1, 2], [1, 1.9]).serialFraction).toBeCloseTo(2 / 1.9 - 1, 12);
  });

  test("fitAmdahl clamps super-linear and worse-than-serial data to [0, 1]", () => {
    expect(fitAmdahl([2, 4], [2.2, 4.5]).serialFraction).toBe(0);
    expect(fitAmdahl([2, 4], [0.5, 0.4]).serialFraction).toBe(1);
    expect(fitAmdahl([2], [2]).maxSpeedup).toBe(Infinity);
  });

  test("fitAmdahl needs a point with more than one worker and matching lengths", () => {
    expect(() => fitAmdahl([1, 1], [1, 1])).toThrow(InvalidOptionError);
    expect(() => fitAmdahl([1, 2], [1])).toThrow(InvalidOptionError);
    expect(() => amdahlSpeedup(1.5, 2)).toThrow(InvalidOptionError);
  });
});
