/**
 * Notebook 02 executed end to end under tslab at quick scale, through the
 * runner a user runs, once per core count; then checked as a user sees it:
 * complete results, Python measured beside Node, words that match their
 * numbers, the deadlock lessons' outcomes, figures, solutions run, nothing
 * left running.
 */
import { efficiencyWord } from "kernel-helpers";
import { errorOutputs, outputs, removeRunOutputs, runNotebooks, survivors, visibleText, type Notebook, type RunResult } from "../notebook-helpers";
import { browserChecks } from "../browser-helpers";
import { committedNotebookProblems, wordingMismatches } from "../lesson-checks";

const NAME = "02-process";
const CORE_COUNTS = [1, 2];
const INPUT_VALUES = Array.from({ length: 25 }, (_, i) => i + 1);
const PATIENCE_MS = 500; // the hang demonstrations' timeout at quick scale
let run: RunResult;

afterAll(removeRunOutputs);

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

/** The rows of a "Who took what" table: job, values taken. */
function whoTookWhat(text: string, order: string): Map<number, number[]> {
  const start = text.indexOf(`Who took what in case 4 (last run, ${order})`);
  expect(start).toBeGreaterThanOrEqual(0);
  const rows = new Map<number, number[]>();
  for (const line of text.slice(start).split("\n").slice(3)) {
    const m = /^\s*(\d+)\s+([\d, ]*?)\s+(\d+)\s+[\d.]+ %$/.exec(line);
    if (!m) break;
    rows.set(Number(m[1]), m[2]!.trim() === "" ? [] : m[2]!.split(",").map((v) => Number(v.trim())));
  }
  return rows;
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

  test("checks the machine at the start and at the end", () => {
    const text = visibleText(run.read(cores, NAME));
    expect(text).toMatch(/^Machine check: other processes/m);
    expect(text).toMatch(/^Machine check at the end: /m);
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

  test("Python's own Process/Queue version is measured beside Node's, per random number", () => {
    const text = visibleText(run.read(cores, NAME));
    expect(text).toContain("Cases 1-2 in Node and in Python");
    expect(text).toMatch(/Python 3\.\d+\.\d+\s+2 one Process per task/);
    // the ratio with one decimal, from the two costs printed beside it
    const perNumber = /Serial, per random number: Python's loop took (\d+\.\d)× as long as V8's \(([\d.]+) ns against ([\d.]+) ns\)/.exec(text);
    expect(perNumber).not.toBeNull();
    expect(Math.abs(Number(perNumber![1]) - Number(perNumber![2]) / Number(perNumber![3]))).toBeLessThan(0.1 + 0.01 * Number(perNumber![1]));
    // Python's tasks are sized from both measured costs, so that both languages' tasks take about as long
    expect(text).toMatch(/Sizing: a short Python sum \([\d,]+ numbers, fastest of \d+ runs\) cost [\d.]+ ns per number, V8's [\d.]+ ns in case 1, so each Python task sums NUMBERS × [\d.]+ \/ [\d.]+ = [\d,]+ numbers/);
    expect(text).toMatch(/Serial, case 1: Python [\d.]+ s against Node's [\d.]+ s: (tasks of about the same length|Python's tasks took [\d.]+× as long as Node's)/);
    expect(text).toMatch(/Python, one Process per task \(start method "(fork|spawn|forkserver)"\): \d+ workers?: /);
  });

  test("input queue: every value 1..25 is summed exactly once, by one job and by CORES workers, in both orders", () => {
    const text = visibleText(run.read(cores, NAME));
    expect(listAfter(text, /Case 3, input values received \(sorted\)/)).toEqual(INPUT_VALUES);
    expect(listAfter(text, /Case 4, input values received \(sorted\)/)).toEqual(INPUT_VALUES);
    expect(text).toMatch(/Cases 3-4: every sum is within 5 standard deviations of its expected value: true/);
    for (const order of ["smallest first", "largest first"]) {
      const rows = whoTookWhat(text, order);
      expect([...rows.keys()]).toEqual(Array.from({ length: cores }, (_, job) => job));
      expect([...rows.values()].flat().sort((a, b) => a - b)).toEqual(INPUT_VALUES);
      // each job takes values in queue order: ascending for smallest first, descending for largest first
      for (const taken of rows.values()) {
        expect(taken).toEqual([...taken].sort((a, b) => (order === "smallest first" ? a - b : b - a)));
      }
    }
  });

  test("teaches largest first: a prediction table, both orders measured, and timelines of who took what", () => {
    const notebook = run.read(cores, NAME);
    const text = visibleText(notebook);
    expect(text).toMatch(/^\s+16\s+34\s+25\s+25\s+1\.36$/m); // the prediction for 16 workers, by hand: 34 vs 25
    expect(text).toMatch(/Measured: largest first was (about as fast as|\d+\.\d+× (faster|slower) than) smallest first/);
    const timelines = outputs(notebook).filter((o) => /Plotly figure "Case 4, (smallest|largest) first: who summed/.test(String(o.data?.["text/plain"] ?? "")));
    expect(timelines).toHaveLength(2);
  });

  test("every efficiency, balance and cost word matches the number printed beside it", () => {
    const { checked, mismatches } = wordingMismatches(visibleText(run.read(cores, NAME)));
    expect(mismatches).toEqual([]);
    // with one core every parallel case runs one worker at a time: those lines name no efficiency (describeAgainstSerial)
    expect(checked).toBeGreaterThanOrEqual(cores === 1 ? 1 : 8);
  });

  test("the four cases are compared in a table and the parallel versions in a speed-up figure", () => {
    const notebook = run.read(cores, NAME);
    const text = visibleText(notebook);
    expect(text).toMatch(/4 input queue, \d+ process(es)?, largest first/);
    // the table's words follow its efficiencies as printed, and agree with the sentence on the same run
    const rows = [...text.matchAll(/^\s*(\d .+?)\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+([\d.]+)\s+(above ideal|close to ideal|good|modest|poor)$/gm)];
    if (cores > 1) expect(rows.length).toBe(3);
    for (const [, , efficiency, word] of rows) expect(word).toBe(efficiencyWord(Number(efficiency)));
    const largest = rows.find(([, name]) => name!.endsWith("largest first"));
    const sentence = /Case 4 largest first against case 3: \d+ workers?: [\d.]+× the serial speed, efficiency ([\d.]+) \(([a-z ]+)\)/.exec(text);
    if (largest && sentence) expect([Number(largest[2]), largest[3]]).toEqual([Number(sentence[1]), sentence[2]]);
    expect(outputs(notebook).some((o) => /Plotly figure "Every parallel version against its serial case/.test(String(o.data?.["text/plain"] ?? "")))).toBe(true);
  });

  test("Python's read-before-join deadlock is shown live, with this machine's pipe size", () => {
    const text = visibleText(run.read(cores, NAME));
    const pipe = /A pipe on this machine \((\w+)\) took ([\d,]+) bytes/.exec(text);
    expect(pipe).not.toBeNull();
    if (pipe![1] === "linux") expect(pipe![2]).toBe("65,536");
    expect(text).toMatch(/an item of [\d.]+ KiB, join\(\) before reading: the child ended on its own/);
    expect(text).toMatch(new RegExp(`an item of [\\d.]+ KiB, join\\(\\) before reading: the child was still alive when join\\(${PATIENCE_MS / 1000}\\) gave up`));
  });

  test("Node: join before read, no deadlock, every big result still there", () => {
    const text = visibleText(run.read(cores, NAME));
    expect(text).toMatch(/join\(\) before reading: all \d+ process(es)? ended on their own: true/);
    expect(text).toMatch(/Then the queue held (\d+) of \1 results, .*all complete/);
  });

  test("the Node hang is shown with timeouts, then fixed by close() and by sentinels", () => {
    const text = visibleText(run.read(cores, NAME));
    expect(text).toMatch(new RegExp(`join\\(${PATIENCE_MS}\\) returned false: .*still alive \\(isAlive\\(\\) = true\\)`));
    expect(text).toMatch(new RegExp(`the next get\\(\\) gave up after ${PATIENCE_MS} ms with QueueEmpty`));
    expect(text).toMatch(/close\(\) released the blocked get\(\); join\(\) now reports:\s+stuck worker failed: its target threw QueueClosedError/);
    expect(text).toMatch(/"stuck worker" alive: false/);
    expect(text).toMatch(new RegExp(`all ${cores} workers ended on their own: true; 25 of 25 results`));
  });

  test("start-up: threads, child processes and Python's start methods, with the reader's default", () => {
    const text = visibleText(run.read(cores, NAME));
    expect(text).toMatch(/This Python \(3\.\d+\.\d+, \w+\) starts its workers with "(fork|spawn|forkserver)" by default/);
    expect(text).toMatch(/Python Process, spawn/);
    expect(text).toMatch(/Starting a child process took \d+\.\d× as long as starting a thread/);
    expect(text).toMatch(/A Node child process started (about as fast as|\d+\.\d+× (faster|slower) than) a Python spawn/);
    // the comparison names the certificates' share of each Node start where it was measured, computed from the aside's numbers
    const bare = /A bare Node process \(node -e 0\) started and exited in (\d+) ms, median of \d+, against (\d+) ms for a trivial child process/.exec(text);
    const without = /without it, a bare start took (\d+) ms/.exec(text);
    const hedge = /A Node child process started .+ a Python spawn \(here (\d+) ms of each Node start is NODE_EXTRA_CA_CERTS; without it a Node child would start in about (\d+) ms, (about as fast as|\d+\.\d+× (?:faster|slower) than) Python's spawn\)\./.exec(text);
    if (without && Number(bare![1]) - Number(without[1]) >= 2) expect(hedge).not.toBeNull();
    if (!without) expect(hedge).toBeNull();
    if (hedge) {
      expect(Math.abs(Number(hedge[1]) - (Number(bare![1]) - Number(without![1])))).toBeLessThanOrEqual(1);
      expect(Math.abs(Number(hedge[2]) - (Number(bare![2]) - Number(hedge[1])))).toBeLessThanOrEqual(1);
    }
    // the trivial start's share of a task, beside what case 2 itself took more than its ideal, and the conclusion drawn from both
    const share = /One task of case 2 is (\d+) ms of work; a trivial (process|thread), started and joined on its own, costs .+ that on top: an? [a-z]+ cost at this task size/.exec(text);
    expect(share).not.toBeNull();
    const paid = /Case 2 itself took (\d+) ms, (\d+) ms (more|less) than (?:one task alone|case 1 shared evenly by \d+ workers) \((\d+) ms\), starts, messages and the wait for the slowest included: (less than one trivial start, so read that start's share as an upper bound|at least one trivial start)\./.exec(text);
    expect(paid).not.toBeNull();
    const [tookMs, differenceMs, idealMs] = [Number(paid![1]), Number(paid![2]), Number(paid![4])];
    const extraMs = paid![3] === "more" ? differenceMs : -differenceMs;
    expect(Math.abs(tookMs - idealMs - extraMs)).toBeLessThanOrEqual(2);
    const trivialMs = Number(/Node child process\s+([\d.]+)/.exec(text)?.[1]);
    if (share![2] === "process" && Math.abs(extraMs - trivialMs) > 2) expect(paid![5]!.startsWith("less")).toBe(extraMs < trivialMs);
    expect(text).toMatch(/A bare Node process \(node -e 0\) started and exited in \d+ ms, median of \d+, against \d+ ms for a trivial child process: /);
    // the environment's certificates, only where the kernel has NODE_EXTRA_CA_CERTS (this test's own environment tells)
    const extraCerts = /Aside, about this environment, not the lesson\. This kernel's environment sets NODE_EXTRA_CA_CERTS \(.+\)\. .* without it, a bare start took \d+ ms/;
    if (process.env.NODE_EXTRA_CA_CERTS) expect(text).toMatch(extraCerts);
    else expect(text).not.toMatch(/NODE_EXTRA_CA_CERTS \(/);
  });

  test("compares threads and processes, and a Pool with the hand-made processes", () => {
    const text = visibleText(run.read(cores, NAME));
    expect(text).toMatch(/On this job, threads were (about as fast as|\d+\.\d+× (faster|slower) than) processes/);
    expect(text).toMatch(/Pool\.map (was (about as fast as|\d+\.\d+× (faster|slower) than) the hand-made|and the hand-made \w+ of case 4 cannot be told apart: their runs overlap)/);
    expect(text).toMatch(/Pool results: 25 of 25, in input order, all plausible: true/);
    expect(text).toMatch(/Process \+ Queue: \d+ lines \(jobsInProcesses \d+, filledInputQueue \d+\), written in this notebook/);
    // the share of the code in words, from the two counts
    const counted = /Pool: (\d+) lines \(jobsInPool\) against (\d+): (.+), written for the same result\./.exec(text);
    expect(counted).not.toBeNull();
    expect(Number(counted![2])).toBe(Number(/Process \+ Queue: (\d+) lines/.exec(text)?.[1]));
    const parts = Math.round(Number(counted![2]) / Number(counted![1]));
    expect(counted![3]).toBe(parts >= 5 ? `about 1/${parts} of the code`
      : ["more than twice the code", "about as much code", "about half the code", "about a third of the code", "about a quarter of the code"][parts]);
    // what the library supplies is named apart, on neither side of the count
    expect(text).toMatch(/Not counted on either side, because kernel-helpers supplies it: .*sumRandomNumbersJob \(the job loop\) \d+, collectResults \d+/);
  });

  test("the exercises' solutions ran", () => {
    const text = visibleText(run.read(cores, NAME));
    expect(text).toMatch(/1,000 random orders: median \d+/);
    // the three orders in rounds, each comparison worded from the runs' spread, then set against the predicted gap
    expect(text).toMatch(/Measured: a random order (was .+ largest first|and largest first cannot be told apart)/);
    expect(text).toMatch(/Predicted, these three orders finish at most [\d.]+ % apart; each order's own \d+ runs spread over up to \d+ %/);
    expect(text).toMatch(new RegExp(`close\\(\\) as the end of input: all ${cores} workers ended on their own: true; every value summed exactly once: true`));
    expect(text).toMatch(/An item of [\d,]+ bytes \(pipe: [\d,]+\): the child ended before the read/);
    expect(text).toMatch(/An item of [\d,]+ bytes \(pipe: [\d,]+\): the child waited for the read/);
  });

  test("ends with nothing left for terminateAll to stop", () => {
    expect(visibleText(run.read(cores, NAME))).toMatch(/Processes or pools still running and stopped now: 0/);
  });
});

test("the committed notebook has no outputs, a tslab kernelspec, one parameters cell and hidden solutions", () => {
  expect(committedNotebookProblems(NAME, 3)).toEqual([]);
});

test("the runner reports progress for each core count", () => {
  for (const cores of CORE_COUNTS) expect(run.stdout).toMatch(new RegExp(`cores=${cores}\\]? ${NAME}`));
});

test("no kernel or worker process of the run is left behind", () => {
  expect(survivors(run.marker)).toEqual([]);
});

browserChecks(() => run, NAME, CORE_COUNTS);
