/**
 * The notebook runner's logic, called directly (no runner process, no Jupyter):
 * its command line and core counts against the knob rules in
 * kernel-helpers/src/knobs.json, the set-up plan for each situation a machine
 * can be in, reading the executor's status file, and the report's text.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import knobs from "../../kernel-helpers/src/knobs.json";
import { describeFailure, exitStatusFor, type RunResult } from "../../scripts/runner/children";
import { findNotebooks, helpText, parseCommandLine, parseCores, readKnobRules, UsageError } from "../../scripts/runner/cli";
import type { Candidate, ProjectFindings, PythonInfo } from "../../scripts/runner/discovery";
import { abortReason, readStatus, recordOf, type RunRecord } from "../../scripts/runner/execute";
import paths from "../../scripts/runner/paths";
import { formatFailures, formatOutcome, formatRunHeader, formatRunLine, formatSummary } from "../../scripts/runner/report";
import { planSetup } from "../../scripts/runner/setup-plan";

const rules = readKnobRules(paths.KNOBS_FILE);
const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "runner-unit-"));
afterAll(() => fs.rmSync(cwd, { recursive: true, force: true }));

/** Calls `fn`, which must throw a UsageError, and returns its message. */
function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error("Expected a UsageError, but nothing was thrown.");
}

const parse = (...argv: string[]) => parseCommandLine(argv, { rules, defaultCores: 3, cwd });

describe("knob rules", () => {
  test("the runner reads the same CORES and SCALE rules as knobs.json holds", () => {
    expect(rules).toEqual({
      CORES: { min: knobs.CORES.min, max: knobs.CORES.max },
      SCALE: { choices: knobs.SCALE.choices, default: knobs.SCALE.default },
    });
  });

  test("a malformed rules file is refused, naming the file", () => {
    const file = path.join(cwd, "knobs.json");
    fs.writeFileSync(file, JSON.stringify({ CORES: { min: 1 }, SCALE: { choices: ["quick"], default: "quick" } }));
    expect(() => readKnobRules(file)).toThrow(file);
  });

  test("the help text states the CORES range and the scales from the rules", () => {
    const help = helpText(rules, 3);
    expect(help).toContain(`from\n                   ${knobs.CORES.min} to ${knobs.CORES.max}`);
    expect(help).toContain(knobs.SCALE.choices.join(" | "));
    expect(help).toContain("(default: 3,");
  });
});

describe("core counts (--cores)", () => {
  test("a comma-separated list is read in order, spaces trimmed, duplicates dropped", () => {
    expect(parseCores("4, 1,2,4", rules)).toEqual([4, 1, 2]);
  });

  test("the smallest and the largest count CORES accepts are accepted", () => {
    expect(parseCores(`${knobs.CORES.min},${knobs.CORES.max}`, rules)).toEqual([knobs.CORES.min, knobs.CORES.max]);
  });

  test.each([
    ["below the range", String(knobs.CORES.min - 1)],
    ["above the range (every notebook would refuse it)", String(knobs.CORES.max + 1)],
    ["far above the range", "2000"],
    ["negative", "-1"],
    ["not a number", "abc"],
    ["fractional", "1.5"],
    ["with a sign", "+2"],
    ["in exponent notation", "1e3"],
  ])("%s (%p) is refused, naming the entry and the range", (_label, value) => {
    const message = usageError(() => parseCores(`1,${value}`, rules));
    expect(message).toContain("--cores");
    expect(message).toContain(`"${value}"`);
    expect(message).toContain(`from ${knobs.CORES.min} to ${knobs.CORES.max}`);
  });

  test.each(["1,,2", "", ",", "2,"])("an empty entry in %p is refused", (value) => {
    expect(usageError(() => parseCores(value, rules))).toContain("has an empty entry");
  });
});

