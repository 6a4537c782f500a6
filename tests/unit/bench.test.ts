/**
 * The bench's modules (scripts/bench/), without Python, Jupyter or a kernel: the
 * report from fixed results (table text and JSON shape), the flags, the CPU
 * accounting, and the real measurement functions at tiny sizes on a pool of one
 * thread. No timing thresholds: only shapes, units and consistency are checked.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Pool } from "kernel-helpers";
import { otherCores, ownCpuMs } from "kernel-helpers";
import { measureHeavyTasks } from "../../scripts/bench/heavy";
import { DEFAULT_OUT, DEFAULT_PYTHONS, SETTINGS, UsageError, defaultSweepWorkers, parseArgs } from "../../scripts/bench/options";
import { report, writeReportFiles } from "../../scripts/bench/report";
import type { BenchResults } from "../../scripts/bench/report";
import { measureChunkedMap, measureRoundTrips } from "../../scripts/bench/round-trips";
import { measureNodeSerial } from "../../scripts/bench/serial";
import { measureStartup } from "../../scripts/bench/startup";
import { takeTurns } from "../../scripts/bench/turns";

/** Asserts a positive finite number. */
function expectPositive(value: unknown): void {
  expect(typeof value === "number" && Number.isFinite(value) && value > 0).toBe(true);
}

/** Fixed results of a run on a 2-worker machine; `withPython` and `withCpu` switch the optional parts. */
function fixedResults({ withPython = true, withCpu = true } = {}): BenchResults {
  const series = (description: string, roundTripsPerSecond: number) => ({
    description,
    roundTripsPerSecond,
    roundTripsPerSecondSamples: [roundTripsPerSecond - 1000, roundTripsPerSecond + 1000],
    otherCoresPerRound: [0.01, null],
  });
  const heavyComparison = (pooledMs: number) => ({
    serialMs: 2000,
    pooledMs,
    speedup: 2000 / pooledMs,
    efficiency: 2000 / pooledMs / 2,
    serialCpuMs: withCpu ? 2000 : null,
    pooledCpuMs: withCpu ? 2100 : null,
    utilization: withCpu ? 2100 / (2 * pooledMs) : null,
    cpuInflation: withCpu ? 1.05 : null,
    serialSamplesMs: [2000, 2000],
    pooledSamplesMs: [pooledMs, pooledMs],
    serialOtherCores: [0, 0],
    pooledOtherCores: [0, 0],
    serialCpuSamplesMs: [2000, 2000],
    pooledCpuSamplesMs: [2100, 2100],
    efficiencyPerRound: [2000 / pooledMs / 2, 2000 / pooledMs / 2],
  });
  return {
    mode: "quick",
    settings: { ...SETTINGS.quick },
    workers: 2,
    machine: {
      cpuModel: "Test CPU",
      logicalCores: 2,
      availableCores: 2,
      physicalCores: 2,
      coreKinds: null,
      memoryGiB: 8,
      platform: "linux x64",
      node: "v20.0.0",
      v8: "11.0",
      tslab: null,
    },
    versions: { workerpool: "10.0.3", piscina: "5.3.2" },
    roundTrips: {
      helperPool: series("kernel-helpers Pool.applyAsync, threads", 25_000),
      workerpool: series("raw workerpool 10.0.3 exec, threads", 26_000),
      piscina: series("piscina 5.3.2 run, threads", 34_000),
      helperPoolProcess: series("kernel-helpers Pool.applyAsync, processes", 20_000),
      workerpoolProcess: series("raw workerpool 10.0.3 exec, processes", 22_000),
    },
    chunkedMap: {
      helperMapChunked: {
        description: 'kernel-helpers Pool.map("echo", items), default chunk size, threads',
        itemsPerSecond: 2_000_000,
        itemsPerSecondSamples: [2_000_000, 2_000_000],
        otherCoresPerRound: [0, 0],
      },
      helperMapChunkedProcess: {
        description: 'kernel-helpers Pool.map("echo", items), default chunk size, processes',
        itemsPerSecond: 2_100_000,
        itemsPerSecondSamples: [2_100_000, 2_100_000],
        otherCoresPerRound: [0, 0],
      },
    },
    startup: { thread: { medianMs: 37, samplesMs: [36, 37, 38] }, process: { medianMs: 78.5, samplesMs: [78.5] } },
    heavy: { tasks: 8, terms: 183_000_000, workers: 2, thread: heavyComparison(1000), process: heavyComparison(1250) },
    nodeSerial: { terms: 5_000_000, medianMs: 6.8, samplesMs: [6.8, 6.9, 6.7] },
    python: withPython
      ? {
          result: {
            executable: "/usr/bin/python3",
            version: "3.11.7",
            implementation: "CPython",
            startMethod: "fork",
            cpuCount: 2,
            workers: 2,
            tasks: 3000,
            rounds: 2,
            applyAsyncPerSecond: 30_000,
            applyAsyncSamplesPerSecond: [29_000, 31_000],
            terms: 5_000_000,
            serialMs: 340,
            serialSamplesMs: [340, 340],
            leibnizValue: 3.14159,
          },
          errors: [],
          otherCores: 0.02,
        }
      : { result: null, errors: ["python3: spawn python3 ENOENT"], otherCores: null },
    createdAt: new Date("2026-01-02T03:04:05.678Z"),
    durationS: 9.5,
    otherCpuCores: withCpu ? 0.25 : null,
    loadAverage: [0.5, 0.25, 0.1],
  };
}

