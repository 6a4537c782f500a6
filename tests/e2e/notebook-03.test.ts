/**
 * Notebook 03 (benchmarking) executed end to end under tslab at quick scale,
 * through the runner, once per core count; checked as a user sees it, and
 * through the CSV and JSON files it saves (the runner sets RESULTS_DIR to its
 * --out folder, so they land in <outDir>/bench/).
 */
import fs from "node:fs";
import path from "node:path";
import { errorOutputs, outputs, repoRoot, runNotebooks, survivors, visibleText, type Notebook, type RunResult } from "../notebook-helpers";
import { browserChecks } from "../browser-helpers";

const NAME = "03-benchmarking";
const CORE_COUNTS = [1, 2];
const STRATEGIES = ["serial", "Pool (threads)", "Pool (processes)", "Processes + queues"];
let run: RunResult;

/** What the notebook writes to notebook-03-*.json (the fields checked here). */
interface SavedRecord {
  tasks: number;
  weight: number;
  strategy: string;
  workers: number;
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  samplesMs: number[];
  speedupVsSerial: number;
  piEstimate: number;
}
interface SavedRun {
  notebook: string;
  savedAt: string;
  hostname: string;
  machine: { cpuModel: string; logicalCores: number; availableCores: number; memoryGiB: number; node: string; tslab: string | null };
  parameters: { CORES: number; SCALE: string; TASK_COUNTS: number[]; WEIGHTS: number[]; WORKER_COUNTS: number[]; REPEATS: number };
  records: SavedRecord[];
}

const benchDir = () => path.join(run.outDir, "bench");
/** The saved JSON of the run with `cores` (file names end in -<cores>cores.json). */
function savedJson(cores: number): { file: string; data: SavedRun } {
  const files = fs.readdirSync(benchDir()).filter((f) => f.startsWith("notebook-03-") && f.endsWith(`-${cores}cores.json`));
  expect(files).toHaveLength(1);
  const file = path.join(benchDir(), files[0]!);
  return { file, data: JSON.parse(fs.readFileSync(file, "utf8")) as SavedRun };
}
const figures = (notebook: Notebook) => outputs(notebook).filter((o) => o.data?.["application/vnd.plotly.v1+json"]);

beforeAll(() => {
  run = runNotebooks(["--only", "03", "--scale", "quick", "--cores", CORE_COUNTS.join(",")]);
  if (run.status !== 0) throw new Error(`runner exited with ${run.status}\n${run.stdout}\n${run.stderr}`);
}, 300_000);

test("the committed notebook has no outputs and exactly one parameters cell", () => {
  const notebook = JSON.parse(fs.readFileSync(path.join(repoRoot, "notebooks", `${NAME}.ipynb`), "utf8")) as Notebook;
  expect(notebook.metadata.kernelspec?.name).toBe("tslab");
  const code = notebook.cells.filter((c) => c.cell_type === "code");
  expect(code.every((c) => (c.outputs ?? []).length === 0)).toBe(true);
  expect(notebook.cells.filter((c) => c.metadata.tags?.includes("parameters"))).toHaveLength(1);
});

