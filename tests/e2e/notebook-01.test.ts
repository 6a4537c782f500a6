/**
 * Notebook 01 executed end to end under tslab at quick scale, through the
 * runner a user runs, once per core count; then checked as a user sees it.
 */
import { efficiencyWord } from "kernel-helpers";
import { errorOutputs, outputs, referenceLeibniz, runNotebooks, survivors, visibleText, type RunResult } from "../notebook-helpers";
import { committedNotebookProblems, wordingMismatches } from "../lesson-checks";
import { browserChecks } from "../browser-helpers";

const NAME = "01-pool";
const CORE_COUNTS = [1, 2];
const SPIN_MS = [400, 100, 200, 50]; // section 8's tasks, in input order
let run: RunResult;

beforeAll(() => {
  run = runNotebooks(["--only", "01", "--scale", "quick", "--cores", CORE_COUNTS.join(",")]);
  if (run.status !== 0) {
    throw new Error(`runner exited with ${run.status}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`);
  }
}, 300_000);

describe.each(CORE_COUNTS)("notebook 01 run with CORES=%i", (cores) => {
  test("has no error outputs (error outputs or error stacks on stderr)", () => {
    expect(errorOutputs(run.read(cores, NAME))).toEqual([]);
  });

  test("reads its core count and scale from the environment", () => {
    const notebook = run.read(cores, NAME);
    const parameters = notebook.cells.find((c) => c.metadata.tags?.includes("parameters"));
    expect(parameters).toBeDefined();
    const printed = (parameters!.outputs ?? []).map((o) => (Array.isArray(o.text) ? o.text.join("") : (o.text ?? ""))).join("");
    expect(printed).toContain(`CORES: ${cores}`);
    expect(printed).toContain("SCALE: 'quick'");
  });

  test("computes the Leibniz partial sum within 1e-6 of an independent reference", () => {
    const match = /leibnizPi\((\d+)\) = (-?[\d.]+(?:e[-+]?\d+)?)/.exec(visibleText(run.read(cores, NAME)));
    expect(match).not.toBeNull();
    const terms = Number(match![1]);
    expect(Math.abs(Number(match![2]) - referenceLeibniz(terms))).toBeLessThan(1e-6);
    expect(visibleText(run.read(cores, NAME))).toMatch(/pooled results equal the serial ones: true/);
  });

  test("integrates 2x + 5 over [0, 100] within 1e-6 of 10,500", () => {
    const match = /integral = (-?[\d.]+(?:e[-+]?\d+)?)/.exec(visibleText(run.read(cores, NAME)));
    expect(match).not.toBeNull();
    expect(Math.abs(Number(match![1]) - 10_500)).toBeLessThan(1e-6);
  });

  test("measures Python live beside Node: one task, the pooled case and pool start-up, with the reader's start method", () => {
    const text = visibleText(run.read(cores, NAME));
    expect(text).toMatch(/Python: plain loop \(the original's\)\s+[\d,]+\s+[\d.]+\s+[\d.]+/);
    // numpy: a row when this Python has it, otherwise the notebook says so
    expect(text).toMatch(/Python: numpy, vectorised \(the original's\)|numpy: not installed for this Python/);
    expect(text).toMatch(new RegExp(`Python plain loop, Pool\\(${cores}\\)`));
    expect(text).toMatch(/starts workers with "(fork|spawn|forkserver)"/);
    expect(text).toMatch(/Python, (fork|spawn|forkserver) \(its default here\)/);
    expect(text).toMatch(/Node, worker threads/);
    expect(text).toMatch(/Node, child processes/);
  });

  test("the float32 sentence agrees with the values printed beside it", () => {
    const text = visibleText(run.read(cores, NAME));
    const float64 = Number(/float64 plain loop\s+(3\.\d+)/.exec(text)?.[1]);
    const float32 = Number(/float32 tensors\s+(3\.\d+)/.exec(text)?.[1]);
    expect(float64).toBeGreaterThan(3.1);
    expect(float32).toBeGreaterThan(3.1);
    const closer = Math.abs(float32 - Math.PI) < Math.abs(float64 - Math.PI);
    expect(text).toContain(closer ? "the float32 result is closer to π than the float64 one" : "the float32 result is no closer to π than the float64 one");
  });

  test("every speed-up sentence picks its word from its own numbers", () => {
    const sentences = [...visibleText(run.read(cores, NAME)).matchAll(/(\d+) workers?: ([\d.]+)× the serial speed, efficiency ([\d.]+) \(([a-z ]+)\)/g)];
    expect(sentences.length).toBe(3); // plain loop, tensors, Python
    for (const [, workers, speed, efficiency, word] of sentences) {
      expect(Number(workers)).toBe(cores);
      expect(Math.abs(Number(speed) / cores - Number(efficiency))).toBeLessThan(0.011);
      // the word comes from the unrounded efficiency: at a boundary (0.90 printed for 0.8996) either side's word is right
      expect([efficiencyWord(Number(efficiency) - 0.005), efficiencyWord(Number(efficiency) + 0.0049)]).toContain(word);
    }
    const wording = wordingMismatches(visibleText(run.read(cores, NAME)));
    expect(wording.checked).toBeGreaterThanOrEqual(3);
    expect(wording.mismatches).toEqual([]);
    // where the time went: measured, or why it cannot be at this scale
    expect(visibleText(run.read(cores, NAME)).match(/(Plain loop|Tensors)\. CPU accounting: /g)?.length).toBe(2);
  });

  test("the starmap table shows the error shrinking like 1/N: (π − estimate) × N stays near 1", () => {
    const rows = [...visibleText(run.read(cores, NAME)).matchAll(/^\s*(\d+)\s+([\d,]+)\s+3\.\d{12}\s+\S+\s+(\S+)\s*$/gm)];
    expect(rows.length).toBeGreaterThanOrEqual(1);
    for (const [, , , scaled] of rows) expect(Math.abs(Number(scaled) - 1)).toBeLessThan(0.01);
  });

  test("the exercises' solutions ran, and the machine was checked at the start and the end", () => {
    const text = visibleText(run.read(cores, NAME));
    expect(text).toMatch(/1,000,000 terms per task: the pool was [\d.]+× (faster|slower) than serial|1,000,000 terms per task: the pool was about as fast as serial/);
    expect(text).toMatch(/First leibnizPi in a fresh worker: [\d.]+ ms/);
    expect(text).toMatch(/thread pool: [\d.]+ µs per tiny task/);
    expect(text).toMatch(/process pool: [\d.]+ µs per tiny task/);
    expect(text).toMatch(/^Machine check: /m);
    expect(text).toMatch(/^Machine check at the end: /m);
  });

  test("streams results: imap in input order, imapUnordered as tasks end, a progress line that reached its total", () => {
    const text = visibleText(run.read(cores, NAME));
    const arrivals = (name: string) => {
      const line = new RegExp(`^${name}: +(.+)$`, "m").exec(text)?.[1] ?? "";
      return [...line.matchAll(/(\d+) at (\d+) ms/g)].map(([, value, ms]) => ({ value: Number(value), ms: Number(ms) }));
    };
    const [inOrder, asReady] = [arrivals("imap"), arrivals("imapUnordered")];
    expect(inOrder.map((r) => r.value)).toEqual(SPIN_MS);
    expect(asReady.map((r) => r.value).sort((a, b) => a - b)).toEqual([...SPIN_MS].sort((a, b) => a - b));
    // the sentence quotes the first arrivals, and says "input order" only when it was
    const sameOrder = asReady.every((r, i) => r.value === SPIN_MS[i]);
    expect(text).toContain(`imap's first result came after ${inOrder[0]!.ms} ms, when the first task ended; imapUnordered's after ${asReady[0]!.ms} ms, from the ${asReady[0]!.value} ms task.`);
    expect(text).toContain(sameOrder ? "imapUnordered's order was the input order" : "imapUnordered's order was not the input order");
    if (cores === 1) expect(text).toContain("the input order: one worker runs the tasks one after another.");
    const bar = /^imapUnordered, (\d+) tasks of [\d,]+ terms: [█░]{20} (\d+)\/(\d+) {2}\d+\.\d s/m.exec(text);
    expect(bar).not.toBeNull();
    expect([Number(bar![2]), Number(bar![3])]).toEqual([Number(bar![1]), Number(bar![1])]);
    expect(text).toMatch(/The first result came after \d+ ms and the last of \d+ after \d+ ms; .* All equal case 2's result: true\./);
  });

  test("stops a long map from another cell: TaskCancelledError with the controller's reason, nothing left running, the pool still answers", () => {
    const text = visibleText(run.read(cores, NAME));
    expect(text).toMatch(/^TaskCancelledError after \d+ ms; its reason: Error: stopped from another cell$/m);
    expect(text).toContain(`Left behind: 0 busy worker(s), 0 task(s) waiting; ${cores} of ${cores} workers ready.`);
    expect(text).toMatch(/The pool still answers: leibnizPi\([\d,]+\) = 3\.\d+, the same as in section 1: true\./);
  });

  test("the streaming and cancelling exercises: an endless input read at most lookAhead ahead, a time budget that leaves nothing running", () => {
    const text = visibleText(run.read(cores, NAME));
    const endless = /The loop used (\d+) sizes .*; the generator handed out (\d+) \(lookAhead: (\d+)\)\. Waiting in the pool now: 0 task\(s\)\./.exec(text);
    expect(endless).not.toBeNull();
    const [used, read, lookAhead] = [Number(endless![1]), Number(endless![2]), Number(endless![3])];
    expect(lookAhead).toBe(2 * cores);
    expect(read - used).toBeGreaterThanOrEqual(0);
    expect(read - used).toBeLessThanOrEqual(lookAhead);
    expect(text).toMatch(/map, budget \d+ ms: (TaskCancelledError \(TimeoutError: The operation was aborted due to timeout\); results kept: none|all \d+ results came in time)\./);
    expect(text).toContain(`Left in the pool: { totalWorkers: ${cores}, busyWorkers: 0, idleWorkers: ${cores}, pendingTasks: 0 }`);
  });

  test("shows plotly figures as one bundle with the plotly, HTML and text mime types", () => {
    const figures = outputs(run.read(cores, NAME)).filter((o) => o.data?.["application/vnd.plotly.v1+json"]);
    expect(figures.length).toBeGreaterThanOrEqual(3); // speed-ups, tiny tasks, start-up
    for (const figure of figures) {
      expect(Object.keys(figure.data!).sort()).toEqual(["application/vnd.plotly.v1+json", "text/html", "text/plain"]);
    }
  });

  test("shows the inline-function caveat as printed text, not as an error", () => {
    expect(visibleText(run.read(cores, NAME))).toMatch(/ReferenceError: exports is not defined/);
  });

  test("exports HTML with plotly.js inline exactly once and every figure's plot call", () => {
    const html = run.html(cores, NAME);
    const figureCount = outputs(run.read(cores, NAME)).filter((o) => o.data?.["application/vnd.plotly.v1+json"]).length;
    expect(html.match(/kh-plotly-loader/g)?.length).toBe(1);
    expect(html.match(/class="kh-plotly-figure"/g)?.length).toBe(figureCount);
    // the library itself (its bundle defines the global Plotly object), not a CDN link
    expect(html).not.toMatch(/<script[^>]+src="https?:[^"]*plotly/);
    expect(html.length).toBeGreaterThan(1_000_000);
  });
});

test("the committed notebook is clean: no outputs, tslab, one parameters cell, the exercises' hidden solutions", () => {
  expect(committedNotebookProblems(NAME, 6)).toEqual([]);
});

test("the runner reports progress for each notebook and core count", () => {
  for (const cores of CORE_COUNTS) expect(run.stdout).toMatch(new RegExp(`cores=${cores}\\]? ${NAME}`));
});

test("no kernel or worker process of the run is left behind", () => {
  expect(survivors(run.marker)).toEqual([]);
});

test("the leftover-process check finds a live process that carries the marker (so the test above can fail)", async () => {
  const { spawn } = await import("node:child_process");
  const child = spawn("sleep", ["30"], { env: { ...process.env, KH_TEST_MARKER: "self-test-" + run.marker } });
  try {
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(survivors("self-test-" + run.marker)).toEqual([child.pid]);
  } finally {
    child.kill("SIGKILL");
  }
});

browserChecks(() => run, NAME, CORE_COUNTS);
