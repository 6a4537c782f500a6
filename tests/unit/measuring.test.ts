/**
 * The measuring helpers the notebooks share: wording chosen from the numbers, the machine's cores explained, the quiet-machine check, sweep ladders, range bars and timelines, measure(), and Python's own functions run live.
 */
import {
  ABOVE_IDEAL_MARGIN,
  CLOSE_TO_IDEAL,
  checkQuiet,
  coresExplained,
  costWord,
  describeSpeedup,
  efficiencyWord,
  ladder,
  machineSummary,
  measure,
  parallelCores,
  pythonOriginal,
  PythonFailedError,
  quietVerdict,
  rangeBars,
  relativeSpeed,
  shareOf,
  timeline,
  timeRepeated,
  type MachineSummary,
  type QuietCheck,
} from "kernel-helpers";
import { rejectionOf } from "../test-helpers";

describe("wording chosen from the numbers", () => {
  test.each([
    [1.2, "above ideal"],
    [1 + ABOVE_IDEAL_MARGIN, "close to ideal"],
    [CLOSE_TO_IDEAL, "close to ideal"],
    [0.89, "good"],
    [0.7, "good"],
    [0.59, "modest"],
    [0.39, "poor"],
  ])("efficiency %p reads %p", (e, word) => {
    expect(efficiencyWord(e)).toBe(word);
  });

  test("describeSpeedup gives the numbers, the word, and names the causes of an efficiency above ideal or a slowdown", () => {
    expect(describeSpeedup(2890, 1660, 2)).toBe("2 workers: 1.74× the serial speed, efficiency 0.87 (good).");
    expect(describeSpeedup(2000, 1000, 2)).toBe("2 workers: 2.00× the serial speed, efficiency 1.00 (close to ideal).");
    expect(describeSpeedup(2890, 1300, 2)).toMatch(/efficiency 1\.11 \(above ideal\)\. More than 2× cannot come from the workers alone/);
    expect(describeSpeedup(100, 300, 1)).toMatch(/^1 worker: 0\.33× the serial speed, efficiency 0\.33 \(poor\): slower than serial, so the costs of going parallel/);
    expect(describeSpeedup(1000, 555.8, 2)).toMatch(/efficiency 0\.90 \(close to ideal\)/); // 0.8996: the word follows the printed 0.90
  });

  test("relativeSpeed, shareOf and costWord", () => {
    expect(relativeSpeed(100, 103)).toBe("about as fast as");
    expect(relativeSpeed(100, 50)).toBe("2.0× faster than");
    expect(relativeSpeed(100, 150)).toBe("1.5× slower than");
    expect([shareOf(23, 100), shareOf(50, 100), shareOf(0.5, 100), shareOf(300, 100)]).toEqual(["23 % of", "about half of", "under 1 % of", "3.0× as long as"]);
    expect([0.01, 0.05, 0.23, 0.5].map(costWord)).toEqual(["negligible", "small", "noticeable", "large"]);
  });
});

describe("the machine's cores", () => {
  const base: MachineSummary = { ...machineSummary(), logicalCores: 8, availableCores: 8, physicalCores: 8, coreKinds: null };

  test("the summary reports physical cores on Linux", () => {
    const here = machineSummary();
    if (process.platform === "linux") expect(here.physicalCores).toBeGreaterThanOrEqual(1);
    expect(here.physicalCores === null || here.physicalCores <= here.logicalCores).toBe(true);
  });

  test("SMT, hybrid cores and an affinity limit are each explained, and parallelCores takes the smallest real count", () => {
    expect(coresExplained(base)).toMatch(/8 logical cores, and as many physical cores \(no SMT\)/);
    const smt = { ...base, physicalCores: 4 };
    expect(coresExplained(smt)).toMatch(/on 4 physical cores: each physical core runs 2 hardware threads \(SMT\)/);
    expect(parallelCores(smt)).toBe(4);
    const limited = { ...base, availableCores: 2 };
    expect(coresExplained(limited)).toMatch(/this process may use 2/);
    expect(parallelCores(limited)).toBe(2);
    expect(coresExplained({ ...base, coreKinds: { performance: 4, efficiency: 4 } })).toMatch(/4 performance and 4 efficiency cores/);
    expect(coresExplained({ ...base, physicalCores: null })).toMatch(/does not say how many are physical/);
    expect(parallelCores({ ...base, physicalCores: null })).toBe(8);
  });
});

describe("the quiet-machine check", () => {
  const reading = (otherCores: number | null, loopMs: number): QuietCheck => ({
    at: "2026-01-01T00:00:00.000Z",
    otherCores,
    loopMs,
    loopSamplesMs: [loopMs],
    availableCores: 2,
  });

  test("a real reading has a fixed-loop time and, on Linux, the other processes' load", async () => {
    const check = await checkQuiet();
    expect(check.loopMs).toBeGreaterThan(0);
    expect(check.loopSamplesMs).toHaveLength(6);
    if (process.platform === "linux") expect(check.otherCores).not.toBeNull();
  });

  test("the verdict says quiet or not quiet from the load, and steady or drifting from the loop", () => {
    expect(quietVerdict(reading(0.02, 14))).toBe("Machine check: other processes kept 0.02 of 2 cores busy (quiet); a fixed loop took 14.0 ms.");
    expect(quietVerdict(reading(0.5, 14))).toMatch(/NOT quiet/);
    expect(quietVerdict(reading(null, 14))).toMatch(/load unknown/);
    expect(quietVerdict(reading(0, 14), reading(0, 14.7))).toMatch(/\+5\.0 %\): CPU speed steady/);
    expect(quietVerdict(reading(0, 14), reading(0, 17))).toMatch(/\+21\.4 %\): the CPU ran slower at the end/);
  });
});

