/**
 * Notebook 01 executed end to end under tslab at quick scale, through the
 * runner a user runs, once per core count; then checked as a user sees it.
 */
import { efficiencyWord, shareOf, SAME_TIME } from "kernel-helpers";
import { errorOutputs, outputs, referenceLeibniz, removeRunOutputs, runNotebooks, survivors, visibleText, type RunResult } from "../notebook-helpers";
import { committedNotebookProblems, wordingMismatches } from "../lesson-checks";
import { browserChecks } from "../browser-helpers";

const NAME = "01-pool";
const CORE_COUNTS = [1, 2];
const SPIN_MS = [400, 100, 200, 50]; // section 9's tasks, in input order
const TASKS_PER_WORKER = 8; // section 8: TABLE_TASKS = 8 × CORES

/** How many primes are below `limit`, counted here independently of the notebook (trial division by primes). */
function primesBelow(limit: number): number {
  const primes: number[] = [];
  for (let n = 2; n < limit; n++) {
    let prime = true;
    for (const p of primes) {
      if (p * p > n) break;
      if (n % p === 0) {
        prime = false;
        break;
      }
    }
    if (prime) primes.push(n);
  }
  return primes.length;
}
/** A number as the notebook prints it ("1,234.5"), read back. */
const num = (printed: string | undefined): number => Number((printed ?? "NaN").replace(/,/g, ""));
let run: RunResult;