describe("the command line", () => {
  test("without options: this machine's cores, full scale, results/, 30 min per cell", () => {
    expect(parse()).toEqual({
      cores: [3],
      scale: knobs.SCALE.default,
      only: null,
      out: path.join(cwd, "results"),
      timeout: 1800,
      setupOnly: false,
      installUser: false,
      withBrowser: false,
      help: false,
    });
  });

  test("every option, as --flag value and as --flag=value", () => {
    const expected = { cores: [1, 2], scale: "quick", only: ["01", "3"], out: path.join(cwd, "out"), timeout: 0 };
    expect(parse("--cores", "1,2", "--scale", "quick", "--only", "01,3", "--out", "out", "--timeout", "0")).toMatchObject(expected);
    expect(parse("--cores=1,2", "--scale=quick", "--only=01,3", "--out=out", "--timeout=0")).toMatchObject(expected);
  });

  test("the switches, and a later value overriding an earlier one", () => {
    expect(parse("--setup-only", "--install-user", "--with-browser", "--cores", "1", "--cores", "2")).toMatchObject({
      setupOnly: true,
      installUser: true,
      withBrowser: true,
      cores: [2],
    });
    expect(parse("-h").help).toBe(true);
    expect(parse("--help").help).toBe(true);
  });

  test.each([
    [["--cores", "0"], '--cores: "0" is not a valid core count'],
    [["--cores", String(knobs.CORES.max + 1)], `--cores: "${knobs.CORES.max + 1}" is not a valid core count`],
    [["--cores"], "--cores needs a value"],
    [["--cores", "--scale", "quick"], "--cores needs a value"],
    [["--scale", "huge"], '--scale: "huge" is not a scale; accepted: quick, full'],
    [["--only", "1a"], '--only: "1a" is not a notebook number'],
    [["--only", ""], '--only: "" is not a notebook number'],
    [["--timeout", "-5"], '--timeout: "-5" is not valid'],
    [["--timeout", "1.5"], '--timeout: "1.5" is not valid'],
    [["--out", " "], "--out: the output folder must not be empty"],
    [["--frobnicate"], "unknown option --frobnicate"],
    [["--frobnicate=3"], "unknown option --frobnicate"],
    [["-x"], "unknown option -x"],
    [["--"], "unknown option --"],
    [["--setup-only=yes"], '--setup-only takes no value (got "yes")'],
    [["notebooks"], 'unexpected argument "notebooks" (options start with --)'],
  ])("%j is refused: %s", (argv, message) => {
    expect(usageError(() => parse(...argv))).toContain(message);
  });

  test("--out naming a file (not a folder) is refused", () => {
    const file = path.join(cwd, "a-file");
    fs.writeFileSync(file, "");
    expect(usageError(() => parse("--out", file))).toContain("exists and is not a folder");
  });
});

describe("choosing notebooks (--only)", () => {
  test("all notebooks in order without --only; number prefixes select, leading zeros optional", () => {
    const all = findNotebooks(paths.NOTEBOOK_DIR, null).map((nb) => nb.name);
    expect(all.length).toBeGreaterThanOrEqual(5);
    expect(all).toEqual([...all].sort());
    const byNumber = (n: string) => all.find((name) => name.startsWith(`${n}-`));
    expect(findNotebooks(paths.NOTEBOOK_DIR, ["1", "03"]).map((nb) => nb.name)).toEqual([byNumber("01"), byNumber("03")]);
  });

  test("a number that matches no notebook is refused, listing the numbers there are", () => {
    const message = usageError(() => findNotebooks(paths.NOTEBOOK_DIR, ["99"]));
    const available = findNotebooks(paths.NOTEBOOK_DIR, null).map((nb) => nb.name.slice(0, 2)).join(", ");
    expect(message).toContain(`--only: "99" matches no notebook; available: ${available}`);
  });

  test("a folder without notebooks is refused", () => {
    expect(usageError(() => findNotebooks(cwd, null))).toContain("no notebooks found");
  });
});

// ───────────────────────────── the set-up plan ─────────────────────────────

const TSLAB = "/repo/node_modules/.bin/tslab";
const ALL_MODULES = Object.fromEntries(paths.REQUIRED_PY.map((m) => [m, "1.0"]));

function python(overrides: Partial<PythonInfo> = {}): PythonInfo {
  return {
    executable: "/usr/bin/python3",
    version: "3.11.2",
    modules: ALL_MODULES,
    errors: {},
    externallyManaged: false,
    venv: false,
    hasPip: true,
    ...overrides,
  };
}
const complete = (via = "/usr/bin/jupyter", py = "/usr/bin/python3"): Candidate => ({ python: py, via, info: python({ executable: py }) });
const lacking = (info: Partial<PythonInfo>, via = "/usr/local/bin/jupyter", py = "/opt/py/bin/python3"): Candidate => ({
  python: py,
  via,
  info: python({ executable: py, modules: { ...ALL_MODULES, nbclient: null, nbconvert: null }, ...info }),
});

