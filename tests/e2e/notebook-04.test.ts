/**
 * Notebook 04 (nesting) executed end to end under tslab at quick scale,
 * through the runner, once per core count; checked as a user sees it: the
 * same workload for every run, results sorted back, who ran what, a ladder
 * of splits, words that match their numbers, Python's refusal measured live,
 * solutions run, nothing left behind.
 */
import { errorOutputs, outputs, removeRunOutputs, runNotebooks, survivors, visibleText, type Notebook, type RunResult } from "../notebook-helpers";
import { browserChecks } from "../browser-helpers";
import { committedNotebookProblems, wordingMismatches } from "../lesson-checks";

const NAME = "04-nesting";
const CORE_COUNTS = [1, 2];
const QUICK_TASKS = 4; // TASKS at quick scale
/** The ladder of splits the sweep must measure, by core count: 1×1, the splits of CORES, and 2×CORES. */
const SPLITS: Record<number, string[]> = { 1: ["1×1", "2×1"], 2: ["1×1", "1×2", "2×1", "2×2"] };
let run: RunResult;

afterAll(removeRunOutputs);

beforeAll(() => {
  run = runNotebooks(["--only", "04", "--scale", "quick", "--cores", CORE_COUNTS.join(",")]);
  if (run.status !== 0) throw new Error(`runner exited with ${run.status}\n${run.stdout}\n${run.stderr}`);
}, 300_000);

const figureTitles = (notebook: Notebook) =>
  outputs(notebook).flatMap((o) => (o.data?.["application/vnd.plotly.v1+json"] ? [String(o.data["text/plain"] ?? "")] : []));