describe("parseArgs", () => {
  test("no flags give the full run into results/bench with python3, then /usr/bin/python3", () => {
    expect(parseArgs([])).toEqual({ quick: false, out: DEFAULT_OUT, pythons: DEFAULT_PYTHONS, help: false, sweep: false, workers: null });
    expect(DEFAULT_PYTHONS).toEqual(["python3", "/usr/bin/python3"]);
  });

  test("--quick, --out DIR, --out=DIR, --python EXE and -h are read", () => {
    expect(parseArgs(["--quick", "--out", "some/dir", "--python", "py3"])).toEqual({
      quick: true,
      out: path.resolve("some/dir"),
      pythons: ["py3"],
      help: false,
      sweep: false,
      workers: null,
    });
    expect(parseArgs(["--out=elsewhere"]).out).toBe(path.resolve("elsewhere"));
    expect(parseArgs(["-h"]).help).toBe(true);
  });

  test.each([
    [["--frobnicate"], "--frobnicate"],
    [["--out"], "--out"],
    [["--out", "--quick"], "--out"],
    [["--quick=yes"], "--quick"],
    [["--python"], "--python"],
    [["--out", __filename], "--out"],
    [["--sweep=yes"], "--sweep"],
    [["--sweep", "--workers"], "--workers"],
    [["--workers", "1,4"], "--workers"],
    [["--sweep", "--workers", "0,4"], '"0,4"'],
    [["--sweep", "--workers", "1,,4"], '"1,,4"'],
    [["--sweep", "--workers", "two"], '"two"'],
    [["--sweep", "--workers", "1.5"], '"1.5"'],
    [["--sweep", "--workers", "257"], '"257"'],
  ])("%j is refused with a UsageError naming the flag or showing the bad value", (argv, flag) => {
    expect(() => parseArgs(argv)).toThrow(UsageError);
    expect(() => parseArgs(argv)).toThrow(flag);
  });

  test("--sweep alone takes the default worker counts (null here); --workers gives them ascending, without repeats", () => {
    expect(parseArgs(["--sweep"])).toMatchObject({ sweep: true, workers: null, quick: false });
    expect(parseArgs(["--sweep", "--workers", "16,1,4,4"]).workers).toEqual([1, 4, 16]);
    expect(parseArgs(["--workers=2", "--sweep", "--quick"])).toMatchObject({ sweep: true, workers: [2], quick: true });
    expect(parseArgs(["--sweep", "--workers", " 1, 2 "]).workers).toEqual([1, 2]);
  });

  test("the default worker counts are 1, 4 and every available core: 1, 2, 4 on 2 cores (4 oversubscribed), 1, 4, 16 on 16", () => {
    expect(defaultSweepWorkers(2)).toEqual([1, 2, 4]);
    expect(defaultSweepWorkers(16)).toEqual([1, 4, 16]);
    expect(defaultSweepWorkers(4)).toEqual([1, 4]);
    expect(defaultSweepWorkers(1)).toEqual([1, 4]);
    expect(defaultSweepWorkers()).toContain(os.availableParallelism());
  });
});

