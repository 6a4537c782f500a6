/**
 * Notebook 02 executed end to end under tslab at quick scale, through the
 * runner a user runs, once per core count; then checked as a user sees it:
 * complete results, the deadlock lesson's outcomes, figures, nothing left running.
 */
import fs from "node:fs";
import path from "node:path";
import { errorOutputs, outputs, repoRoot, runNotebooks, survivors, visibleText, type Notebook, type RunResult } from "../notebook-helpers";
import { browserChecks } from "../browser-helpers";

const NAME = "02-process";
const CORE_COUNTS = [1, 2];
const INPUT_VALUES = Array.from({ length: 25 }, (_, i) => i + 1);
let run: RunResult;

beforeAll(() => {
  run = runNotebooks(["--only", "02", "--scale", "quick", "--cores", CORE_COUNTS.join(",")]);
  if (run.status !== 0) {
    throw new Error(`runner exited with ${run.status}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`);
  }
}, 300_000);

/** What the `parameters` cell printed. */
function parametersText(notebook: Notebook): string {
  const parameters = notebook.cells.find((c) => c.metadata.tags?.includes("parameters"));
  expect(parameters).toBeDefined();
  return (parameters!.outputs ?? []).map((o) => (Array.isArray(o.text) ? o.text.join("") : (o.text ?? ""))).join("");
}

/** The comma-separated numbers after `label` on a printed line, e.g. "task ids received (sorted): 0,1". */
function listAfter(text: string, label: RegExp): number[] {
  const match = new RegExp(`${label.source}: ([\\d,]+)`).exec(text);
  expect(match).not.toBeNull();
  return match![1]!.split(",").map(Number);
}

describe.each(CORE_COUNTS)("notebook 02 run with CORES=%i", (cores) => {
  test("has no error outputs (error outputs or error stacks on stderr)", () => {
    expect(errorOutputs(run.read(cores, NAME))).toEqual([]);
  });

  test("reads its core count and scale from the environment", () => {
    const printed = parametersText(run.read(cores, NAME));
    expect(printed).toContain(`CORES: ${cores}`);
    expect(printed).toContain("SCALE: 'quick'");
    expect(printed).toContain("BACKEND: 'process'");
  });

  test("one task per process: every task id arrives exactly once, serial and parallel", () => {
    const notebook = run.read(cores, NAME);
    const tasks = Number(/TASKS: (\d+)/.exec(parametersText(notebook))?.[1]);
    const ids = Array.from({ length: tasks }, (_, id) => id);
    const text = visibleText(notebook);
    expect(listAfter(text, /Case 1, task ids received \(sorted\)/)).toEqual(ids);
    expect(listAfter(text, /Case 2: arrival order [\d,]+; task ids received \(sorted\)/)).toEqual(ids);
    expect(text).toMatch(/Cases 1-2: every sum is within 5 standard deviations of N\/2: true/);
  });

  test("input queue: every value 1..25 is summed exactly once, by one job and by CORES workers", () => {
    const text = visibleText(run.read(cores, NAME));
    expect(listAfter(text, /Case 3, input values received \(sorted\)/)).toEqual(INPUT_VALUES);
    expect(listAfter(text, /Case 4, input values received \(sorted\)/)).toEqual(INPUT_VALUES);
    expect(text).toMatch(/Cases 3-4: every sum is within 5 standard deviations of its expected value: true/);
    expect(text).toContain(`Who took what in case 4 (last run): ${cores} workers`);
  });

  test("shows the four cases as a table and a plotly figure, with computed speed-ups", () => {
    const notebook = run.read(cores, NAME);
    const figures = outputs(notebook).filter((o) => o.data?.["application/vnd.plotly.v1+json"]);
    expect(figures.length).toBeGreaterThanOrEqual(1);
    const text = visibleText(notebook);
    expect(text).toMatch(/One process per task \(case 2\) is \d+\.\d+× (faster|slower) than serial/);
    expect(text).toMatch(/Workers on an input queue \(case 4\) are \d+\.\d+× (faster|slower) than serial/);
  });

  test("join before read: no deadlock, every big result still there", () => {
    const text = visibleText(run.read(cores, NAME));
    expect(text).toMatch(/join\(\) before reading: all \d+ processes ended on their own: true/);
    expect(text).toMatch(/Then the queue held (\d+) of \1 results, .*all complete/);
  });

  test("the Node hang is shown with timeouts, then fixed by close() and by sentinels", () => {
    const text = visibleText(run.read(cores, NAME));
    expect(text).toMatch(/join\(1000\) returned false: .*still alive \(isAlive\(\) = true\)/);
    expect(text).toMatch(/the next get\(\) gave up after 1000 ms with QueueEmpty/);
    expect(text).toMatch(/close\(\) released the blocked get\(\); join\(\) now reports:\s+stuck worker failed: its target threw QueueClosedError/);
    expect(text).toMatch(/"stuck worker" alive: false/);
    expect(text).toMatch(new RegExp(`all ${cores} workers ended on their own: true; 25 of 25 results`));
  });

  test("compares threads and processes, and a Pool with the hand-made processes", () => {
    const text = visibleText(run.read(cores, NAME));
    expect(text).toMatch(/On this job, threads were \d+\.\d+× (faster|slower) than processes/);
    expect(text).toMatch(/Starting a child process took \d+\.\d+× as long as starting a thread/);
    expect(text).toMatch(/The pool was \d+\.\d+× (faster|slower)/);
    expect(text).toMatch(/Pool results: 25 of 25, in input order, all plausible: true/);
    expect(text).toMatch(/Process \+ Queue: \d+ lines \(jobsInProcesses \d+/);
    expect(text).toMatch(/Pool: \d+ lines \(jobsInPool\), \d+× less code/);
  });

  test("ends with nothing left for terminateAll to stop", () => {
    expect(visibleText(run.read(cores, NAME))).toMatch(/Processes or pools still running and stopped now: 0/);
  });
});

test("the committed notebook has no outputs, a tslab kernelspec and one parameters cell", () => {
  const committed = JSON.parse(fs.readFileSync(path.join(repoRoot, "notebooks", `${NAME}.ipynb`), "utf8")) as Notebook;
  expect(committed.metadata.kernelspec?.name).toBe("tslab");
  expect(committed.cells.filter((c) => c.cell_type === "code" && (c.outputs ?? []).length > 0)).toEqual([]);
  expect(committed.cells.filter((c) => c.metadata.tags?.includes("parameters"))).toHaveLength(1);
});

test("the runner reports progress for each core count", () => {
  for (const cores of CORE_COUNTS) expect(run.stdout).toMatch(new RegExp(`cores=${cores}\\]? ${NAME}`));
});

test("no kernel or worker process of the run is left behind", () => {
  expect(survivors(run.marker)).toEqual([]);
});

browserChecks(() => run, NAME, CORE_COUNTS);
