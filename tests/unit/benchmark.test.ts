/**
 * The benchmarking module behind notebook 03: the plan, rounds, records,
 * files, findings and figures, against hand-computed values. No assertion
 * depends on how long anything took (runRounds is fed instant fake runs).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  InvalidOptionError,
  SERIAL,
  amdahlIfEnough,
  amdahlSpeedup,
  assessNoise,
  breakEvenMs,
  compareRecords,
  coresForCounts,
  crossover,
  findRecord,
  gridPlan,
  growthWords,
  heaviestPoint,
  logSlope,
  logSpaced,
  machineSummary,
  pointKey,
  readSavedRuns,
  runRounds,
  saveRun,
  savedRunsFigure,
  scalingFigure,
  speedupHeatmap,
  timeVsWeight,
  toCsv,
  toRecords,
  type BenchRecord,
  type GridPoint,
  type PointSamples,
} from "kernel-helpers";
import { thrownBy } from "../test-helpers";

/** A record of `point` with the given rounds (its speed-up fields as for a serial run). */
function record(point: Partial<GridPoint>, samplesMs: number[]): BenchRecord {
  const full = { tasks: 1, weight: 1, strategy: SERIAL, workers: 1, ...point };
  const [r] = toRecords([{ point: { ...full, strategy: SERIAL, workers: 1 }, samplesMs, values: [] }]);
  return { ...r!, strategy: full.strategy, workers: full.workers };
}

describe("the plan", () => {
  test("logSpaced spreads values evenly on a log scale, rounded to two significant digits, ends exact", () => {
    expect(logSpaced(150, 100_000, 3)).toEqual([150, 3900, 100_000]);
    expect(logSpaced(10, 1000, 3)).toEqual([10, 100, 1000]);
    expect(logSpaced(150, 100_000, 5)).toEqual([150, 760, 3900, 20_000, 100_000]);
    expect(logSpaced(7, 7, 1)).toEqual([7]);
    expect(logSpaced(1, 2, 5)).toEqual([1, 2]); // duplicates after rounding are dropped
  });

  test("logSpaced refuses a maximum below the minimum, naming it", () => {
    const error = thrownBy(() => logSpaced(10, 5, 3));
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as Error).message).toMatch(/`max`.*got `5`/);
  });

  test("gridPlan: every (T, W) serially and with each strategy at the grid's workers, plus the sweep at the heaviest point only", () => {
    const plan = gridPlan({ taskCounts: [10, 100], weights: [150, 3900], strategies: ["A", "B"], gridWorkers: 2, sweepWorkers: [1, 2, 4] });
    const keys = plan.map(pointKey);
    expect(new Set(keys).size).toBe(keys.length);
    expect(plan.filter((p) => p.strategy === SERIAL)).toHaveLength(4);
    expect(plan.filter((p) => p.strategy === SERIAL).every((p) => p.workers === 1)).toBe(true);
    // 4 points × 2 strategies at 2 workers, and at (100, 3900) also 1 and 4 workers per strategy
    expect(plan.filter((p) => p.strategy !== SERIAL)).toHaveLength(4 * 2 + 2 * 2);
    expect(plan.filter((p) => p.workers === 4).map(pointKey).sort()).toEqual(["100|3900|A|4", "100|3900|B|4"]);
    expect(heaviestPoint([10, 100], [3900, 150])).toEqual({ tasks: 100, weight: 3900 });
  });

  test("gridPlan sweeps past the parallel cores only the strategies beyondCores names", () => {
    const plan = gridPlan({ taskCounts: [10], weights: [150], strategies: ["A", "B"], gridWorkers: 2, sweepWorkers: [1, 2, 4, 8], beyondCores: { parallelCores: 2, strategies: ["A"] } });
    expect(plan.filter((p) => p.strategy === "A").map((p) => p.workers)).toEqual([2, 1, 4, 8]);
    expect(plan.filter((p) => p.strategy === "B").map((p) => p.workers)).toEqual([2, 1]);
  });
});