describe("CPU accounting", () => {
  const at = (machineBusyTicks: number, ownTicks: number, wallMs: number) => ({ machineBusyTicks, ownTicks, wallMs });

  test("other cores = (machine busy - our own) ticks / elapsed ticks, at 100 ticks a second", () => {
    // 2 s = 200 ticks; the machine was busy 300 ticks, we used 250: others kept 0.25 cores busy
    expect(otherCores(at(1000, 100, 0), at(1300, 350, 2000))).toBeCloseTo(0.25, 12);
    expect(ownCpuMs(at(1000, 100, 0), at(1300, 350, 2000))).toBe(2500);
  });

  test("other cores are never negative, and null without snapshots or elapsed time", () => {
    expect(otherCores(at(0, 0, 0), at(100, 150, 1000))).toBe(0);
    expect(otherCores(null, at(1, 1, 1))).toBeNull();
    expect(otherCores(at(0, 0, 5), at(10, 0, 5))).toBeNull();
    expect(ownCpuMs(at(0, 0, 0), null)).toBeNull();
  });
});

describe("takeTurns", () => {
  test("every contender runs once per round, and who goes first rotates", async () => {
    const order: string[] = [];
    const runs = await takeTurns(["a", "b", "c"], 3, (name) => {
      order.push(name);
      return name.toUpperCase();
    });
    expect(order.join("")).toBe("abcbcacab");
    expect(runs.a.map((r) => r.value)).toEqual(["A", "A", "A"]);
    expect(Object.keys(runs)).toEqual(["a", "b", "c"]);
  });
});

