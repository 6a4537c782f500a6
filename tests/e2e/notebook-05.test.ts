/**
 * Notebook 05 (shared dict of dicts) executed end to end under tslab at
 * quick scale, through the runner, once per core count.
 */
import { errorOutputs, outputs, removeRunOutputs, runNotebooks, survivors, visibleText, type RunResult } from "../notebook-helpers";
import { browserChecks } from "../browser-helpers";
import { committedNotebookProblems } from "../lesson-checks";

const NAME = "05-manager";
const CORE_COUNTS = [1, 2];
let run: RunResult;

afterAll(removeRunOutputs);

beforeAll(() => {
  run = runNotebooks(["--only", "05", "--scale", "quick", "--cores", CORE_COUNTS.join(",")]);
  if (run.status !== 0) throw new Error(`runner exited with ${run.status}\n${run.stdout}\n${run.stderr}`);
}, 300_000);

describe.each(CORE_COUNTS)("notebook 05 run with CORES=%i", (cores) => {
  const text = (): string => visibleText(run.read(cores, NAME));

  test("has no error outputs", () => {
    expect(errorOutputs(run.read(cores, NAME))).toEqual([]);
  });

  test("reads its core count from the environment", () => {
    expect(text()).toContain(`CORES: ${cores}`);
  });

  test("finishes every key of the original run", () => {
    expect(text()).toMatch(/every key finished: true \(20 of 20\); every sequence reached 1000: true/);
    expect(text()).toMatch(/Final dict: 20 keys, all finished: true/);
  });

  test("shows the copy caveat live: a changed copy changes nothing until assigned back", () => {
    expect(text()).toMatch(/After changing the copy, .* unchanged\./);
    expect(text()).toMatch(/After set\(1, copy\): .* changed\./);
  });

  test("refuses unsendable values with the named error and stores nothing", () => {
    for (const what of ["a function", "a cycle", "a class instance"]) {
      expect(text()).toMatch(new RegExp(`${what}: UnsendableValueError: Cannot send manager\\["bad"\\]`));
    }
    expect(text()).toContain('Nothing was stored under "bad": true');
  });

  test("shows the original's nested-dict caveat live in Python: the in-place append is lost, copy-change-assign works", () => {
    expect(text()).toMatch(/after d\[3\]\["Sequence"\]\.append\(1\) the entry holds \[0,1\] \(unchanged: the append went to a copy\); after copy, append, assign back: \[0,1,1\]\./);
  });

  test("the manager is private: its socket folder is 0700 and a proxy with a wrong key is turned away", () => {
    expect(text()).toContain("The socket's folder has mode 700");
    expect(text()).toMatch(/A proxy with a wrong key: ManagerUnavailableError: /);
    expect(text()).toMatch(/The owner's note: Manager: a connection did not present the manager's key first/);
  });

  test("the atomic updates lose nothing, through the manager, in shared memory and with compare-and-swap", () => {
    expect(text()).toMatch(/update\(key, fn\) lost none\./);
    expect(text()).toMatch(/Atomics\.add lost none\./);
    const cas = /compare-and-swap: the counter holds (\d+) of (\d+) increments/.exec(text());
    expect(cas?.[1]).toBe(cas?.[2]);
    // exercise 1's solution: one worker alone cannot lose an update
    expect(text()).toMatch(/^1 worker\(s\): lost 0 of [\d,]+ updates/m);
  });

  test("compares like with like: every counter race runs on the same number of workers, at least two", () => {
    const workers = Math.max(2, cores);
    const rows = [...text().matchAll(/^\s*(manager get \+ set|manager update\(key, fn\)|shared memory, counter\[0\]\+\+|shared memory, Atomics\.add)\s+(\d+)\s/gm)];
    expect(rows.map((r) => r[1])).toEqual(expect.arrayContaining(["manager get + set", "manager update(key, fn)", "shared memory, counter[0]++", "shared memory, Atomics.add"]));
    for (const row of rows) expect(Number(row[2])).toBe(workers);
    expect(text()).toMatch(new RegExp(`Per increment, with the same ${workers} workers: Atomics\\.add was about [\\d,.]+× (faster|slower) than the manager's update\\(key, fn\\) ` +
      "\\([\\d,.]+× to [\\d,.]+× over every pairing of the runs\\)"));
    expect(text()).toMatch(/Time for the same [\d,]+ increments: (update\(key, fn\) was .+ get \+ set \(medians|update\(key, fn\) and get \+ set cannot be told apart)/);
    expect(text()).toMatch(new RegExp(`With the same ${workers} threads, Atomics\\.add was `));
  });

  test("measures Python's Manager live beside ours", () => {
    expect(text()).toMatch(/Python [\d.]+ Manager\(\)\.dict\(\), from the main process, one write per message\s+[\d.]+/);
    expect(text()).toMatch(/Node Manager, from a process worker, one write per message\s+[\d.]+/);
    expect(text()).toMatch(/One write per message, from a process \(as in Python\): ours was /);
  });

  test("exercise 2's conclusion follows the runs: a step below 1 in every pairing is called a loss, never noise", () => {
    const steps = /Each tenfold step, its gain \(from the lowest to the highest over every pairing of runs\): (.*)\.$/m.exec(text());
    expect(steps).not.toBeNull();
    const ranges = [...steps![1]!.matchAll(/(\d+) → (\d+): [\d.]+× \(([\d.]+)× to ([\d.]+)×\)/g)].map((m) => ({ from: Number(m[1]), to: Number(m[2]), low: Number(m[3]), high: Number(m[4]) }));
    expect(ranges.map((r) => r.to)).toEqual([10, 100, 1000]);
    expect(text()).toMatch(/^(Batching started to pay at [\d,]+ writes per message: the smallest batch here whose rate beat one write per message in every pairing of runs|No batch up to 1,000 writes per message beat one write per message in every pairing of runs here)/m);
    // the first step is 10 writes per message against one: wholly below 1 is a clear loss, and said so
    if (ranges[0]!.high < 1) expect(text()).toMatch(/^A clear loss: 10 writes per message \(/m);
    if (ranges[0]!.low > 1) expect(text()).toMatch(/^Batching started to pay at 10 writes per message/m);
    if (ranges.at(-1)!.low > 1) expect(text()).toMatch(/up to 1,000 writes per message the gain had not flattened here\./);
    expect(text()).not.toMatch(/too noisy/);
  });

  test("shows the cost per increment as a plotly figure, and checks the machine at the start and the end", () => {
    expect(outputs(run.read(cores, NAME)).filter((o) => o.data?.["application/vnd.plotly.v1+json"]).length).toBeGreaterThanOrEqual(1);
    expect(text()).toMatch(/^Machine check: /m);
    expect(text()).toMatch(/^Machine check at the end: /m);
  });
});

test("the committed notebook is clean: no outputs, tslab, one parameters cell, three hidden solutions", () => {
  expect(committedNotebookProblems(NAME, 3)).toEqual([]);
});

test("no kernel, process, worker or manager socket of the run is left behind", () => {
  expect(survivors(run.marker)).toEqual([]);
});

browserChecks(() => run, NAME, CORE_COUNTS);