describe("runRounds", () => {
  test("times every point once per round, round after round, and keeps what each run returned", async () => {
    const plan: GridPoint[] = [
      { tasks: 2, weight: 10, strategy: SERIAL, workers: 1 },
      { tasks: 2, weight: 10, strategy: "P", workers: 2 },
    ];
    const calls: string[] = [];
    const run = await runRounds(plan, (p) => { calls.push(p.strategy); return [p.workers, p.tasks]; }, { rounds: 3 });
    expect(calls).toEqual([SERIAL, "P", SERIAL, "P", SERIAL, "P"]);
    expect(run.results.map((r) => r.samplesMs.length)).toEqual([3, 3]);
    expect(run.results[1]!.values).toEqual([2, 2, 2, 2, 2, 2]);
    expect(run.results.every((r) => r.samplesMs.every((ms) => ms >= 0))).toBe(true);
    expect(run.elapsedMs).toBeGreaterThanOrEqual(0);
    expect(run.otherCores === null || run.otherCores >= 0).toBe(true);
  });

  test("awaits asynchronous runs and refuses zero rounds", async () => {
    const run = await runRounds([{ tasks: 1, weight: 1, strategy: SERIAL, workers: 1 }], async () => [3.14], { rounds: 1 });
    expect(run.results[0]!.values).toEqual([3.14]);
    await expect(runRounds([], () => [], { rounds: 0 })).rejects.toThrow(/`rounds`.*got `0`/);
  });
});

describe("records", () => {
  const results: PointSamples[] = [
    { point: { tasks: 10, weight: 100, strategy: SERIAL, workers: 1 }, samplesMs: [10, 20], values: [3, 3.2] },
    { point: { tasks: 10, weight: 100, strategy: "P", workers: 2 }, samplesMs: [5, 7, 6], values: [3.1] },
  ];

  test("toRecords gives median, spread, speed-up over serial at the same point and efficiency", () => {
    const [serial, parallel] = toRecords(results);
    expect(serial).toMatchObject({ medianMs: 15, minMs: 10, maxMs: 20, iqrMs: 5, speedupVsSerial: 1, efficiency: 1, runs: 2 });
    expect(serial!.meanValue).toBeCloseTo(3.1, 12);
    expect(parallel).toMatchObject({ medianMs: 6, minMs: 5, maxMs: 7, iqrMs: 1, speedupVsSerial: 2.5, efficiency: 1.25, meanValue: 3.1, samplesMs: [5, 7, 6] });
  });

  test("toRecords refuses a point without a serial run to compare with; findRecord names a missing point", () => {
    expect(() => toRecords([results[1]!])).toThrow(/No serial run at T = 10, W = 100/);
    const records = toRecords(results);
    expect(findRecord(records, 10, 100, "P", 2).medianMs).toBe(6);
    expect(() => findRecord(records, 10, 100, "P", 4)).toThrow(/No record for T = 10, W = 100, P, 4 worker/);
  });
});