describe("report", () => {
  test("the JSON keeps the documented fields, in the documented units", () => {
    const { json } = report(fixedResults());
    expect(Object.keys(json)).toEqual([
      "schema", "createdAt", "durationS", "mode", "definitions", "machine", "versions", "settings", "throughput",
      "throughputDescriptions", "throughputSamples", "throughputOtherCores", "startupMs", "startupSamplesMs", "heavy",
      "efficiency", "serial", "serialVsPython", "python", "targets",
    ]);
    expect(json.createdAt).toBe("2026-01-02T03:04:05.678Z");
    expect(json.machine).toMatchObject({ cpuModel: "Test CPU", loadAverage: [0.5, 0.25, 0.1], otherCpuCores: 0.25 });
    expect(json.versions).toEqual({ workerpool: "10.0.3", piscina: "5.3.2", node: "v20.0.0" });
    expect(json.settings.workers).toBe(2);
    expect(json.throughput).toEqual({
      helperPool: 25_000,
      workerpool: 26_000,
      piscina: 34_000,
      python: 30_000,
      helperMapChunked: 2_000_000,
      helperPoolProcess: 20_000,
      workerpoolProcess: 22_000,
      helperMapChunkedProcess: 2_100_000,
    });
    for (const key of Object.keys(json.throughput)) {
      expect(json.throughputDescriptions).toHaveProperty(key);
      expect(json.throughputSamples).toHaveProperty(key);
      expect(json.throughputOtherCores).toHaveProperty(key);
    }
    expect(json.throughputDescriptions.piscina).toBe("round trips/s: piscina 5.3.2 run, threads");
    expect(json.throughputDescriptions.helperMapChunked).toMatch(/^items\/s: /);
    expect(json.startupMs).toEqual({ thread: 37, process: 78.5 });
    expect(json.efficiency).toEqual({ thread: 1, process: 0.8 });
    expect(json.serial).toEqual({ terms: 5_000_000, nodeSerialMs: 6.8, nodeSamplesMs: [6.8, 6.9, 6.7], pythonSerialMs: 340, pythonSamplesMs: [340, 340] });
    expect(json.serialVsPython).toBeCloseTo(50, 12);
    expect(json.python).toMatchObject({ available: true, executable: "/usr/bin/python3", startMethod: "fork" });
    for (const key of ["roundTrip", "throughput", "startupMs", "heavy", "efficiency", "otherCpuCores", "serialVsPython"]) {
      expect(typeof (json.definitions as Record<string, unknown>)[key]).toBe("string");
    }
  });

  test("the targets compare the right ratios with their thresholds", () => {
    const { json } = report(fixedResults());
    expect(json.targets.map((t) => [t.name, t.target, t.met])).toEqual([
      ["efficiency.thread", 0.95, true],
      ["efficiency.process", 0.9, false],
      ["helperPool / workerpool", 0.9, true],
      ["helperMapChunked / piscina", 10, true],
    ]);
    expect(json.targets[2]?.value).toBeCloseTo(25 / 26, 12);
  });

  test("the text has the header, one aligned row per measurement, the targets and the noise", () => {
    const { text } = report(fixedResults());
    expect(text).toContain("Benchmark (quick), 2 workers, medians of 2 rounds; Test CPU, 2 logical cores");
    expect(text).toContain("Python: CPython 3.11.7 (/usr/bin/python3), multiprocessing start method fork");
    expect(text).toMatch(/^Round trip: one trivial task/m);
    expect(text).toMatch(/^round trips\/s, raw workerpool \(threads\) +26,000\/s$/m);
    expect(text).toMatch(/^items\/s, kernel-helpers chunked map \(processes\) +2,100,000\/s$/m);
    expect(text).toMatch(/^pool start-up until all answered, processes +78\.5 ms$/m);
    expect(text).toMatch(/^heavy: 8 x leibnizPi\(1\.83e\+8\) serial +2000 ms$/m);
    expect(text).toMatch(/^heavy: pooled, processes \(speed-up, efficiency\) +1250 ms \(1\.60x, 0\.800\)$/m);
    expect(text).toMatch(/^heavy: pool utilization \/ CPU inflation, threads +1\.050 \/ 1\.050$/m);
    expect(text).toMatch(/^serialVsPython = Python ms \/ Node ms \(> 1: Node faster\) +50\.0x$/m);
    expect(text).toMatch(/^efficiency\.process +0\.800 +>= 0\.9 +NO$/m);
    expect(text).toMatch(/^helperMapChunked \/ piscina +58\.8 +>= 10 +yes$/m);
    expect(text).toContain("Other processes kept 0.25 of 2 cores busy on average during the run -- the machine was shared");
    expect(text).toContain("Load average (1, 5, 15 min) at the end: 0.50, 0.25, 0.10");

    // the measurement table: a header, a dashed rule, then rows of one width (right-aligned medians)
    const lines = text.split("\n");
    const header = lines.findIndex((l) => /^measurement +median$/.test(l));
    expect(lines[header + 1]).toMatch(/^-+ +-+$/);
    const rows = lines.slice(header, lines.indexOf("", header));
    expect(rows).toHaveLength(2 + 18);
    expect(new Set(rows.map((r) => r.length)).size).toBe(1);
  });

  test("without Python its rows say n/a and its JSON fields are null; without /proc the CPU rows are left out", () => {
    const { json, text } = report(fixedResults({ withPython: false, withCpu: false }));
    expect(json.throughput.python).toBeNull();
    expect(json.throughputSamples.python).toBeNull();
    expect(json.serialVsPython).toBeNull();
    expect(json.serial.pythonSerialMs).toBeNull();
    expect(json.python).toEqual({ available: false, errors: ["python3: spawn python3 ENOENT"] });
    expect(text).toMatch(/^round trips\/s, Python Pool\.apply_async \(processes\) +n\/a \(no Python\)$/m);
    expect(text).not.toContain("Python: ");
    expect(text).not.toContain("utilization");
    expect(text).not.toContain("Other processes kept");
  });

  test("writeReportFiles writes latest.json and an identical timestamped copy", () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "bench-unit-"));
    try {
      const { json } = report(fixedResults());
      const { latest, copy } = writeReportFiles(path.join(out, "nested"), json);
      expect(path.basename(latest)).toBe("latest.json");
      expect(path.basename(copy)).toBe("bench-2026-01-02T03-04-05-678Z.json");
      expect(fs.readFileSync(copy, "utf8")).toBe(fs.readFileSync(latest, "utf8"));
      expect(JSON.parse(fs.readFileSync(latest, "utf8"))).toEqual(JSON.parse(JSON.stringify(json)));
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});