/** A machine where everything is in place; each test changes what it is about. */
function found(overrides: Partial<ProjectFindings & { jupyters: Candidate[] }> = {}) {
  return {
    missingNpm: [],
    hasLockfile: true,
    hasNodeModules: true,
    hasKernelHelpers: true,
    kernelspecBinary: TSLAB,
    tslabBinary: TSLAB,
    browser: null,
    isRoot: false,
    hasAptGet: true,
    jupyters: [complete()],
    ...overrides,
  };
}
const choices = { installUser: false, withBrowser: false };

describe("the set-up plan", () => {
  test("everything in place: nothing is installed; the build (incremental) still runs", () => {
    const jupyter = complete();
    expect(planSetup(found({ jupyters: [jupyter] }), choices)).toEqual({
      npmInstall: null,
      build: true,
      jupyter: { action: "use", candidate: jupyter },
      kernelspec: "present",
      userKernelspec: false,
      browser: "skip",
    });
  });

  test("a fresh clone (lockfile, no node_modules) gets `npm ci`", () => {
    const plan = planSetup(found({ missingNpm: ["tslab", "workerpool"], hasNodeModules: false }), choices);
    expect(plan.npmInstall).toEqual({ command: "ci", missing: ["tslab", "workerpool"] });
  });

  test("a package missing from an existing node_modules, or no lockfile, gets `npm install`", () => {
    expect(planSetup(found({ missingNpm: ["tslab"] }), choices).npmInstall).toEqual({ command: "install", missing: ["tslab"] });
    expect(planSetup(found({ missingNpm: ["tslab"], hasLockfile: false, hasNodeModules: false }), choices).npmInstall?.command).toBe("install");
  });

  test("without kernel-helpers/tsconfig.json there is no build", () => {
    expect(planSetup(found({ hasKernelHelpers: false }), choices).build).toBe(false);
  });

  test("the kernelspec is created when absent and re-created when it starts another tslab", () => {
    expect(planSetup(found({ kernelspecBinary: null }), choices).kernelspec).toBe("create");
    expect(planSetup(found({ kernelspecBinary: "/old/clone/node_modules/.bin/tslab" }), choices).kernelspec).toBe("recreate");
  });

  test("the first complete Jupyter is used, even behind an incomplete one", () => {
    const good = complete("python3 on PATH", "/home/u/.pyenv/shims/python3");
    const plan = planSetup(found({ jupyters: [lacking({}), good] }), choices);
    expect(plan.jupyter).toEqual({ action: "use", candidate: good });
  });

  test("a jupyter command whose Python lacks modules but has pip: pip into that Python, apt-get as root", () => {
    const target = lacking({});
    const plan = planSetup(found({ jupyters: [target], isRoot: true }), choices);
    expect(plan.jupyter).toEqual({
      action: "install",
      notes: ["/usr/local/bin/jupyter (/opt/py/bin/python3) lacks nbclient, nbconvert"],
      pip: target,
      apt: true,
    });
  });

  test("an OS-managed Python (PEP 668) or one without pip is never pip-installed into", () => {
    for (const info of [{ externallyManaged: true }, { hasPip: false }]) {
      const plan = planSetup(found({ jupyters: [lacking(info)], isRoot: true }), choices);
      expect(plan.jupyter).toMatchObject({ action: "install", pip: null, apt: true });
      if (plan.jupyter.action === "install") expect(plan.jupyter.notes.at(-1)).toContain("PEP 668");
    }
  });

  test("only a python3 on PATH, not root: no pip, no apt, the instructions", () => {
    const plan = planSetup(found({ jupyters: [lacking({}, "python3 on PATH")] }), choices);
    expect(plan.jupyter).toEqual({
      action: "install",
      notes: [
        "python3 on PATH (/opt/py/bin/python3) lacks nbclient, nbconvert",
        "no jupyter command on PATH",
        "not using pip: no jupyter command on PATH whose Python pip could complete",
      ],
      pip: null,
      apt: false,
    });
  });

  test("apt-get needs both root and apt-get; a Python that could not run is named", () => {
    const broken: Candidate = { python: "/usr/bin/python3", via: "/usr/bin/jupyter", info: null };
    const plan = planSetup(found({ jupyters: [broken], isRoot: true, hasAptGet: false }), choices);
    expect(plan.jupyter).toMatchObject({ action: "install", pip: null, apt: false });
    if (plan.jupyter.action === "install") expect(plan.jupyter.notes[0]).toBe("/usr/bin/jupyter (/usr/bin/python3) could not be run");
  });

  test("--install-user adds the user kernelspec", () => {
    expect(planSetup(found(), { ...choices, installUser: true }).userKernelspec).toBe(true);
  });

  test.each([
    ["/usr/bin/chromium", false, "present"],
    [null, true, "apt"],
    [null, false, "instructions"],
  ] as const)("--with-browser with Chromium at %p, root %p: %s", (browser, isRoot, expected) => {
    expect(planSetup(found({ browser, isRoot }), { ...choices, withBrowser: true }).browser).toBe(expected);
  });
});

