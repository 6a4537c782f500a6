/**
 * speedup-report: where a speed-up came from (utilization, CPU inflation, serial busy cores) checked against
 * hand-computed values, the sentence chosen from them, measureCpu's runs, and the speed-up figure.
 */
import { accountSpeedup, explainSpeedup, measureCpu, measureCpuInTurns, MIN_ACCOUNTED_MS, speedupBars, type CpuSamples } from "kernel-helpers";

const runs = (wallMs: number, cpuMs: number | null, otherCores: number | null = 0): CpuSamples => ({
  samplesMs: [wallMs, wallMs, wallMs],
  cpuMs: [cpuMs, cpuMs, cpuMs],
  otherCores: [otherCores, otherCores, otherCores],
});

describe("accountSpeedup", () => {
  test("splits a perfect run into utilization 1, CPU inflation 1 and one busy serial core", () => {
    const a = accountSpeedup(runs(1000, 1000), runs(500, 1000), 2);
    expect(a).toMatchObject({ workers: 2, speedup: 2, efficiency: 1, utilization: 1, cpuInflation: 1, serialBusyCores: 1, unknownBecause: null });
  });

  test("efficiency equals utilization / (CPU inflation × serial busy cores)", () => {
    const a = accountSpeedup(runs(1200, 1000), runs(800, 1400), 2);
    expect(a.utilization).toBeCloseTo(1400 / 1600, 12);
    expect(a.cpuInflation).toBeCloseTo(1.4, 12);
    expect(a.serialBusyCores).toBeCloseTo(1000 / 1200, 12);
    expect(a.efficiency).toBeCloseTo(a.utilization! / (a.cpuInflation! * a.serialBusyCores!), 12);
  });

  test("says why the CPU parts are unknown: no /proc, or runs too short for the 10 ms clock", () => {
    expect(accountSpeedup(runs(1000, null), runs(500, 1000), 2).unknownBecause).toMatch(/no Linux \/proc/);
    const short = accountSpeedup(runs(MIN_ACCOUNTED_MS - 1, 100), runs(MIN_ACCOUNTED_MS - 1, 100), 2);
    expect(short).toMatchObject({ utilization: null, cpuInflation: null, serialBusyCores: null });
    expect(short.unknownBecause).toMatch(/too short/);
  });
});

describe("explainSpeedup picks its words from the numbers", () => {
  test("nothing lost at ideal efficiency", () => {
    expect(explainSpeedup(accountSpeedup(runs(1000, 1000), runs(500, 1000), 2))).toMatch(
      /kept 2\.00 of 2 cores busy \(utilization 1\.00\).*1\.00× the serial CPU time.*Nothing measurable was lost/,
    );
  });

  test("idle cores named as the loss", () => {
    expect(explainSpeedup(accountSpeedup(runs(1000, 1000), runs(625, 1000), 2))).toMatch(/Efficiency was lost because the workers' cores were busy only 80 % of the parallel time/);
  });

  test("slower cores named as the loss", () => {
    expect(explainSpeedup(accountSpeedup(runs(1000, 1000), runs(700, 1400), 2))).toMatch(/the parallel runs used 1\.40× the serial CPU time for the same work: CPU spent on the parallel machinery itself .*, or cores computing more slowly/);
  });

  test("SMT is named among the causes of slower cores only where logical cores may share a physical one", () => {
    const slower = accountSpeedup(runs(1000, 1000), runs(700, 1400), 2);
    expect(explainSpeedup(slower, { logicalCores: 8, physicalCores: 4 })).toMatch(/lower turbo clocks, SMT siblings where two share a physical core, a busy host\)/);
    expect(explainSpeedup(slower, { logicalCores: 8, physicalCores: null })).toMatch(/SMT siblings/);
    expect(explainSpeedup(slower, { logicalCores: 8, physicalCores: 8 })).toMatch(/lower turbo clocks, a busy host\)/);
    expect(explainSpeedup(slower, { logicalCores: 8, physicalCores: 8 })).not.toMatch(/SMT/);
  });

  test("other processes named when they were busy during the parallel runs", () => {
    expect(explainSpeedup(accountSpeedup(runs(1000, 1000), runs(800, 1000, 0.5), 2))).toMatch(/other processes kept 0\.50 cores busy during the parallel runs/);
  });

  test("above ideal: a serial run without a whole core, and less CPU for the same work in parallel", () => {
    const text = explainSpeedup(accountSpeedup(runs(1200, 1000), runs(500, 900), 2));
    expect(text).toMatch(/Efficiency above 1 because the serial runs got only 0\.83 of a core/);
    expect(text).toMatch(/less CPU time in parallel \(0\.90× the serial CPU time\)/);
  });

  test("above ideal with no measured cause: noise, said as such", () => {
    expect(explainSpeedup(accountSpeedup(runs(1100, 1100), runs(500, 1100), 2))).toMatch(/most likely run-to-run noise/);
  });

  test("below ideal with no single cause: says so instead of calling it ideal", () => {
    const text = explainSpeedup(accountSpeedup(runs(1000, 1000), runs(600, 1090), 2));
    expect(text).toMatch(/No single part stands out/);
    expect(text).not.toMatch(/Nothing measurable was lost/);
  });

  test("close to ideal despite measured losses (a busy machine slowing both sides): says both, and warns", () => {
    const text = explainSpeedup(accountSpeedup(runs(2000, 900, 1), runs(1000, 900, 1.5), 2));
    expect(text).toMatch(/Close to ideal all the same, although the workers' cores were busy only 45 % of the parallel time/);
    expect(text).toMatch(/The serial runs got only 0\.45 of a core: other work slowed both sides/);
  });

  test("unknown CPU time: says it cannot account, and why", () => {
    expect(explainSpeedup(accountSpeedup(runs(1000, null, null), runs(500, null, null), 2))).toBe(
      "CPU accounting: not possible here, because this OS does not report CPU time per process (no Linux /proc).",
    );
  });
});