describe.each(CORE_COUNTS)("notebook 04 run with CORES=%i", (cores) => {
  test("has no error outputs", () => {
    expect(errorOutputs(run.read(cores, NAME))).toEqual([]);
  });

  test("reads its core count from the environment and checks the machine at both ends", () => {
    const text = visibleText(run.read(cores, NAME));
    expect(text).toContain(`CORES: ${cores}`);
    expect(text).toMatch(/^Machine check: other processes/m);
    expect(text).toMatch(/^Machine check at the end: /m);
  });

  test("the serial and the nested run do the same, seeded workload", () => {
    const text = visibleText(run.read(cores, NAME));
    expect(text).toMatch(/4 tasks × 4 sub-tasks, seed 1: [\d,]+ random numbers in all/);
    expect(text).toMatch(/same tasks and weights as the serial run: true/);
    expect(text).toMatch(/Nested against serial \(4 pool workers, at most \d at once here\): \d workers?: /);
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
    // the normalised means are whole numbers with separators, like the sizes beside them (no rounding to 4 digits)
    const rows = [...text.matchAll(/^\s*(\d+)\s+([\d,]+)\s+[123]\s+(\S+)\s+-?[\d.e-]+\s+Process-\d+ \(pid \d+\)$/gm)];
    expect(rows).toHaveLength(QUICK_TASKS);
    for (const [, , size, mean] of rows) {
      expect(mean).toMatch(/^\d{1,3}(,\d{3})*$/);
      expect(Math.abs(Number(mean!.replace(/,/g, "")) / Number(size!.replace(/,/g, "")) - 1)).toBeLessThan(0.05);
    }
  });

  test("shows which process and pool worker ran the sub-tasks, as a trace, a table and a timeline", () => {
    const notebook = run.read(cores, NAME);
    const text = visibleText(notebook);
    const pids = new Set([...text.matchAll(/Process-\d+ · pid (\d+) · thread \d+/g)].map((m) => m[1]));
    // PROCESSES defaults to 2; with tiny tasks one process may take them all before the other starts
    expect(pids.size).toBeGreaterThanOrEqual(1);
    expect(pids.size).toBeLessThanOrEqual(2);
    expect(text).toMatch(/^\+0\.000 s {2}Process-\d+ · pid \d+ · thread \d+: task \d+\.\d+ begins$/m);
    expect(text).toMatch(/more events: see the table and the timeline/);
    expect(text).toContain("Who did the work (last nested run)");
    // wall time with a sub-task open (waiting for a core included), not named as busy time
    expect(text).toMatch(/pool worker\s+sub-tasks\s+sub-tasks open, s\s+open, share of the run/);
    expect(figureTitles(notebook).some((t) => t.includes("Timeline of the nested run"))).toBe(true);
  });

  test("sweeps a ladder of P × W splits and names the fastest and the most efficient", () => {
    const notebook = run.read(cores, NAME);
    const text = visibleText(notebook);
    expect(text).toContain(`Sweep on ${cores} cores`);
    const measured = [...text.matchAll(/^\s*(\d+×\d+)\s+\d+\s+\d+\s+[\d.]+/gm)].map((m) => m[1]);
    expect(measured).toEqual(SPLITS[cores]);
    // every split is timed after the same warm-up as the serial and the nested run
    const warmed = [...text.matchAll(/^sweep (\d+×\d+): .* 1 warm-up \+ 1 timed$/gm)].map((m) => m[1]);
    expect(warmed).toEqual(SPLITS[cores]);
    expect(text).toMatch(/Fastest split here: \d+×\d+; against serial, \d workers?: /);
    // two efficiencies on adjacent lines: each says what it is measured against
    const fastestLine = /^Fastest split here: .*$/m.exec(text)![0];
    expect(fastestLine).not.toMatch(/efficiency \d/);
    if (/ workers: /.test(fastestLine)) expect(fastestLine).toMatch(/efficiency vs serial \d+\.\d+ \([a-z ]+\)/);
    // the fastest is set against the next fastest, worded from their runs (one run each at quick scale)
    expect(text).toMatch(/Against the next fastest: \d+×\d+ (was|and \d+×\d+ cannot be told apart)/);
    expect(text).toMatch(/Most efficient split with more than one worker: \d+×\d+, efficiency vs 1×1 \d+\.\d+ \([a-z ]+\)/);
    expect(text).toMatch(/1×1 \(one process, a pool of one\) was (about as fast as|\d+\.\d+× (faster|slower) than) serial/);
    expect(figureTitles(notebook).some((t) => t.includes("Ways to split") && t.includes("ideal: 1×1 time / min(P×W,"))).toBe(true);
  });

  test("every efficiency word matches the number printed beside it", () => {
    // "efficiency vs serial 0.71 (good)" is checked like "efficiency 0.71 (good)"
    const { checked, mismatches } = wordingMismatches(visibleText(run.read(cores, NAME)).replace(/efficiency vs (serial|1×1) /g, "efficiency "));
    expect(mismatches).toEqual([]);
    // a comparison with serial that runs one worker at a time names no efficiency (describeAgainstSerial): with one core
    // every one; with two, the fastest split's line when 1×1 wins, so only the nested run and the most efficient split are sure
    expect(checked).toBeGreaterThanOrEqual(cores === 1 ? 1 : 2);
  });

  test("Python refuses a pool inside a pool worker (measured live); Node runs one on both backends", () => {
    const text = visibleText(run.read(cores, NAME));
    expect(text).toMatch(/Python 3\.\d+\.\d+, a Pool inside a Process: works/);
    expect(text).toMatch(/Python 3\.\d+\.\d+, a Pool inside a pool worker: refused: AssertionError: daemonic processes are not allowed to have children/);
    expect(text).toMatch(/^\s*thread\s+its own pool \(threads\), worker 2/m);
    expect(text).toMatch(/^\s*process\s+its own pool \(threads\), worker 2/m);
  });

  test("the exercises' solutions ran", () => {
    const text = visibleText(run.read(cores, NAME));
    expect([...text.matchAll(/The original's way, run \d: [\d.]+ s for [\d,]+ random numbers/g)]).toHaveLength(2);
    expect(text).toMatch(/Run 2 did [\d.]+× the work of run 1, in [\d.]+× its time: (the time (followed|hardly followed|did not follow) the work|the two draws happened to give about the same work)/);
    expect(text).toMatch(new RegExp(`A flat pool of ${cores} workers over 16 sub-tasks: [\\d.]+ s \\(median of 1\\)`));
    // set against the fastest split's runs, worded from both sets of runs
    expect(text).toMatch(/^The flat pool (was (about as fast as|\d+\.\d+× (faster|slower) than) the fastest split \(\d+×\d+\) \(medians|and the fastest split \(\d+×\d+\) cannot be told apart)/m);
    expect(text).toMatch(/Pools of process workers: [\d.]+ s, (about as fast as|\d+\.\d+× (faster|slower) than) pools of thread workers/);
  });

  test("ends with nothing left for terminateAll to stop", () => {
    expect(visibleText(run.read(cores, NAME))).toMatch(/Pools or processes still running, now stopped: 0/);
  });
});

test("the committed notebook has no outputs, a tslab kernelspec, one parameters cell and hidden solutions", () => {
  expect(committedNotebookProblems(NAME, 3)).toEqual([]);
});

test("no kernel, process or worker of the run is left behind", () => {
  expect(survivors(run.marker)).toEqual([]);
});

browserChecks(() => run, NAME, CORE_COUNTS);