// ───────────────────────────── status and report ─────────────────────────────

const exitedWith = (code: number | null, signal: NodeJS.Signals | null = null): RunResult => ({
  code, signal, stdout: "", stderr: "", timedOut: false, ms: 1,
});

describe("the executor's status file", () => {
  const file = (name: string) => path.join(cwd, name);

  test("a complete status is read, then deleted", () => {
    const status = { status: "error", cell: 4, cells: 28, ename: "InvalidOptionError", evalue: "bad TASKS" };
    fs.writeFileSync(file("ok.json"), JSON.stringify({ result: status, complete: true }));
    expect(readStatus(file("ok.json"))).toEqual({ detail: status, problem: null });
    expect(fs.existsSync(file("ok.json"))).toBe(false);
  });

  test("a truncated status is a problem naming the file, which is kept to be looked at", () => {
    fs.writeFileSync(file("cut.json"), '{"result": {"status": "o');
    const { detail, problem } = readStatus(file("cut.json"));
    expect(detail).toBeNull();
    expect(problem).toContain(file("cut.json"));
    expect(problem).toContain("truncated");
    expect(fs.existsSync(file("cut.json"))).toBe(true);
  });

  test("a missing status, or one without a status field, is a problem naming the file", () => {
    expect(readStatus(file("none.json")).problem).toContain(`${file("none.json")}: missing`);
    fs.writeFileSync(file("odd.json"), JSON.stringify({ result: [1], complete: true }));
    expect(readStatus(file("odd.json")).problem).toContain(file("odd.json"));
  });

  test("a run is ok only when the executor exited 0 AND its status file is whole", () => {
    const run = { notebook: "01-pool", cores: 1, seconds: 2, stopped: false };
    expect(recordOf({ ...run, exited: exitedWith(0), status: { detail: { status: "ok" }, problem: null } }).status).toBe("ok");
    const truncated = recordOf({ ...run, exited: exitedWith(0), status: { detail: null, problem: "result file /t/s.json: empty" } });
    expect(truncated).toMatchObject({ status: "failed", note: "execute_notebook.py: exit status 0; result file /t/s.json: empty" });
    const timeout = recordOf({ ...run, exited: exitedWith(1), status: { detail: { status: "timeout" }, problem: null } });
    expect(timeout.status).toBe("timeout");
    const stopped = recordOf({ ...run, stopped: true, exited: exitedWith(130), status: { detail: { status: "interrupted" }, problem: null } });
    expect(stopped.status).toBe("interrupted");
  });

  test("the run stops after a kernel that could not start or an executor without a status, not after a failing cell", () => {
    const base: RunRecord = { notebook: "01-pool", cores: 2, status: "error", seconds: 1, ipynb: null, html: null, kernelLog: null, detail: { status: "error" } };
    expect(abortReason(base)).toBe("");
    expect(abortReason({ ...base, detail: { status: "kernel-start" } })).toContain("stopped after 01-pool (cores=2)");
    expect(abortReason({ ...base, status: "failed", detail: null })).toContain("the kernel could not be started");
    expect(describeFailure(exitedWith(null, "SIGTERM"))).toBe("killed by SIGTERM");
    expect([exitStatusFor("SIGINT"), exitStatusFor("SIGTERM"), exitStatusFor("SIGHUP")]).toEqual([130, 143, 129]);
  });
});

