/**
 * Notebook 04 (nesting) executed end to end under tslab at quick scale,
 * through the runner, once per core count; checked as a user sees it.
 */
import { errorOutputs, outputs, runNotebooks, survivors, visibleText, type RunResult } from "../notebook-helpers";
import { browserChecks } from "../browser-helpers";

const NAME = "04-nesting";
const CORE_COUNTS = [1, 2];
const QUICK_TASKS = 4; // TASKS at quick scale
let run: RunResult;

beforeAll(() => {
  run = runNotebooks(["--only", "04", "--scale", "quick", "--cores", CORE_COUNTS.join(",")]);
  if (run.status !== 0) throw new Error(`runner exited with ${run.status}\n${run.stdout}\n${run.stderr}`);
}, 300_000);

describe.each(CORE_COUNTS)("notebook 04 run with CORES=%i", (cores) => {
  test("has no error outputs", () => {
    expect(errorOutputs(run.read(cores, NAME))).toEqual([]);
  });

  test("reads its core count from the environment", () => {
    expect(visibleText(run.read(cores, NAME))).toContain(`CORES: ${cores}`);
  });

  test("receives every task exactly once, unordered, then sorted by input", () => {
    const text = visibleText(run.read(cores, NAME));
    const arrived = /Results arrived in this order of task index: ([\d, ]+)/.exec(text);
    const sorted = /task indexes after sorting: ([\d,]+)/.exec(text);
    expect(arrived).not.toBeNull();
    expect(sorted).not.toBeNull();
    const expected = Array.from({ length: QUICK_TASKS }, (_, i) => i);
    expect(arrived![1]!.split(",").map((s) => Number(s.trim())).sort((a, b) => a - b)).toEqual(expected);
    expect(sorted![1]!.split(",").map(Number)).toEqual(expected);
  });

  test("shows which process and pool worker ran the sub-tasks", () => {
    const text = visibleText(run.read(cores, NAME));
    const pids = new Set([...text.matchAll(/Process-\d+ · pid (\d+) · thread \d+/g)].map((m) => m[1]));
    // PROCESSES defaults to 2; with tiny tasks one process may take them all before the other starts
    expect(pids.size).toBeGreaterThanOrEqual(1);
    expect(pids.size).toBeLessThanOrEqual(2);
    expect(text).toMatch(/more events: see the table and the timeline/);
  });

  test("sweeps the P × W splits and names the fastest and the most efficient", () => {
    const text = visibleText(run.read(cores, NAME));
    expect(text).toContain(`Sweep on ${cores} cores`);
    expect(text).toMatch(/Fastest split here: \d+×\d+/);
    expect(text).toMatch(/Most efficient split with more than one worker: \d+×\d+/);
  });

  test("shows the timeline and the sweep as plotly figures", () => {
    const figures = outputs(run.read(cores, NAME)).filter((o) => o.data?.["application/vnd.plotly.v1+json"]);
    expect(figures.length).toBeGreaterThanOrEqual(2);
  });

  test("shows a pool started inside a pool worker", () => {
    expect(visibleText(run.read(cores, NAME))).toMatch(/its own pool, worker 2/);
  });
});

test("no kernel, process or worker of the run is left behind", () => {
  expect(survivors(run.marker)).toEqual([]);
});

browserChecks(() => run, NAME, CORE_COUNTS);