describe("files", () => {
  test("toCsv writes a header with every column and quotes cells with commas, quotes or line breaks", () => {
    expect(toCsv([{ a: 1, b: "x,y" }, { a: 2, c: 'say "hi"' }])).toBe('a,b,c\n1,"x,y",\n2,,"say ""hi"""\n');
  });

  test("saveRun writes the CSV (no samples) and the JSON; readSavedRuns reads them back and skips other files with the reason", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "benchmark-test-"));
    try {
      const records = toRecords([{ point: { tasks: 10, weight: 100, strategy: SERIAL, workers: 1 }, samplesMs: [10, 20], values: [3] }]);
      const files = saveRun(dir, { notebook: "03-benchmarking", machine: machineSummary(), records, parameters: { CORES: 2, SCALE: "quick", GRID_WORKERS: 2 } }, new Date("2025-01-31T12:00:00Z"));
      expect(path.basename(files.jsonPath)).toMatch(/^notebook-03-2025-01-31T12-00-00-000Z-.+-2cores\.json$/);
      const csv = fs.readFileSync(files.csvPath, "utf8").trim().split("\n");
      expect(csv).toHaveLength(2);
      expect(csv[0]!.split(",")).toEqual(expect.arrayContaining(["tasks", "weight", "strategy", "workers", "medianMs", "speedupVsSerial"]));
      expect(csv[0]).not.toContain("samplesMs");
      fs.writeFileSync(path.join(dir, "notebook-03-broken.json"), "{ not json");
      fs.writeFileSync(path.join(dir, "notebook-03-other.json"), JSON.stringify({ notebook: "04-nesting", records: [1] }));
      fs.writeFileSync(path.join(dir, "notebook-04-x.json"), "{}"); // another notebook's name: not even looked at
      const found = readSavedRuns(dir, "03-benchmarking");
      expect(found.runs).toHaveLength(1);
      expect(found.runs[0]!.run.records[0]!.samplesMs).toEqual([10, 20]);
      expect(found.runs[0]!.label).toMatch(/ · 2 core\(s\) · 2025-01-31 12:00 UTC$/);
      expect(found.skipped.map((s) => s.file).sort()).toEqual(["notebook-03-broken.json", "notebook-03-other.json"]);
      expect(found.skipped.find((s) => s.file === "notebook-03-other.json")!.reason).toMatch(/written by "04-nesting"/);
      expect(readSavedRuns(path.join(dir, "missing"), "03-benchmarking")).toEqual({ runs: [], skipped: [] });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("findings", () => {
  test("assessNoise: quiet when others idle, the loop steady and the rounds tight; noisy on any of the three", () => {
    const tight = [record({}, [100, 101, 102]), record({}, [50, 50.5, 51])];
    expect(assessNoise(tight, { otherCores: 0.02, drift: 0.01 })).toMatchObject({ noisy: false });
    expect(assessNoise(tight, { otherCores: 0.02, drift: 0.01 }).sentence).toMatch(/quiet enough/);
    const busy = assessNoise(tight, { otherCores: 0.8 });
    expect(busy.noisy).toBe(true);
    expect(busy.sentence).toMatch(/kept 0\.80 cores busy \(NOT quiet\).*NOISY/);
    expect(assessNoise(tight, { otherCores: 0, drift: -0.3 }).sentence).toMatch(/30 % faster after the run than before \(the CPU speed drifted\)/);
    const wide = assessNoise([record({}, [100, 150, 200])], { otherCores: 0 });
    expect(wide).toMatchObject({ noisy: true, typicalSpread: 50 / 150, worstSpread: 50 / 150 }); // IQR 175 - 125 over the median 150
    // one round, or runs too short to judge: the spread is unknown, not zero
    expect(assessNoise([record({}, [100])], { otherCores: null }).typicalSpread).toBeNull();
    expect(assessNoise([record({}, [1, 3])], { otherCores: null }).sentence).toMatch(/other processes' load unknown.*spread of the rounds is unknown/);
  });

  test("compareRecords calls overlapping rounds indistinguishable and words the rest from the medians", () => {
    const a = record({ strategy: "A" }, [100, 110]);
    expect(compareRecords("A", a, "B", record({ strategy: "B" }, [105, 220]))).toMatch(/^B and A cannot be told apart in this run: their rounds overlap \(105\.0-220\.0 ms vs 100\.0-110\.0 ms\)\.$/);
    expect(compareRecords("A", a, "B", record({ strategy: "B" }, [200, 220]))).toBe("B is 2.0× slower than A (medians 210.0 vs 105.0 ms; the rounds do not overlap).");
    expect(compareRecords("A", record({}, [100]), "B", record({}, [50]))).toMatch(/2\.0× faster than A .*one round each/);
  });

  test("crossover: parallel wins only where every parallel round beats every serial round, from the first weight where it wins for good", () => {
    const at = (weight: number, serial: number[], parallel: number[]) => toRecords([
      { point: { tasks: 10, weight, strategy: SERIAL, workers: 1 }, samplesMs: serial, values: [] },
      { point: { tasks: 10, weight, strategy: "P", workers: 2 }, samplesMs: parallel, values: [] },
    ]);
    const records = [...at(100, [1, 1.1], [50, 60]), ...at(1000, [40, 60], [45, 55]), ...at(10_000, [400, 410], [250, 260]), ...at(100_000, [4000, 4100], [2100, 2200])];
    const found = crossover(records, 10);
    expect(found.verdicts.map((v) => v.winner)).toEqual(["serial", "too close", "parallel", "parallel"]);
    expect(found.fromWeight).toBe(10_000);
    expect(found.sentence).toMatch(/^T = 10: parallel wins from W = 10,000 on \(100,000 points in all; there P with 2 worker\(s\) ran 1\.59× .*serial faster at 1, too close to call at 1\.$/);
    const never = crossover(records.filter((r) => r.weight <= 1000), 10);
    expect(never.fromWeight).toBeNull();
    expect(never.sentence).toMatch(/^T = 10: parallel never clearly wins in this grid \(its best: P with 2 worker\(s\), 1\.00× the serial speed at W = 1,000, too close to call\)\.$/);
  });

  test("logSlope and growthWords: slope 1 is in proportion; a low slope is a fixed cost for parallel runs, but not for serial ones", () => {
    expect(logSlope(10, 1, 100, 10)).toBeCloseTo(1, 12);
    expect(logSlope(10, 1, 1000, 10)).toBeCloseTo(0.5, 12);
    expect(growthWords(1.05, "serial")).toBe("in proportion");
    expect(growthWords(0.3, "parallel")).toMatch(/fixed cost \(start-up, messages\)/);
    expect(growthWords(0.7, "serial")).toMatch(/serial code \(no start-up\) does not explain/);
    expect(growthWords(1.3, "serial")).toMatch(/^more than in proportion/);
  });

  test("breakEvenMs is startup · N / (N - 1), and never for one worker", () => {
    expect(breakEvenMs(10, 2)).toBe(20);
    expect(breakEvenMs(30, 4)).toBe(40);
    expect(breakEvenMs(10, 1)).toBe(Infinity);
  });
});

describe("amdahlIfEnough", () => {
  const law = (f: number, counts: number[]) => counts.map((workers) => ({ workers, speedup: amdahlSpeedup(f, workers) }));

  test("fits with at least 4 worker counts up to the parallel cores, and recovers the serial fraction", () => {
    const result = amdahlIfEnough(law(0.1, [1, 2, 4, 8]), { parallelCores: 8, cores: 8 });
    expect(result.reason).toBeNull();
    expect(result.fit!.serialFraction).toBeCloseTo(0.1, 10);
    expect(result.workers).toEqual([1, 2, 4, 8]);
    expect(coresForCounts(4)).toBe(5);
    expect(coresForCounts(2)).toBe(2);
  });

  test("on 2 cores it says a machine with at least 5 cores is needed, and that oversubscribed points do not help", () => {
    const result = amdahlIfEnough(law(0.1, [1, 2, 4, 8, 16]), { parallelCores: 2, cores: 16 });
    expect(result.fit).toBeNull();
    expect(result.reason).toMatch(/this run measured 1, 2\. That takes a machine with at least 5 cores .*--cores above 2 only adds oversubscribed points/);
  });

  test("on a big machine run with few cores it names the --cores to use", () => {
    expect(amdahlIfEnough(law(0.1, [1, 2, 4]), { parallelCores: 16, cores: 4 }).reason).toMatch(/Run with --cores 5 or more \(up to 16 on this machine\)/);
  });

  test("refuses points that are slowdowns (start-up outweighs the work) or at or above ideal (noise)", () => {
    const slow = [1, 2, 4, 8].map((workers) => ({ workers, speedup: 0.8 }));
    expect(amdahlIfEnough(slow, { parallelCores: 8, cores: 8 }).reason).toMatch(/only 0 qualify here, as some are not faster than serial: at this point start-up outweighs the work/);
    const ideal = [1, 2, 4, 8].map((workers) => ({ workers, speedup: workers }));
    expect(amdahlIfEnough(ideal, { parallelCores: 8, cores: 8 }).reason).toMatch(/at or above ideal, which is noise/);
  });
});

describe("figures", () => {
  const records = toRecords([
    { point: { tasks: 10, weight: 100, strategy: SERIAL, workers: 1 }, samplesMs: [100, 100], values: [] },
    { point: { tasks: 10, weight: 100, strategy: "A", workers: 2 }, samplesMs: [25, 25], values: [] }, // 4× faster: beyond the colour cap
    { point: { tasks: 10, weight: 100, strategy: "B", workers: 2 }, samplesMs: [50, 50], values: [] },
    { point: { tasks: 10, weight: 100, strategy: "A", workers: 1 }, samplesMs: [110, 110], values: [] },
    { point: { tasks: 10, weight: 1000, strategy: SERIAL, workers: 1 }, samplesMs: [1, 1], values: [] },
    { point: { tasks: 10, weight: 1000, strategy: "A", workers: 2 }, samplesMs: [100, 100], values: [] }, // 100× slower
    { point: { tasks: 10, weight: 1000, strategy: "B", workers: 2 }, samplesMs: [200, 200], values: [] },
  ]);

  test("timeVsWeight: one trace per task count and strategy, in seconds, on log axes with titles", () => {
    const figure = timeVsWeight(records, { workers: 2, title: "t" });
    expect(figure.data.map((t) => t["name"])).toEqual(["T = 10, serial", "T = 10, A", "T = 10, B"]);
    expect(figure.data[0]!["y"]).toEqual([0.1, 0.001]);
    expect((figure.layout!["xaxis"] as { type: string; title: { text: string } }).title.text).toMatch(/weight W/);
    expect((figure.layout!["yaxis"] as { type: string }).type).toBe("log");
  });

  test("speedupHeatmap: the best parallel strategy per point, log2 colours capped symmetrically at the ideal factor, exact factor in the text", () => {
    const trace = speedupHeatmap(records, { workers: 2, title: "h" }).data[0]!;
    expect(trace["z"]).toEqual([[1, -1]]); // log2(4) and log2(1/100), capped at ±log2(2)
    expect([trace["zmin"], trace["zmax"]]).toEqual([-1, 1]);
    expect(trace["text"]).toEqual([["A<br>4.0× serial", "A<br>0.010× serial"]]);
    const bar = trace["colorbar"] as { title: { text: string }; ticktext: string[] };
    expect(bar.title.text).toMatch(/speed-up over serial.*× serial, log scale/);
    expect(bar.ticktext).toEqual(["1/2×", "1×", "2×"]);
    expect(speedupHeatmap(records, { workers: 8, title: "h" }).data[0]!["zmax"]).toBe(3);
  });

  test("scalingFigure: the ideal line bends at the parallel cores, and a fit is drawn only over its fitted workers", () => {
    const sweep = toRecords([
      { point: { tasks: 1, weight: 1, strategy: SERIAL, workers: 1 }, samplesMs: [100], values: [] },
      ...[1, 2, 4, 8].map((workers) => ({ point: { tasks: 1, weight: 1, strategy: "A", workers }, samplesMs: [100 / Math.min(workers, 2)], values: [] })),
    ]);
    const plain = scalingFigure(sweep, { tasks: 1, weight: 1, parallelCores: 2, title: "s" });
    expect(plain.data[0]).toMatchObject({ x: [1, 2, 8], y: [1, 2, 2] });
    expect(plain.data).toHaveLength(2);
    const fitted = scalingFigure(sweep, { tasks: 1, weight: 1, parallelCores: 2, title: "s", fits: new Map([["A", { fit: { serialFraction: 0, maxSpeedup: Infinity, rmsError: 0 }, workers: [1, 2] }]]) });
    const curve = fitted.data[2]!;
    expect(Math.max(...(curve["x"] as number[]))).toBe(2);
    expect(curve["name"]).toMatch(/fitted range only/);
  });

  test("savedRunsFigure: per run, time per task at its largest T for serial and each strategy at its grid workers", () => {
    const run = { notebook: "03-benchmarking", savedAt: "2025-01-31T12:00:00.000Z", hostname: "h", machine: machineSummary(), parameters: { CORES: 2, SCALE: "quick", GRID_WORKERS: 2 }, records };
    const figure = savedRunsFigure([{ file: "f.json", run, label: "h · 2 core(s)" }], "f.json");
    expect(figure.data.map((t) => t["name"])).toEqual(["h · 2 core(s) (this run): serial", "h · 2 core(s) (this run): A", "h · 2 core(s) (this run): B"]);
    expect(figure.data[1]!["y"]).toEqual([2.5, 10]); // A at 2 workers, not A at 1 worker
  });
});