describe("measurements at tiny sizes, on a pool of one thread", () => {
  let pool: Pool;
  beforeAll(() => {
    pool = new Pool({ workers: 1, backend: "thread" });
  });
  afterAll(async () => {
    await pool.terminate();
  });

  test("measureRoundTrips: one median and one sample per round for each contender, in round trips per second", async () => {
    const series = await measureRoundTrips(
      [
        { key: "helperPool", description: "Pool.applyAsync", submit: (i) => pool.applyAsync("echo", [i]).get() },
        { key: "direct", description: "a resolved promise", submit: (i) => Promise.resolve(i) },
      ],
      { tasksPerRound: 200, rounds: 3 },
    );
    expect(Object.keys(series)).toEqual(["helperPool", "direct"]);
    for (const s of Object.values(series)) {
      expect(s.roundTripsPerSecondSamples).toHaveLength(3);
      s.roundTripsPerSecondSamples.forEach(expectPositive);
      expect(s.roundTripsPerSecond).toBeGreaterThanOrEqual(Math.min(...s.roundTripsPerSecondSamples));
      expect(s.roundTripsPerSecond).toBeLessThanOrEqual(Math.max(...s.roundTripsPerSecondSamples));
      expect(s.otherCoresPerRound).toHaveLength(3);
    }
    expect(series.helperPool.description).toBe("Pool.applyAsync");
  });

  test("measureRoundTrips rejects when a pool answers with wrong values", async () => {
    await expect(measureRoundTrips([{ key: "broken", description: "", submit: () => Promise.resolve(1) }], { tasksPerRound: 5, rounds: 1 })).rejects.toThrow(
      "echo returned wrong values",
    );
  });

  test("measureChunkedMap: items per second of each pool, one sample per round", async () => {
    const lines: string[] = [];
    const series = await measureChunkedMap([{ key: "helperMapChunked", label: "threads", description: "map", pool }], {
      items: 1000,
      rounds: 2,
      log: (line) => lines.push(line),
    });
    expect(series.helperMapChunked.itemsPerSecondSamples).toHaveLength(2);
    series.helperMapChunked.itemsPerSecondSamples.forEach(expectPositive);
    expectPositive(series.helperMapChunked.itemsPerSecond);
    expect(lines[0]).toContain("default chunk size 250");
    expect(lines[1]).toMatch(/^chunked map: round 1\/2 threads [\d,]+\/s/);
  });

  test("measureHeavyTasks: speed-up = serial / pooled median, efficiency = speed-up / workers, a sample per round", async () => {
    const heavy = await measureHeavyTasks({ thread: pool }, { workers: 1, tasks: 2, terms: 100_000, rounds: 2 });
    expect(heavy).toMatchObject({ tasks: 2, terms: 100_000, workers: 1 });
    const t = heavy.thread;
    expect(t.serialSamplesMs).toHaveLength(2);
    expect(t.pooledSamplesMs).toHaveLength(2);
    [...t.serialSamplesMs, ...t.pooledSamplesMs].forEach(expectPositive);
    expect(t.speedup).toBeCloseTo(t.serialMs / t.pooledMs, 10);
    expect(t.efficiency).toBeCloseTo(t.speedup / 1, 10);
    expect(t.efficiencyPerRound).toHaveLength(2);
    expect(t.serialOtherCores).toHaveLength(2);
    expect(t.pooledCpuSamplesMs).toHaveLength(2);
    if (t.utilization !== null && t.pooledCpuMs !== null) expect(t.utilization).toBeCloseTo(t.pooledCpuMs / t.pooledMs, 10);
  });

  test("measureStartup: a median and `count` samples in milliseconds per backend", async () => {
    const startup = await measureStartup(["thread"], { workers: 1, count: 2 });
    expect(Object.keys(startup)).toEqual(["thread"]);
    expect(startup.thread.samplesMs).toHaveLength(2);
    startup.thread.samplesMs.forEach(expectPositive);
    expectPositive(startup.thread.medianMs);
  });

  test("measureNodeSerial: `repeats` samples in milliseconds and their median", () => {
    const serial = measureNodeSerial({ terms: 1000, repeats: 3 });
    expect(serial.terms).toBe(1000);
    expect(serial.samplesMs).toHaveLength(3);
    serial.samplesMs.forEach((ms) => expect(ms).toBeGreaterThanOrEqual(0));
    expect([...serial.samplesMs].sort((a, b) => a - b)[1]).toBe(serial.medianMs);
  });
});