describe.each(CORE_COUNTS)("notebook 03 run with CORES=%i", (cores) => {
  test("has no error outputs", () => {
    expect(errorOutputs(run.read(cores, NAME))).toEqual([]);
  });

  test("reads its core count and scale from the environment", () => {
    const text = visibleText(run.read(cores, NAME));
    expect(text).toContain(`CORES: ${cores}`);
    expect(text).toContain("SCALE: 'quick'");
  });

  test("shows the machine summary at the top", () => {
    const text = visibleText(run.read(cores, NAME));
    expect(text).toMatch(/Running on: .+ logical cores .+ Node v\d+/);
    expect(text).toMatch(/cores available to this kernel/);
  });

  test("checks every pi estimate and finds them plausible", () => {
    expect(visibleText(run.read(cores, NAME))).toContain("Every run returned T estimates within six standard deviations of pi: true");
  });

  test("shows five plotly figures: time vs weight, speed-up, efficiency, best-strategy map, overlay", () => {
    const found = figures(run.read(cores, NAME));
    expect(found).toHaveLength(5);
    for (const figure of found) {
      expect(Object.keys(figure.data!).sort()).toEqual(["application/vnd.plotly.v1+json", "text/html", "text/plain"]);
      const spec = figure.data!["application/vnd.plotly.v1+json"] as { data: unknown[] };
      expect(spec.data.length).toBeGreaterThan(0);
    }
  });

  test("saves a JSON with the machine summary and one record per (T, W, strategy, workers), all times finite and positive", () => {
    const { data } = savedJson(cores);
    expect(data.notebook).toBe(NAME);
    expect(data.machine.cpuModel).toEqual(expect.any(String));
    expect(data.machine.logicalCores).toBeGreaterThanOrEqual(1);
    expect(data.machine.node).toMatch(/^v\d+/);
    const { CORES, SCALE, TASK_COUNTS, WEIGHTS, WORKER_COUNTS, REPEATS } = data.parameters;
    expect(CORES).toBe(cores);
    expect(SCALE).toBe("quick");
    expect(WORKER_COUNTS).toEqual(Array.from({ length: cores }, (_, i) => i + 1));
    expect(TASK_COUNTS.length).toBeGreaterThanOrEqual(2);
    expect(WEIGHTS.length).toBeGreaterThanOrEqual(2);

    const expected = TASK_COUNTS.flatMap((t) => WEIGHTS.flatMap((w) => [
      `${t}|${w}|serial|1`,
      ...STRATEGIES.slice(1).flatMap((s) => WORKER_COUNTS.map((n) => `${t}|${w}|${s}|${n}`)),
    ]));
    const keys = data.records.map((r) => `${r.tasks}|${r.weight}|${r.strategy}|${r.workers}`);
    expect(keys.sort()).toEqual(expected.sort());
    for (const r of data.records) {
      for (const ms of [r.medianMs, r.minMs, r.maxMs, ...r.samplesMs]) {
        expect(Number.isFinite(ms) && ms > 0).toBe(true);
      }
      expect(r.samplesMs).toHaveLength(REPEATS);
      expect(r.minMs).toBeLessThanOrEqual(r.medianMs);
      expect(r.medianMs).toBeLessThanOrEqual(r.maxMs);
      expect(Math.abs(r.piEstimate - Math.PI)).toBeLessThan(0.5);
    }
  });

  test("saves a CSV with a header and one row per JSON record", () => {
    const { file, data } = savedJson(cores);
    const lines = fs.readFileSync(file.replace(/\.json$/, ".csv"), "utf8").trim().split("\n");
    const header = lines[0]!.split(",");
    expect(header).toEqual(expect.arrayContaining(["tasks", "weight", "strategy", "workers", "medianMs", "minMs", "maxMs", "speedupVsSerial"]));
    expect(lines).toHaveLength(data.records.length + 1);
    const medianColumn = header.indexOf("medianMs");
    for (const line of lines.slice(1)) {
      const cells = line.split(",");
      expect(cells).toHaveLength(header.length);
      expect(Number(cells[medianColumn])).toBeGreaterThan(0);
    }
  });

  test("states findings computed from the run, and the Amdahl fit or why it cannot be fitted", () => {
    const text = visibleText(run.read(cores, NAME));
    expect(text).toMatch(/T = \d+: parallel (never wins in this grid|wins from W = [\d,]+ on)/);
    expect(text).toMatch(/Serial time grows like W\^-?[\d.]+/);
    if (cores >= 2) expect(text).toMatch(/Pool \(threads\): serial fraction f = [\d.]+/);
    else expect(text).toMatch(/Amdahl's law is not fitted: with CORES = 1/);
  });

  test("the overlay cell finds the saved runs in the results folder", () => {
    const match = /Found (\d+) saved run\(s\)/.exec(visibleText(run.read(cores, NAME)));
    expect(match).not.toBeNull();
    // the runs write one after the other into the same folder: the run with 2 cores also sees the earlier one
    expect(Number(match![1])).toBeGreaterThanOrEqual(CORE_COUNTS.indexOf(cores) + 1);
  });
});

test("no kernel, process or worker of the run is left behind", () => {
  expect(survivors(run.marker)).toEqual([]);
});

browserChecks(() => run, NAME, CORE_COUNTS);