afterAll(removeRunOutputs);

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
    // the child-process pool's start includes the environment's extra certificates, said only where they are set
    const certificates = /This environment sets NODE_EXTRA_CA_CERTS, which every Node process reads as it starts/;
    if (process.env.NODE_EXTRA_CA_CERTS) expect(text).toMatch(certificates);
    else expect(text).not.toMatch(certificates);
  });

  test("the float32 sentence agrees with the values printed beside it", () => {
    const text = visibleText(run.read(cores, NAME));
    const float64 = Number(/float64 plain loop\s+(3\.\d+)/.exec(text)?.[1]);
    const float32 = Number(/float32 tensors\s+(3\.\d+)/.exec(text)?.[1]);
    expect(float64).toBeGreaterThan(3.1);
    expect(float32).toBeGreaterThan(3.1);
    const closer = Math.abs(float32 - Math.PI) < Math.abs(float64 - Math.PI);
    expect(text).toContain(closer ? "the float32 result is closer to π than the float64 one" : "the float32 result is no closer to π than the float64 one");
    // the float64 result rounded once to float32, checked here independently, and the line says whether the tensors landed on it
    const rounded = /rounded to float32 \(Math\.fround\)\s+(3\.\d+)/.exec(text)?.[1];
    expect(rounded).toBe(Math.fround(float64).toFixed(12));
    const step = 2 ** (Math.floor(Math.log2(Number(rounded))) - 23);
    const stepsAway = Math.round((float32 - Number(rounded)) / step);
    if (stepsAway === 0) {
      expect(text).toContain("The tensor result is exactly the float64 loop's result rounded to float32: the whole difference is that one final rounding, " +
        `at most half a float32 step (${(step / 2).toExponential(1)} here).`);
    } else {
      expect(text).toContain(`The tensor result is ${Math.abs(stepsAway)} float32 step(s) (${step.toExponential(1)} each) from the float64 loop's result rounded to float32`);
    }
  });

  test("section 2 labels Python's pooled time as including its start and stop, and section 4 says how much of it that was", () => {
    const notebook = run.read(cores, NAME);
    const text = visibleText(notebook);
    expect(text).toMatch(new RegExp(`Python plain loop, Pool\\(${cores}\\), start and stop included`));
    const speedups = outputs(notebook)
      .map((o) => o.data?.["application/vnd.plotly.v1+json"] as { data: { x: string[] }[]; layout: { title: { text: string } } } | undefined)
      .find((f) => f?.layout.title.text.startsWith("Speed-up of a pool"));
    expect(speedups?.data[0]!.x).toContain("Python plain loop<br>(Pool start and stop included)");
    const method = /starts workers with "(fork|spawn|forkserver)"/.exec(text)![1]!;
    const startupMs = num(new RegExp(`Python, ${method} \\(its default here\\)\\s+\\d+\\s+([\\d.,]+)`).exec(text)?.[1]);
    const line = new RegExp(`Python's pooled time in section 2 \\(median (\\d+) ms\\) includes a start and stop like these: the ${method} start-up above(?: \\(\\d+ workers; section 2 had ${cores}\\))? is (.+) that time\\.`).exec(text);
    expect(line).not.toBeNull();
    // the share, from the numbers printed beside it (rounded: either neighbour's words are right)
    const pooledMs = Number(line![1]);
    expect([0.99, 1, 1.01].map((f) => shareOf(startupMs * f, pooledMs))).toContain(line![2]);
  });

  test("the tensor sentence compares the tensors' efficiency with the plain loop's, as printed in the speed-up lines", () => {
    const text = visibleText(run.read(cores, NAME));
    const line = /Tensor tasks scaled (about as well as|less well than|better than) the plain loop here: efficiency ([\d.]+) against ([\d.]+)\./.exec(text);
    expect(text).not.toContain("single-threaded JavaScript, so tensor tasks parallelise like any other JavaScript");
    if (cores === 1) {
      expect(line).toBeNull(); // one worker: nothing scaled
      return;
    }
    expect(line).not.toBeNull();
    const [tensors, loop] = [Number(line![2]), Number(line![3])];
    expect(text).toContain(`Tensors, ${cores} workers: `);
    expect(text).toMatch(new RegExp(`Tensors, ${cores} workers: [\\d.]+× the serial speed, efficiency ${line![2]!.replace(".", "\\.")}`));
    expect(text).toMatch(new RegExp(`Plain loop, ${cores} workers: [\\d.]+× the serial speed, efficiency ${line![3]!.replace(".", "\\.")}`));
    const wordFor = (t: number, l: number) => (Math.abs(t / l - 1) <= SAME_TIME ? "about as well as" : t < l ? "less well than" : "better than");
    // printed with two decimals: the word may come from either side of the rounding
    const words = [-0.005, 0, 0.005].flatMap((dt) => [-0.005, 0, 0.005].map((dl) => wordFor(tensors + dt, loop + dl)));
    expect(words).toContain(line![1]);
  });

  test("section 8: the initializer ran once per worker, both runs counted every prime below the limit, and the sentence quotes the table", () => {
    const text = visibleText(run.read(cores, NAME));
    const limit = num(/Primes below ([\d,]+): both runs counted the same number: true\./.exec(text)?.[1]);
    expect(limit).toBeGreaterThan(1000);
    const row = (name: string) => new RegExp(`^\\s*${name}\\s+(\\d+)\\s+([\\d,]+)\\s+([\\d.,]+)\\s`, "m").exec(text);
    const [perTask, perWorker] = [row("built in every task"), row("built by the initializer")];
    expect(perTask).not.toBeNull();
    expect(perWorker).not.toBeNull();
    expect(Number(perTask![1])).toBe(TASKS_PER_WORKER * cores); // one table per task
    expect(Number(perWorker![1])).toBe(cores); // one table per worker
    const primes = primesBelow(limit);
    expect([num(perTask![2]), num(perWorker![2])]).toEqual([primes, primes]);
    const sentence = new RegExp(
      `With the initializer, the ${TASKS_PER_WORKER * cores} tasks used ${cores} table\\(s\\), one per worker, instead of ${TASKS_PER_WORKER * cores}, ` +
        "and the run took (\\d+) ms against (\\d+) ms: (about as fast as|([\\d.]+)× (faster|slower) than) building the table in every task\\.",
    ).exec(text);
    expect(sentence).not.toBeNull();
    const [withInit, everyTask] = [Number(sentence![1]), Number(sentence![2])];
    // the times are the table's medians, and the words follow from them
    expect(Math.abs(withInit - num(perWorker![3]))).toBeLessThanOrEqual(1);
    expect(Math.abs(everyTask - num(perTask![3]))).toBeLessThanOrEqual(1);
    if (sentence![3] === "about as fast as") {
      expect(Math.abs(withInit / everyTask - 1)).toBeLessThanOrEqual(SAME_TIME + 0.02);
    } else {
      expect(sentence![5]).toBe(withInit <= everyTask ? "faster" : "slower");
      const ratio = Math.max(withInit, everyTask) / Math.min(withInit, everyTask);
      expect(Math.abs(Number(sentence![4]) / ratio - 1)).toBeLessThan(0.05);
    }
  });

  test("section 8: with maxTasksPerChild 2, a new worker takes over every two tasks, and each builds a table of its own", () => {
    const text = visibleText(run.read(cores, NAME));
    const lives = [...text.matchAll(/^(\d) and (\d)\s+((?:thread|process) \d+)\s+([0-9a-f]{8})\s*$/gm)];
    expect(lives.map((l) => `${l[1]} and ${l[2]}`)).toEqual(["1 and 2", "3 and 4", "5 and 6"]);
    expect(new Set(lives.map((l) => l[3])).size).toBe(3);
    expect(new Set(lives.map((l) => l[4])).size).toBe(3);
    expect(text).toContain("3 different worker(s) ran the 6 tasks, and they used 3 different table(s): each replacement ran the initializer again.");
  });

  test("section 8: withPool waits for a task the body left running, and a body that terminates cancels it", () => {
    const text = visibleText(run.read(cores, NAME));
    const waited = /Body left a (\d+) ms task: withPool returned after (\d+) ms(, at least the task's \d+ ms: it waited)?; the task: (\w+)\./.exec(text);
    expect(waited).not.toBeNull();
    expect(Number(waited![2])).toBeGreaterThanOrEqual(Number(waited![1]));
    expect(waited![3]).toBeDefined();
    expect(waited![4]).toBe("finished");
    expect(text).toMatch(/Body ended with pool\.terminate\(\): withPool returned after \d+ ms; the task: TaskCancelledError\./);
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
    // both runs timed in the solution's own cell, in turns, not the one against section 8's earlier run
    const fresh = /maxTasksPerChild 1: \d+ ms \(median\), (\d+) table\(s\) used by (\d+) tasks; without it \(timed in turns with it\): \d+ ms, (\d+) table\(s\)\./.exec(text);
    expect(fresh?.slice(1).map(Number)).toEqual([TASKS_PER_WORKER * cores, TASKS_PER_WORKER * cores, cores]);
    expect(text).toMatch(new RegExp(`^${(TASKS_PER_WORKER - 1) * cores} extra workers added -?\\d+ ms to the run`, "m"));
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
  expect(committedNotebookProblems(NAME, 7)).toEqual([]);
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
