/**
 * The sweep of `npm run bench -- --sweep` (scripts/bench/sweep*.js, primitives.js)
 * and the Python runners, without a Python: the report from fixed typed results
 * (the ratio table, the JSON's shape, the HTML's figures and that it needs no network),
 * the files it writes, and the Queue and Manager measurements at tiny sizes on threads.
 * No timing thresholds: only shapes, units and consistency are checked.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { measureNodeStart, Pool } from "kernel-helpers";
import { SWEEP_SETTINGS } from "../../scripts/bench/options";
import { measureManagerClients, measureQueueJobs } from "../../scripts/bench/primitives";
import { measurePython, measurePythonSweep, runPythonOnce } from "../../scripts/bench/python";
import type { PythonSweepResult } from "../../scripts/bench/python";
import type { SweepResults, SweepStep } from "../../scripts/bench/sweep";
import { sweepFigures, sweepHtml } from "../../scripts/bench/sweep-html";
import { ratioTable, sweepReport, writeSweepFiles } from "../../scripts/bench/sweep-report";
import { nodeStartLine } from "../../scripts/bench/node-start";

/** Asserts a positive finite number. */
function expectPositive(value: unknown): void {
  expect(typeof value === "number" && Number.isFinite(value) && value > 0).toBe(true);
}

const rate = (perSecond: number) => ({ perSecond, samplesPerSecond: [perSecond * 0.9, perSecond, perSecond * 1.1] });

/** Python's cells at `workers`: round trips 30,000/s, map 5M items/s, Queue 30,000/s, Manager 30,000/s, efficiency 0.9. */
function pythonAt(workers: number): PythonSweepResult {
  return {
    executable: "/usr/bin/python3",
    version: "3.11.7",
    implementation: "CPython",
    startMethod: "fork",
    cpuCount: 2,
    workers,
    rounds: 3,
    roundTrips: rate(30_000),
    chunkedMap: rate(5_000_000),
    queue: { ...rate(30_000), emptyRunMs: 5, emptyRunSamplesMs: [5, 5, 5] },
    manager: rate(30_000),
    heavy: { terms: 800_000, tasks: 4 * workers, serialMs: 240 * workers, pooledMs: 240 / 0.9, speedup: 0.9 * workers, efficiency: 0.9, serialSamplesMs: [240], pooledSamplesMs: [240 / 0.9], efficiencyPerRound: [0.9] },
    sizes: { tasks: 2000, mapItems: 20_000, queueItems: 1000, managerOps: 1000 },
    chunkSize: Math.ceil(20_000 / (4 * workers)),
  };
}

/**
 * kernel-helpers at `workers`: threads at 0.5 x Python for every rate, processes at 2 x
 * (efficiency: threads 0.45, processes 1.8 against Python's 0.9).
 */
function stepAt(workers: number, withPython: boolean): SweepStep {
  const series = (factor: number, pythonValue: number) => ({ perSecond: factor * pythonValue, samplesPerSecond: [factor * pythonValue], otherCoresPerRound: [0.01] });
  const heavy = (efficiency: number) => ({
    serialMs: 60 * 4 * workers, pooledMs: (60 * 4) / efficiency, speedup: efficiency * workers, efficiency,
    serialCpuMs: null, pooledCpuMs: null, utilization: null, cpuInflation: null,
    serialSamplesMs: [240], pooledSamplesMs: [240 / efficiency], serialOtherCores: [0], pooledOtherCores: [0.02],
    serialCpuSamplesMs: [null], pooledCpuSamplesMs: [null], efficiencyPerRound: [efficiency],
  });
  const rt = (factor: number) => ({ description: "rt", roundTripsPerSecond: factor * 30_000, roundTripsPerSecondSamples: [factor * 30_000], otherCoresPerRound: [0] });
  const map = (factor: number) => ({ description: "map", itemsPerSecond: factor * 5_000_000, itemsPerSecondSamples: [factor * 5_000_000], otherCoresPerRound: [0] });
  const queue = (factor: number) => ({ ...series(factor, 30_000), emptyRunMs: 40, emptyRunSamplesMs: [40] });
  return {
    workers,
    oversubscribed: workers > 2,
    roundTrips: { thread: rt(0.5), process: rt(2) },
    chunkedMap: { thread: map(0.5), process: map(2) },
    queue: { thread: queue(0.5), process: queue(2) },
    manager: { thread: series(0.5, 30_000), process: series(2, 30_000) },
    heavy: { tasks: 4 * workers, terms: 46_000_000, workers, thread: heavy(0.45), process: heavy(1.8) },
    python: withPython
      ? { result: pythonAt(workers), errors: [], otherCores: 0.05, exe: "python3" }
      : { result: null, errors: [`python3: spawn python3 ENOENT (${workers})`], otherCores: null, exe: null },
  };
}

