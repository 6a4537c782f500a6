/**
 * Notebook 00 (Node's own machinery) executed end to end under tslab at quick
 * scale, through the runner a user runs, once per core count; then checked as
 * a user sees it: its three measurements (the event loop stalled, pools from
 * Node's own APIs, moving data) with their figures, sentences that agree with
 * the numbers printed in them, correct results, the solutions run, and nothing
 * left running.
 */
import { efficiencyWord } from "kernel-helpers";
import { errorOutputs, outputs, referenceLeibniz, removeRunOutputs, runNotebooks, survivors, visibleText, type Notebook, type RunResult } from "../notebook-helpers";
import { browserChecks } from "../browser-helpers";

const NAME = "00-node-machinery";
const CORE_COUNTS = [1, 2];
/** WAITED_SHARE of kernel-helpers/src/notebook/event-loop.ts: "waited" means served after this share of the busy time. */
const WAITED_SHARE = 0.8;
let run: RunResult;

afterAll(removeRunOutputs);

beforeAll(() => {
  run = runNotebooks(["--only", "00", "--scale", "quick", "--cores", CORE_COUNTS.join(",")]);
  if (run.status !== 0) {
    throw new Error(`runner exited with ${run.status}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`);
  }
}, 300_000);

interface PlotlySpec {
  data: { name?: string; x?: unknown[]; y?: number[] }[];
  layout: { title?: { text?: string }; xaxis?: { type?: string; ticktext?: string[] }; yaxis?: { type?: string } };
}

/** Every plotly figure of the notebook, in order. */
function figures(notebook: Notebook): PlotlySpec[] {
  return outputs(notebook).flatMap((o) => (o.data?.["application/vnd.plotly.v1+json"] ? [o.data["application/vnd.plotly.v1+json"] as PlotlySpec] : []));
}

/** The figure whose title starts with `title`. */
function figure(notebook: Notebook, title: string): PlotlySpec {
  const found = figures(notebook).find((f) => f.layout.title?.text?.startsWith(title));
  expect(found).toBeDefined();
  return found!;
}

/** The text printed by the code cells whose metadata hides their source (the solutions). */
function solutionText(notebook: Notebook): string {
  const hidden = notebook.cells.filter((c) => (c.metadata as { jupyter?: { source_hidden?: boolean } }).jupyter?.source_hidden);
  expect(hidden.length).toBeGreaterThanOrEqual(2);
  return visibleText({ ...notebook, cells: hidden });
}