describe("sweeps, figures and measure()", () => {
  test("ladder: powers of two below the maximum, then the maximum", () => {
    expect([1, 2, 3, 6, 16, 24].map(ladder)).toEqual([[1], [1, 2], [1, 2, 3], [1, 2, 4, 6], [1, 2, 4, 8, 16], [1, 2, 4, 8, 16, 24]]);
    expect(() => ladder(0)).toThrow(/from 1 and up/);
  });

  test("rangeBars: medians with min-max whiskers, scaled, on a linear axis from zero unless asked", () => {
    const figure = rangeBars(
      [
        { label: "serial", samples: [3000, 1000, 2000] },
        { label: "pool", samples: [1000] },
      ],
      { title: "t", valueTitle: "seconds", scale: 1000 },
    );
    const bar = figure.data[0] as { x: string[]; y: number[]; error_y: { array: number[]; arrayminus: number[] } };
    expect(bar.x).toEqual(["serial", "pool"]);
    expect(bar.y).toEqual([2, 1]);
    expect(bar.error_y.array).toEqual([1, 0]);
    expect(bar.error_y.arrayminus).toEqual([1, 0]);
    expect((figure.layout as { yaxis: { rangemode: string } }).yaxis.rangemode).toBe("tozero");
  });

  test("timeline: one row per lane, one trace per group, times in seconds from the first start", () => {
    const figure = timeline(
      [
        { lane: "w1", startMs: 1000, endMs: 1500, label: "task 0", group: "p1" },
        { lane: "w2", startMs: 1200, endMs: 2200, label: "task 1", group: "p2" },
      ],
      { title: "who ran what" },
    );
    expect(figure.data.map((t) => t.name)).toEqual(["p1", "p2"]);
    expect(figure.data[1]).toMatchObject({ y: ["w2"], base: [0.2], x: [1] });
  });

  test("measure() runs the warm-up untimed and times the repeats", async () => {
    let calls = 0;
    const timing = await measure("counting", () => ++calls, { repeats: 3, warmup: 2 });
    expect(calls).toBe(5);
    expect(timing.samplesMs).toHaveLength(3);
    expect(timing.value).toBe(5);
  });

  test("measure() and timeRepeated() refuse a misspelt option or a bad count by name, before running anything", async () => {
    let calls = 0;
    const work = (): number => ++calls;
    await expect(measure("x", work, { repeat: 5 } as never)).rejects.toThrow(/Unknown option `repeat` of `measure`/);
    await expect(measure("x", work, { repeats: "3" } as never)).rejects.toThrow(/`repeats`.*integer/);
    await expect(timeRepeated(work, { warmups: 0 } as never)).rejects.toThrow(/Unknown option `warmups` of `timeRepeated`/);
    await expect(timeRepeated(work, { onRun: "log" } as never)).rejects.toThrow(/`onRun` of `timeRepeated` to be a function/);
    expect(calls).toBe(0);
  });
});

describe("Python's own functions, live", () => {
  test("the plain loop and (when installed) numpy are timed, with the Python that ran them", async () => {
    const py = await pythonOriginal("leibniz", { terms: 20_000, repeats: 2 }, { showProgress: false });
    expect(py.loopMs).toHaveLength(2);
    expect(py.numpyMs === null ? py.numpyVersion : py.numpyMs.length).toBe(py.numpyMs === null ? null : 2);
    expect(py.python.version).toMatch(/^3\./);
    expect(["fork", "spawn", "forkserver"]).toContain(py.python.startMethod);
  }, 60_000);

  test("a Pool run and round trips come back as samples", async () => {
    const pool = await pythonOriginal("leibnizPool", { tasks: 2, terms: 10_000, workers: 2, repeats: 1 }, { showProgress: false });
    expect([pool.serialMs.length, pool.pooledMs.length]).toEqual([1, 1]);
    const trips = await pythonOriginal("roundTrips", { workers: 1, tasks: 50, repeats: 1 }, { showProgress: false });
    expect(trips.perSecond[0]).toBeGreaterThan(0);
  }, 60_000);

  test("a failing measurement rejects with PythonFailedError carrying Python's traceback", async () => {
    const error = await rejectionOf(pythonOriginal("leibniz", { terms: "many" as unknown as number, repeats: 1 }, { showProgress: false }));
    expect(error).toBeInstanceOf(PythonFailedError);
    expect((error as Error).message).toMatch(/exited with status 1[\s\S]*TypeError/);
  }, 60_000);
});