/** A quick sweep at 1, 2 and 4 workers on 2 cores (4 oversubscribed). */
function sweepResults({ withPython = true } = {}): SweepResults {
  return {
    mode: "quick",
    settings: { ...SWEEP_SETTINGS.quick },
    workerCounts: [1, 2, 4],
    cores: 2,
    machine: {
      cpuModel: "Test CPU", logicalCores: 2, availableCores: 2, physicalCores: 2, coreKinds: null,
      memoryGiB: 8, platform: "linux x64", node: "v20.0.0", v8: "11.0", tslab: null,
    },
    nodeStart: { ms: 82, samplesMs: [80, 82, 85], extraCaCerts: "/etc/ssl/certs/ca-certificates.crt", withoutExtraCaCertsMs: 40, withoutSamplesMs: [39, 40, 41] },
    heavyTerms: 46_000_000,
    steps: [1, 2, 4].map((w) => stepAt(w, withPython)),
    command: "node scripts/bench.mjs --sweep --quick",
    createdAt: new Date("2026-01-02T03:04:05.678Z"),
    durationS: 17.5,
    otherCpuCores: 0.02,
    loadAverage: [0.5, 0.25, 0.1],
  };
}

const FAKE_PLOTLY = { source: "window.Plotly = { newPlot: function () {} }; /* fake plotly.js </script> */", version: "9.9.9" };