describe("measureCpu", () => {
  test("runs the warm-up untimed, then times each run with its CPU time and the other processes' load", async () => {
    let calls = 0;
    const t = await measureCpu("test", () => ++calls, { repeats: 3, warmup: 2 });
    expect(calls).toBe(5);
    expect(t.value).toBe(5);
    expect(t.samplesMs).toHaveLength(3);
    expect(t.cpuMs).toHaveLength(3);
    expect(t.otherCores).toHaveLength(3);
    if (process.platform === "linux") for (const ms of t.cpuMs) expect(ms).toBeGreaterThanOrEqual(0);
  });

  test("rejects a bad repeat count, naming it", async () => {
    await expect(measureCpu("test", () => 1, { repeats: 0 })).rejects.toThrow(/`repeats`/);
  });
});

describe("measureCpuInTurns", () => {
  test("warms each case up, then runs every case once per round in a rotating order, with each case's CPU readings", async () => {
    const order: string[] = [];
    const cases = ["a", "b", "c"].map((name) => [name, () => order.push(name)] as const);
    const [a, b, c] = await measureCpuInTurns(cases, { repeats: 3, warmup: 1 });
    expect(order).toEqual(["a", "b", "c", "a", "b", "c", "b", "c", "a", "c", "a", "b"]);
    for (const t of [a!, b!, c!]) {
      expect(t.samplesMs).toHaveLength(3);
      expect(t.cpuMs).toHaveLength(3);
      expect(t.otherCores).toHaveLength(3);
      expect(t.medianMs).toBeGreaterThanOrEqual(0);
    }
    expect(a!.value).toBe(11); // a's last run was the 11th push (warm-ups, then rounds a b c, b c a, c a b)
  });

  test("refuses no cases, a run that is not a function, or a misspelt option, naming it, before running anything", async () => {
    let calls = 0;
    const run = (): number => ++calls;
    await expect(measureCpuInTurns([], {})).rejects.toThrow(/`cases`/);
    await expect(measureCpuInTurns([["x", 5 as never]])).rejects.toThrow(/`cases`/);
    await expect(measureCpuInTurns([["x", run]], { repeat: 2 } as never)).rejects.toThrow(/Unknown option `repeat` of `measureCpuInTurns`/);
    await expect(measureCpuInTurns([["x", run]], { repeats: 0 })).rejects.toThrow(/`repeats`/);
    expect(calls).toBe(0);
  });
});

describe("speedupBars", () => {
  test("bars are median serial / median parallel on a linear axis, whiskers the widest pairing, lines at 1× and the ideal", () => {
    const figure = speedupBars([{ label: "loop", serialMs: [900, 1000, 1100], parallelMs: [450, 500, 600] }], { title: "t", ideal: 2 });
    const bar = figure.data[0]!;
    expect(bar.y).toEqual([2]);
    const whisker = bar.error_y as { array: number[]; arrayminus: number[] };
    expect(whisker.array[0]).toBeCloseTo(1100 / 450 - 2, 12);
    expect(whisker.arrayminus[0]).toBeCloseTo(2 - 900 / 600, 12);
    const layout = figure.layout as { yaxis: { type?: string; range: number[] }; shapes: { y0: number }[] };
    expect(layout.yaxis.type).toBeUndefined();
    expect(layout.yaxis.range[1]).toBeGreaterThan(1100 / 450);
    expect(layout.shapes.map((s) => s.y0)).toEqual([1, 2]);
  });
});