describe.each(CORE_COUNTS)("notebook 00 run with CORES=%i", (cores) => {
  const notebook = (): Notebook => run.read(cores, NAME);
  const text = (): string => visibleText(notebook());

  test("has no error outputs (error outputs or error stacks on stderr)", () => {
    expect(errorOutputs(notebook())).toEqual([]);
  });

  test("reads its core count and scale from the environment", () => {
    const parameters = notebook().cells.find((c) => c.metadata.tags?.includes("parameters"));
    const printed = (parameters?.outputs ?? []).map((o) => (Array.isArray(o.text) ? o.text.join("") : (o.text ?? ""))).join("");
    expect(printed).toContain(`CORES: ${cores}`);
    expect(printed).toContain("SCALE: 'quick'");
  });

  test("1.1: each stall sentence's verdict follows the numbers printed in it", () => {
    const sentences = [...text().matchAll(/Busy code in (the main thread|a worker thread) for ([\d.]+) ms: the timer due after (\d+) ms fired after ([\d.]+) ms, and the request was answered after ([\d.]+) ms: ([^.]+)\./g)];
    expect(sentences.map((m) => m[1])).toEqual(["the main thread", "a worker thread"]);
    for (const [, , busy, due, fired, answered, verdict] of sentences) {
      const [busyMs, dueMs, firedMs, requestMs] = [busy, due, fired, answered].map(Number) as [number, number, number, number];
      const timerWaited = firedMs >= WAITED_SHARE * busyMs;
      const requestWaited = requestMs >= WAITED_SHARE * busyMs;
      if (dueMs >= WAITED_SHARE * busyMs) expect(verdict).toContain("too late to tell");
      else if (timerWaited && requestWaited) expect(verdict).toBe("both waited for it");
      else if (!timerWaited && !requestWaited) expect(verdict).toBe("neither waited for it");
      else expect(verdict).toBe(timerWaited ? "the timer waited for it, the request did not" : "the request waited for it, the timer did not");
    }
    // the baseline is the median of several idle runs, after the client was warmed up
    expect(text()).toMatch(/a first request took [\d.]+ ms \(cold\), and \d+ more were sent to warm it up/);
    expect(text()).toMatch(/Nothing busy \(the median of [3-9] runs\): the timer due after \d+ ms fired after [\d.]+ ms, and the request was answered after [\d.]+ ms/);
    expect(figure(notebook(), "While a CPU-bound task runs").data.map((t) => t.name)).toEqual([
      "the busy code itself",
      "timer due after 10 ms: fired after",
      "request: answered after",
    ]);
  });

  test("1.2 and 1.3: the overlap verdicts and the threadpool's size are printed", () => {
    expect(text().match(/2 together took [\d.]+× one alone: /g)?.length).toBe(3);
    // the threadpool's verdict measures the overlap against min(threadpool, cores), not against the 4 calls
    const pbkdf2 = /4 together took [\d.]+× one alone: (.+?)\. This process's threadpool has (\d+) threads; (\d+) cores can run in parallel here\./.exec(text());
    expect(pbkdf2).not.toBeNull();
    const limit = Math.min(Number(pbkdf2![2]), Number(pbkdf2![3]), 4);
    const ran = /they ran ([\d.]+) at a time on average, as many at once as can run here \((\d+)\)/.exec(pbkdf2![1]!);
    if (ran) expect(Number(ran[2])).toBe(limit);
    const partly = /partly overlapped \(([\d.]+) at a time on average, where (\d+) can run at once here\)/.exec(pbkdf2![1]!);
    if (partly) expect(Number(partly[1])).toBeLessThan(limit * 0.9 + 0.01);
    expect(text()).toMatch(/This process's threadpool has \d+ threads/);
    expect(text()).toMatch(/2 threads: [\d.]+× the speed of 1 thread/);
  });

  test("2.1: the tiny worker_threads pool computes the Leibniz sum within 1e-6 of an independent reference", () => {
    const match = /leibniz\((\d+)\) = (-?[\d.]+(?:e[-+]?\d+)?)/.exec(text());
    expect(match).not.toBeNull();
    expect(Math.abs(Number(match![2]) - referenceLeibniz(Number(match![1])))).toBeLessThan(1e-6);
    expect(text()).toMatch(new RegExp(`Started ${cores} worker thread\\(s\\) in [\\d.]+ ms and ${cores} child process\\(es\\)`));
    // where this environment makes every Node start slower, the comparison of starts says so, with its measured cost
    const aside = /NODE_EXTRA_CA_CERTS is set, .*: a bare node -e 0 took \d+ ms with it, \d+ ms without it \(median of 3\)/;
    if (process.env.NODE_EXTRA_CA_CERTS) expect(text()).toMatch(aside);
    else expect(text()).not.toMatch(aside);
    expect(figure(notebook(), `4 tasks of`).data[0]!.x).toEqual(["main thread", "tiny pool, threads", "tiny pool, processes", "kernel-helpers Pool, threads"]);
    for (const label of ["tiny pool, threads", "tiny pool, processes", "kernel-helpers Pool, threads"]) {
      const said = new RegExp(`${label}, (\\d+) worker\\(s\\) at once: ([\\d.]+)× the serial speed, efficiency ([\\d.]+) \\(([^)]+)\\)`).exec(text());
      expect(said).not.toBeNull();
      const [, workers, speed, efficiency, word] = said!;
      expect(Number(efficiency)).toBeCloseTo(Number(speed) / Number(workers), 1);
      // the word comes from the unrounded efficiency: either side of the printed rounding
      expect([efficiencyWord(Number(efficiency) - 0.005), efficiencyWord(Number(efficiency) + 0.005)]).toContain(word);
    }
    // one CPU accounting line per pool, or one for all three when it was not possible for the same reason
    const accounting = text().match(/CPU accounting: .*/g) ?? [];
    expect(accounting.length === 3 || (accounting.length === 1 && /not possible here/.test(accounting[0]!))).toBe(true);
  });

  test("2.2: the words on kernel-helpers' Pool against the tiny thread pool follow the times printed beside them", () => {
    const said = /kernel-helpers' Pool was (.+?) the tiny thread pool \(([\d.]+) ms against ([\d.]+) ms for the \d+ tasks\): (.+)$/m.exec(text());
    expect(said).not.toBeNull();
    const ratio = Number(said![2]) / Number(said![3]);
    if (Math.abs(ratio - 1.05) > 0.005 && Math.abs(ratio - 0.95) > 0.005) {
      const expected = ratio > 1.05 ? /the gap holds its own work per task .* and the noise of runs this short/ : ratio < 0.95 ? /can only add time, so this lead is noise/ : /did not show next to tasks of this size/;
      expect(said![4]).toMatch(expected);
      expect(said![1]).toMatch(ratio > 1.05 ? /slower/ : ratio < 0.95 ? /faster/ : /about as fast as/);
    }
  });

  test("1.3: a threadpool size far below its limit is flagged, not only called modest", () => {
    const lines = [...text().matchAll(/(\d+) threads: ([\d.]+)× the speed of 1 thread, against at most (\d+)× here [^:]*: ([^(\n]+?)(?: \((.*)\))?\.$/gm)];
    expect(lines.map((m) => m[1])).toEqual(["2", "4"]);
    for (const [, , speed, limit, , note] of lines) {
      const share = Number(speed) / Number(limit);
      if (share < 0.69) expect(note).toMatch(/^well below the limit: runs of \d+ ms in fresh processes are noisy/);
      if (share > 0.71 && share <= 1.05) expect(note).toBeUndefined();
    }
  });

  test("2.3: the tiny pool never answers for a crashed worker; kernel-helpers' Pool names the crash and goes on", () => {
    expect(text()).toMatch(new RegExp(`Tiny pool: no answer after \\d+ ms; it has ${cores - 1} idle worker\\(s\\) of ${cores} left`));
    expect(text()).toMatch(/the same crash: WorkerCrashedError: .*exited with code 1/);
    expect(text()).toMatch(/and its next task runs: leibnizPi\(1000\) = 3\.1405926538/);
    expect(text()).toContain(`What JSON makes of a Float64Array (the default of fork): {"0":1.5,"1":2.5}`);
    expect(text()).toContain("What a task on a process-backend Pool receives: Float64Array [1.5, 2.5]");
    expect(text()).toContain("their script folder removed: true");
  });

  test("3.1: every raw way of moving data is measured at every size from 1 KiB up, on log-log axes", () => {
    const raw = figure(notebook(), "Moving a Float64Array to a worker with Node's own APIs");
    expect(raw.data.map((t) => t.name)).toEqual([
      "thread: structured clone (copy)",
      "thread: transfer",
      "thread: SharedArrayBuffer",
      "child process: copy through the pipe",
    ]);
    expect(raw.layout.xaxis?.ticktext).toEqual(["1 KiB", "16 KiB", "256 KiB", "4 MiB"]);
    expect([raw.layout.xaxis?.type, raw.layout.yaxis?.type]).toEqual(["log", "log"]);
    for (const trace of raw.data) expect(trace.y!.every((y) => Number.isFinite(y) && y > 0)).toBe(true);
  });

  test("3.2: the transfer option detaches the sender's array, and the Pool's ways are measured", () => {
    expect(text()).toContain("The worker received 1000 elements; here sample.length is now 0 (detached: true).");
    expect(figure(notebook(), "The same through kernel-helpers' Pool").data.map((t) => t.name)).toEqual([
      "Pool, threads: copy",
      "Pool, threads: transfer",
      "Pool, processes: copy",
    ]);
  });

  test("3.3 and 3.4: the view table, equal sums however the data travelled, and the break-even verdict", () => {
    // the view carries its whole buffer to a thread, but only its own bytes in v8's format (a child process's message)
    const rows = text().split("\n").filter((line) => /^\s*big\.(subarray|slice)\(0, 1\)\s/.test(line)).map((line) => line.trim().split(/\s{2,}/));
    expect(rows.map((r) => [r[0], r[1], r[2]])).toEqual([
      ["big.subarray(0, 1)", "1", "4 MiB"],
      ["big.slice(0, 1)", "1", "8 B"],
    ]);
    for (const r of rows) expect(r[4]).toMatch(/^\d{1,2} B$/); // a few bytes of header and one double, whatever v8's version
    expect(text()).toMatch(/the one-element view arrived with a buffer of 4 MiB, and sending it took .* sending the one-element slice/);
    expect(text()).toContain("The same sum each time: true.");
    expect(text()).toMatch(/Copying 4 MiB to a thread added -?[\d.]+ ms over sharing it/);
    expect(text()).toMatch(/(From \d+ operation\(s\) per element on, the pool of|Up to 64 operations per element, the pool of)/);
    // the speed-up at the last point is not repeated when the pool won only there
    expect(text()).not.toMatch(/From 64 operation\(s\) per element on, .*there, [\d.]+× at 64\)/);
    const pipes = /At 4 MiB, its process backend took ([\d.]+) ms there and back: .* the raw pipe of section 3\.1 \(([\d.]+) ms\)\./.exec(text());
    expect(pipes).not.toBeNull();
    // the extra copy is measured, and the share of the difference it explains follows the numbers printed
    const copy = /One more copy of 4 MiB, into a new buffer, takes ([\d.]+) ms here \(median of 7\): (.+)$/m.exec(text());
    expect(copy).not.toBeNull();
    const added = Number(pipes![1]) - Number(pipes![2]), twoCopies = 2 * Number(copy![1]);
    if (added < -0.1) expect(copy![2]).toMatch(/added nothing measurable/);
    if (added > 0.1 && twoCopies >= added + 0.02) expect(copy![2]).toMatch(/accounts for all of the/);
    if (added > 0.1 && twoCopies < added - 0.02) expect(copy![2]).toMatch(/explains .* the [\d.]+ ms it added; the other [\d.]+ ms are its own transport, not broken down here\./);
    const breakEven = figure(notebook(), "4 MiB, more and more work per element");
    expect(breakEven.data[0]!.x).toEqual([1, 4, 16, 64]);
    expect(breakEven.data[1]!.y).toEqual([1, 1]);
  });

  test("the solutions ran: the sliced loop, the shared-memory sum and the transfer there and back", () => {
    const solutions = solutionText(notebook());
    expect(solutions).toMatch(/Busy code in the main thread, in 100 slices for [\d.]+ ms/);
    // the slices are timed (after a warm-up), and the timer's verdict follows them: late by at most one slice, or flagged
    const slices = /Slices took ([\d.]+) ms \(median; the longest ([\d.]+) ms\)\. The timer fired ([\d.]+) ms late: (no later than one slice|about \d+ slices: something else held the thread too)/.exec(solutions);
    expect(slices).not.toBeNull();
    const [typical, longest, late] = [slices![1], slices![2], slices![3]].map(Number) as [number, number, number];
    expect(typical).toBeLessThanOrEqual(longest);
    if (late < longest + 0.9) expect(slices![4]).toBe("no later than one slice");
    if (late > longest + 1.1) expect(slices![4]).toMatch(/^about \d+ slices/);
    expect(solutions).toMatch(/; the request took (no longer than with nothing busy\.|[\d.]+ ms longer than with nothing busy: about \d+ slice\(s\)\.)/);
    const total = /Total (\d+) \(main thread: (\d+)\)/.exec(solutions);
    expect(total).not.toBeNull();
    expect(total![1]).toBe(total![2]);
    const shared = /The \d+ workers summed 4 MiB in [\d.]+ ms, .* the main thread \(median of \d+\): efficiency ([\d.]+) \(([^)]+)\)/.exec(solutions);
    expect(shared).not.toBeNull();
    expect([efficiencyWord(Number(shared![1]) - 0.005), efficiencyWord(Number(shared![1]) + 0.005)]).toContain(shared![2]);
    for (const backend of ["thread", "process"]) {
      expect(solutions).toContain(`${backend}: right after the call, mine.length = 0`);
      expect(solutions).toContain(`${backend}: back.length = 1000, back[3] = 6 (it was 3)`);
    }
  });

  test("checks the machine at the start and at the end, and closes everything it started", () => {
    expect(text()).toMatch(/^Machine check: /m);
    expect(text()).toMatch(/^Machine check at the end: /m);
    expect(text()).toContain("Pools and the server closed; anything else still running stopped now: 0");
  });

  test("shows plotly figures as one bundle with the plotly, HTML and text mime types", () => {
    const bundles = outputs(notebook()).filter((o) => o.data?.["application/vnd.plotly.v1+json"]);
    expect(bundles.length).toBe(5);
    for (const bundle of bundles) {
      expect(Object.keys(bundle.data!).sort()).toEqual(["application/vnd.plotly.v1+json", "text/html", "text/plain"]);
    }
  });

  test("exports HTML with plotly.js inline exactly once and every figure's plot call", () => {
    const html = run.html(cores, NAME);
    expect(html.match(/kh-plotly-loader/g)?.length).toBe(1);
    expect(html.match(/class="kh-plotly-figure"/g)?.length).toBe(figures(notebook()).length);
    expect(html).not.toMatch(/<script[^>]+src="https?:[^"]*plotly/);
  });
});

test("the runner reports progress for each notebook and core count", () => {
  for (const cores of CORE_COUNTS) expect(run.stdout).toMatch(new RegExp(`cores=${cores}\\]? ${NAME}`));
});

test("no kernel, worker, child process or server of the run is left behind", () => {
  expect(survivors(run.marker)).toEqual([]);
});

browserChecks(() => run, NAME, CORE_COUNTS);