describe("the report", () => {
  const out = path.join(cwd, "results", "cores-1");
  const ok: RunRecord = {
    notebook: "01-pool", cores: 1, status: "ok", seconds: 6.44, detail: { status: "ok" },
    ipynb: path.join(out, "01-pool.ipynb"), html: path.join(out, "01-pool.html"), kernelLog: path.join(out, "01-pool.kernel.log"),
  };
  const failed: RunRecord = {
    notebook: "02-process", cores: 12, status: "error", seconds: 12.05, ipynb: null, html: null, kernelLog: null,
    detail: {
      status: "error", cell: 5, cells: 30, ename: "InvalidOptionError", evalue: "Expected TASKS to be an integer",
      traceback: Array.from({ length: 10 }, (_, i) => `    at frame${i}`),
    },
  };

  test("one line per run: mark, core count, status, seconds and the files written", () => {
    expect(formatRunLine(ok, cwd)).toBe(
      "✓ [cores=1] 01-pool: ok in 6.4 s → results/cores-1/01-pool.ipynb, results/cores-1/01-pool.html",
    );
    expect(formatRunLine(failed, cwd)).toBe("✗ [cores=12] 02-process: error in 12.1 s");
  });

  test("the header says what runs, at which scale and time limit, and where to", () => {
    expect(formatRunHeader({ notebooks: 1, cores: [1, 2], scale: "quick", timeout: 0, out: path.join(cwd, "results") }, cwd)).toBe(
      "Running 1 notebook × cores 1,2 (scale=quick, timeout none) → results",
    );
    expect(formatRunHeader({ notebooks: 5, cores: [2], scale: "full", timeout: 1800, out: "/elsewhere" }, cwd)).toBe(
      "Running 5 notebooks × cores 2 (scale=full, timeout 1800 s/cell) → /elsewhere",
    );
  });

  test("the summary is a table (kernel-helpers' textTable): seconds right-aligned, '-' for no outputs", () => {
    expect(formatSummary([], cwd)).toBe("");
    expect(formatSummary([ok, failed], cwd).split("\n")).toEqual([
      "",
      "Summary",
      "notebook    cores  status  seconds  outputs",
      "----------  -----  ------  -------  -----------------------------------------------------------",
      "01-pool     1      ok          6.4  results/cores-1/01-pool.ipynb, results/cores-1/01-pool.html",
      "02-process  12     error      12.1  -",
    ]);
  });

  test("a failure names the notebook, the cell and the error, with the traceback's first 8 lines", () => {
    const lines = formatFailures([failed], "", cwd).split("\n");
    expect(lines.slice(0, 3)).toEqual([
      "",
      "✗ 1 notebook run failed:",
      "  02-process (cores=12) failed at cell 5/30: InvalidOptionError: Expected TASKS to be an integer",
    ]);
    expect(lines.slice(3)).toEqual([...failed.detail!.traceback!.slice(0, 8).map((l) => `      ${l}`), "      … (2 more lines)"]);
  });

  test("a failure shows the partial notebook and the kernel log, and why the run stopped", () => {
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(ok.kernelLog!, "");
    const partial: RunRecord = { ...ok, status: "dead-kernel", detail: { status: "dead-kernel", cell: 7, ename: "DeadKernelError", evalue: "Kernel died" } };
    const noStatus: RunRecord = { ...ok, notebook: "03-benchmarking", status: "failed", detail: null, ipynb: null, html: null, kernelLog: null, note: "execute_notebook.py: exit status 2; result file /t/s.json: missing" };
    const text = formatFailures([partial, noStatus], "stopped after 03-benchmarking (cores=1): …", cwd);
    expect(text.split("\n").slice(1)).toEqual([
      "✗ 2 notebook runs failed:",
      "  01-pool (cores=1) failed at cell 7: DeadKernelError: Kernel died",
      "      partial notebook: results/cores-1/01-pool.ipynb (results/cores-1/01-pool.html)",
      "      kernel log: results/cores-1/01-pool.kernel.log (empty)",
      "  03-benchmarking (cores=1) failed at unknown cell: execute_notebook.py: exit status 2; result file /t/s.json: missing",
      "  stopped after 03-benchmarking (cores=1): …",
    ]);
    const kernelStart: RunRecord = { ...noStatus, detail: { status: "kernel-start", ename: "NoSuchKernel", evalue: "No such kernel named tslab" } };
    expect(formatFailures([kernelStart], "", cwd)).toContain("failed at kernel start-up: NoSuchKernel: No such kernel named tslab");
  });

  test("the outcome: every run ok (0), a failure (1), or interrupted (the signal's status)", () => {
    expect(formatOutcome([ok, ok], { stopSignal: null, exitStatus: 1, aborted: "", cwd })).toEqual({ text: "\n✓ 2 notebook runs ok", status: 0 });
    expect(formatOutcome([ok, failed], { stopSignal: null, exitStatus: 1, aborted: "", cwd }).status).toBe(1);
    expect(formatOutcome([ok], { stopSignal: "SIGINT", exitStatus: 130, aborted: "", cwd })).toEqual({
      text: "\n✗ interrupted by SIGINT; the kernel was shut down",
      status: 130,
    });
  });
});