describe("sweep report", () => {
  test("the JSON has one cell per primitive, backend and worker count, with units and ratio = kernel-helpers / Python", () => {
    const { json } = sweepReport(sweepResults());
    expect(Object.keys(json)).toEqual([
      "schema", "kind", "createdAt", "durationS", "mode", "command", "definitions", "machine", "versions", "settings",
      "python", "primitives", "cells", "summary", "details",
    ]);
    expect(json).toMatchObject({ schema: 1, kind: "sweep", mode: "quick", createdAt: "2026-01-02T03:04:05.678Z" });
    expect(json.settings).toMatchObject({ workerCounts: [1, 2, 4], cores: 2, heavyTermsNode: 46_000_000, mapItems: 20_000 });
    expect(json.primitives.map((p) => [p.key, p.unit])).toEqual([
      ["heavyEfficiency", "efficiency"], ["roundTrips", "round trips/s"], ["chunkedMap", "items/s"], ["queue", "items/s"], ["manager", "ops/s"],
    ]);
    expect(json.cells).toHaveLength(5 * 2 * 3);
    for (const cell of json.cells) {
      expect(cell.ratio).toBeCloseTo(cell.kernelHelpers / cell.python!, 12);
      expect(cell.ratio).toBeCloseTo(cell.backend === "thread" ? 0.5 : 2, 12);
      expect(cell.oversubscribed).toBe(cell.workers === 4);
      expect(cell.pythonSamples!.length).toBeGreaterThan(0);
      expect(cell.kernelHelpersSamples.length).toBeGreaterThan(0);
    }
    const map = json.cells.find((c) => c.primitive === "chunkedMap" && c.backend === "process" && c.workers === 2)!;
    expect(map).toMatchObject({ unit: "items/s", kernelHelpers: 10_000_000, python: 5_000_000, otherCoresPerRound: [0] });
    expect(json.summary).toMatchObject({ cells: 30, withRatio: 30, atLeastPython: 15, worst: { primitive: "heavyEfficiency", backend: "thread", workers: 1, ratio: 0.5 } });
    // every thread cell is below: its one round (0.5 x) under Python's worst (0.9 x)
    expect(json.summary.below).toHaveLength(15);
    expect(json.summary.below.every((b) => b.backend === "thread" && !b.roundsOverlap)).toBe(true);
    expect(json.summary.below.find((b) => b.primitive === "queue" && b.workers === 2)).toEqual({
      primitive: "queue", backend: "thread", workers: 2, ratio: 0.5, kernelHelpersRange: [15_000, 15_000], pythonRange: [27_000, 33_000], roundsOverlap: false,
    });
    expect(json.python).toEqual({ available: true, executable: "/usr/bin/python3", version: "3.11.7", implementation: "CPython", startMethod: "fork" });
    expect(json.details.map((d) => [d.workers, d.chunkSize, d.queueEmptyRunMs.python])).toEqual([[1, 5000, 5], [2, 2500, 5], [4, 1250, 5]]);
    for (const key of ["ratio", "oversubscribed", "heavyEfficiency", "roundTrips", "chunkedMap", "queue", "manager"]) {
      expect(typeof (json.definitions as Record<string, unknown>)[key]).toBe("string");
    }
  });

  test("the printed table is the issue's: primitive x backend x worker count, the ratio in each cell, oversubscription said", () => {
    const { text } = sweepReport(sweepResults());
    expect(text).toContain("Sweep (quick): kernel-helpers / Python at 1, 2, 4 worker(s), medians of 1 round(s); Test CPU");
    expect(text).toContain("Python: CPython 3.11.7 (/usr/bin/python3), multiprocessing start method fork");
    expect(text).toContain("Node process start (node -e 0, spawn to exit): 82 ms, median of 3; 40 ms without NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt");
    expect(text).toContain("(+42 ms per process: each process consumer of the Queue cells pays it;");
    expect(text).toMatch(/^Ratio: .*>= 1\.0 means kernel-helpers is at least as fast/m);
    expect(text).toMatch(/^Oversubscribed: 4 worker\(s\) on 2 available cores/m);
    const lines = text.split("\n");
    const header = lines.indexOf("| primitive | backend | 1 worker | 2 | 4 (oversubscribed) |");
    expect(header).toBeGreaterThan(0);
    expect(lines[header + 1]).toBe("| --- | --- | --- | --- | --- |");
    expect(lines[header + 2]).toBe("| heavy-task efficiency (4 x workers tasks of ~15 ms) | thread | 0.50 | 0.50 | 0.50 |");
    expect(lines[header + 3]).toBe("|  | process | 2.00 | 2.00 | 2.00 |");
    expect(lines[header + 4]).toMatch(/^\| round trips of a trivial task \(applyAsync \+ get, 2,000 in flight\) \| thread \| 0\.50 /);
    expect(lines.slice(header, lines.indexOf("", header))).toHaveLength(2 + 10);
    // the rates behind the ratios, one aligned row per primitive and worker count
    expect(text).toMatch(/^chunkedMap +4\* +2,500,000\/s +10,000,000\/s +5,000,000\/s +items\/s$/m);
    expect(text).toMatch(/^heavyEfficiency +1 +0\.450 +1\.800 +0\.900 +efficiency$/m);
    expect(text).toContain("15 of 30 cells at least as fast as Python; the worst: heavyEfficiency, thread, 1 worker(s), 0.50");
    expect(text).toContain("  below 1.0: queue, thread, 2 worker(s), 0.50: behind in every round (15,000/s to 15,000/s against 27,000/s to 33,000/s)");
    expect(text).toContain("Load average (1, 5, 15 min) at the end: 0.50, 0.25, 0.10");
  });

  test("a cell below Python whose best round reaches Python's worst is said to be within the rounds' spread", () => {
    const results = sweepResults();
    results.steps[1]!.manager.thread.samplesPerSecond = [12_000, 15_000, 28_000]; // median 0.5 x, best round above Python's worst (27,000)
    const { json, text } = sweepReport(results);
    expect(json.summary.below.find((b) => b.primitive === "manager" && b.workers === 2)).toMatchObject({ ratio: 0.5, kernelHelpersRange: [12_000, 28_000], roundsOverlap: true });
    expect(text).toContain("  below 1.0: manager, thread, 2 worker(s), 0.50: its rounds overlap Python's: within the spread (12,000/s to 28,000/s against 27,000/s to 33,000/s)");
    expect(text).toMatch(/below 1\.0: heavyEfficiency, thread, 1 worker\(s\), 0\.50: behind in every round \(0\.450 to 0\.450 against 0\.900 to 0\.900\)/);
  });

  test("without Python every ratio is n/a and the JSON says why", () => {
    const { json, text } = sweepReport(sweepResults({ withPython: false }));
    expect(json.cells.every((c) => c.ratio === null && c.python === null && c.pythonSamples === null)).toBe(true);
    expect(json.python).toEqual({ available: false, errors: ["python3: spawn python3 ENOENT (1)", "python3: spawn python3 ENOENT (2)", "python3: spawn python3 ENOENT (4)"] });
    expect(json.summary).toMatchObject({ withRatio: 0, atLeastPython: 0, worst: null });
    expect(text).toContain("Python: none ran (every ratio is n/a)");
    expect(ratioTable(json).split("\n")[3]).toBe("|  | process | n/a | n/a | n/a |");
    expect(text).toMatch(/^queue +2 +15,000\/s +60,000\/s +n\/a +items\/s$/m);
  });

  test("the figures: the ratio heatmap (log2, white at 1) and each primitive against the worker count", () => {
    const { json } = sweepReport(sweepResults());
    const [heatmap, ...values] = sweepFigures(json);
    const trace = heatmap!.data[0] as { type: string; x: string[]; y: string[]; z: (number | null)[][]; text: string[][] };
    expect(trace.type).toBe("heatmap");
    expect(trace.x).toEqual(["1 worker", "2", "4 (oversubscribed)"]);
    expect(trace.y.slice(0, 2)).toEqual(["heavyEfficiency, threads", "heavyEfficiency, processes"]);
    expect(trace.z[0]).toEqual([-1, -1, -1]);
    expect(trace.z[1]).toEqual([1, 1, 1]);
    expect(trace.text[1]).toEqual(["2.00×", "2.00×", "2.00×"]);
    expect(values).toHaveLength(5);
    const map = values[2]!;
    expect(map.data.map((t) => t["name"])).toEqual(["kernel-helpers, threads", "kernel-helpers, processes", "Python multiprocessing"]);
    expect(map.data[2]!["y"]).toEqual([5_000_000, 5_000_000, 5_000_000]);
    expect((map.layout!["yaxis"] as { title: { text: string } }).title.text).toBe("items/s");
    expect(JSON.stringify(map.layout!["annotations"])).toContain("oversubscribed");
  });

  test("the HTML holds plotly.js inline, every figure, the table, and no reference to the network", () => {
    const { json, text } = sweepReport(sweepResults());
    const html = sweepHtml(json, text, FAKE_PLOTLY);
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(html).toContain("window.Plotly = { newPlot: function () {} }; /* fake plotly.js <\\/script> */");
    expect(html).toContain("plotly.js 9.9.9 inline");
    for (let i = 1; i <= 6; i++) expect(html).toContain(`id="sweep-figure-${i}"`);
    expect(html.match(/Plotly\.newPlot/g)).toHaveLength(6);
    expect(html).toContain("<th>4 (oversubscribed)</th>");
    expect(html).toContain('<td style="background:#d1e5f0;text-align:right">2.00</td>');
    expect(html).not.toMatch(/\b(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/<link\b|@import|url\(\s*["']?https?:/i);
  });

  test("with the installed plotly.js the page is whole: no script loaded from elsewhere", () => {
    const { json, text } = sweepReport(sweepResults());
    const html = sweepHtml(json, text);
    expect(html.length).toBeGreaterThan(1_000_000);
    expect(html).not.toMatch(/<script[^>]*\bsrc\s*=/i);
    expect(html).not.toMatch(/<link\b/i);
    // every <script> element closes once: the library's own "</script" strings were escaped
    expect(html.match(/<script\b/gi)?.length).toBe(html.match(/<\/script>/gi)?.length);
  });

  test("writeSweepFiles writes the JSON and the HTML as latest and as timestamped copies", () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "bench-sweep-unit-"));
    try {
      const { json, text } = sweepReport(sweepResults());
      const files = writeSweepFiles(path.join(out, "nested"), json, sweepHtml(json, text, FAKE_PLOTLY));
      expect(Object.values(files).map((f) => path.basename(f))).toEqual([
        "sweep-latest.json", "sweep-latest.html", "sweep-2026-01-02T03-04-05-678Z.json", "sweep-2026-01-02T03-04-05-678Z.html",
      ]);
      expect(fs.readFileSync(files.copyJson, "utf8")).toBe(fs.readFileSync(files.latestJson, "utf8"));
      expect(fs.readFileSync(files.copyHtml, "utf8")).toBe(fs.readFileSync(files.latestHtml, "utf8"));
      expect(JSON.parse(fs.readFileSync(files.latestJson, "utf8"))).toEqual(JSON.parse(JSON.stringify(json)));
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});

describe("the Queue and Manager cells at tiny sizes, on threads", () => {
  test("measureQueueJobs: items per second per round, and the empty run's fixed cost", async () => {
    const lines: string[] = [];
    const series = await measureQueueJobs(["thread"], { consumers: 2, items: 30, rounds: 2, log: (l) => lines.push(l) });
    expect(Object.keys(series)).toEqual(["thread"]);
    expect(series.thread.samplesPerSecond).toHaveLength(2);
    series.thread.samplesPerSecond.forEach(expectPositive);
    expect(series.thread.emptyRunSamplesMs).toHaveLength(2);
    expectPositive(series.thread.emptyRunMs);
    expect(series.thread.otherCoresPerRound).toHaveLength(2);
    expect(lines[0]).toBe("queue: 30 items, 2 consumer(s) getNowait until empty, put a result; warm-up");
    expect(lines[1]).toMatch(/^queue: round 1\/2 thread +[\d,]+\/s \(.+, of which empty run .+\)/);
  });

  test("measureManagerClients: operations per second from every worker of the pool at once", async () => {
    const pool = new Pool({ workers: 2, backend: "thread" });
    try {
      const series = await measureManagerClients({ thread: pool }, { ops: 40, rounds: 2 });
      expect(series.thread.samplesPerSecond).toHaveLength(2);
      series.thread.samplesPerSecond.forEach(expectPositive);
      expect(series.thread.perSecond).toBeGreaterThanOrEqual(Math.min(...series.thread.samplesPerSecond));
    } finally {
      await pool.terminate();
    }
  });
});

describe("what a Node process costs to start", () => {
  test("measureNodeStart times bare starts, and the same without NODE_EXTRA_CA_CERTS only when that is set", async () => {
    const { NODE_EXTRA_CA_CERTS: _unused, ...plain } = process.env;
    const bare = await measureNodeStart(2, plain);
    expect(bare).toMatchObject({ extraCaCerts: null, withoutExtraCaCertsMs: null, withoutSamplesMs: [] });
    expect(bare.samplesMs).toHaveLength(2);
    bare.samplesMs.forEach(expectPositive);
    expect(nodeStartLine(bare)).toBe(`Node process start (node -e 0, spawn to exit): ${bare.ms.toFixed(0)} ms, median of 2`);
    // a file that holds no certificate: Node warns on its stderr (ignored) and starts all the same
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kh-node-start-"));
    try {
      const pem = path.join(dir, "none.pem");
      fs.writeFileSync(pem, "");
      const withCerts = await measureNodeStart(2, { ...plain, NODE_EXTRA_CA_CERTS: pem });
      expect(withCerts.extraCaCerts).toBe(pem);
      expect(withCerts.samplesMs).toHaveLength(2);
      expect(withCerts.withoutSamplesMs).toHaveLength(2);
      expectPositive(withCerts.withoutExtraCaCertsMs);
      expect(nodeStartLine(withCerts)).toContain(`without NODE_EXTRA_CA_CERTS=${pem}, which Node 20 reads at every start`);
      await expect(measureNodeStart(0)).rejects.toThrow(/repeats/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the Python part without a Python", () => {
  const missing = path.join(os.tmpdir(), "no-such-python-for-the-bench");

  test("runPythonOnce resolves with an error naming the executable", async () => {
    const outcome = await runPythonOnce(missing, [], 10_000);
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) {
      expect(outcome.error).toContain(missing);
      expect(outcome.fatal).toBe(false);
    }
  });

  test("measurePython tries each executable and returns no result with every error", async () => {
    const python = await measurePython([missing, `${missing}-2`], { workers: 1, tasks: 1, rounds: 1, terms: 1, repeats: 1, timeoutS: 10 });
    expect(python.result).toBeNull();
    expect(python.errors).toHaveLength(2);
    expect(python.errors[1]).toContain(`${missing}-2`);
  });
});

describe("the sweep's Python part without a Python", () => {
  test("measurePythonSweep tries each executable and returns no result, no executable and every error", async () => {
    const missing = path.join(os.tmpdir(), "no-such-python-for-the-sweep");
    const python = await measurePythonSweep([missing, `${missing}-2`], 2, { ...SWEEP_SETTINGS.quick, pythonTimeoutS: 10 });
    expect(python).toMatchObject({ result: null, exe: null });
    expect(python.errors).toHaveLength(2);
    expect(python.errors[0]).toContain(missing);
  });
});
