/**
 * The runner (`npm run notebooks`) as a process: bad flags end it with exit
 * status 2 before anything starts (every flag rule is checked in
 * tests/unit/runner.test.ts), a notebook that fails makes it exit non-zero,
 * naming the notebook, the cell and the error, with nothing left running, and
 * an interrupted run exits 130 leaving nothing behind. The kernel writes to its
 * own log file, never to the runner's pipes.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import knobs from "../../kernel-helpers/src/knobs.json";
import { errorOutputs, repoRoot, removeRunOutputs, runNotebooks, runOutputFolder, survivors } from "../notebook-helpers";

function runner(args: string[]): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, ["scripts/run-notebooks.mjs", ...args], { cwd: repoRoot, encoding: "utf8" });
  return { status: result.status, output: result.stdout + result.stderr };
}

afterAll(removeRunOutputs);

describe("runner flags", () => {
  test.each([
    [["--cores", String(knobs.CORES.max + 1)], "--cores"], // more than CORES accepts: refused before any notebook starts
    [["--cores", "abc"], "--cores"],
    [["--only", "99"], "--only"],
    [["--frobnicate"], "--frobnicate"],
  ])("%j is rejected with exit status 2 and a message naming the flag", (args, flag) => {
    const { status, output } = runner(args);
    expect(status).toBe(2);
    expect(output).toContain(flag);
  });

  test("--help prints the options and exits 0", () => {
    const { status, output } = runner(["--help"]);
    expect(status).toBe(0);
    for (const flag of ["--cores", "--scale", "--only", "--out", "--setup-only", "--install-user"]) {
      expect(output).toContain(flag);
    }
  });
});

describe("a notebook that fails", () => {
  test("makes the runner exit non-zero naming the notebook, the cell and the error; nothing is left running", () => {
    const previous = process.env["TASKS"];
    process.env["TASKS"] = "abc"; // notebook 01's parameters cell must reject this
    let run;
    try {
      run = runNotebooks(["--only", "01", "--scale", "quick", "--cores", "1"], 180_000);
    } finally {
      if (previous === undefined) delete process.env["TASKS"];
      else process.env["TASKS"] = previous;
    }
    const output = run.stdout + run.stderr;
    expect(run.status).not.toBe(0);
    expect(output).toContain("01-pool");
    expect(output).toMatch(/cell \d+/);
    expect(output).toContain("InvalidOptionError");
    expect(output).toContain("TASKS");
    // the kernel wrote to its own log beside the partial notebook, and the report says where
    expect(fs.existsSync(run.kernelLog(1, "01-pool"))).toBe(true);
    expect(output).toContain("kernel log: ");
    expect(output).toContain("01-pool.kernel.log");
    // the partly executed notebook is kept for the user to look at, showing the error
    const errors = errorOutputs(run.read(1, "01-pool"));
    expect(errors.length).toBe(1);
    expect(errors[0]).toContain("Expected TASKS to be an integer from 1 to 10000");
    expect(survivors(run.marker)).toEqual([]);
  }, 200_000);
});

describe("an interrupted run", () => {
  test("Ctrl-C (SIGINT) stops the runner with exit status 130 and leaves no kernel or worker behind", async () => {
    const { spawn } = await import("node:child_process");
    const { randomBytes } = await import("node:crypto");
    const marker = randomBytes(8).toString("hex");
    const out = runOutputFolder("nb-interrupt-");
    // full scale: long enough to be interrupted in the middle of a parallel cell
    const child = spawn(process.execPath, ["scripts/run-notebooks.mjs", "--only", "01", "--cores", "2", "--out", out], {
      cwd: repoRoot,
      env: { ...process.env, KH_TEST_MARKER: marker },
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    // wait until the run's tslab kernel (`node .../.bin/tslab kernel ...`) is up, then give it
    // time to reach the timed, pooled cells
    const kernelPid = (): number | undefined =>
      survivors(marker).find((pid) => {
        try {
          return /\/tslab\0kernel\0/.test(fs.readFileSync(`/proc/${pid}/cmdline`, "utf8"));
        } catch {
          return false;
        }
      });
    for (let waited = 0; kernelPid() === undefined && waited < 60_000; waited += 200) await new Promise((r) => setTimeout(r, 200));
    const kernel = kernelPid();
    expect(kernel).toBeDefined();
    // the kernel's stdout and stderr are its log file, not a pipe it would share with the runner
    for (const fd of [1, 2]) expect(fs.readlinkSync(`/proc/${kernel}/fd/${fd}`)).toMatch(/01-pool\.kernel\.log$/);
    await new Promise((r) => setTimeout(r, 12_000));
    expect(survivors(marker).length).toBeGreaterThanOrEqual(3); // runner, executor, kernel (at least)
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    await new Promise((r) => setTimeout(r, 500));
    expect(survivors(marker)).toEqual([]);
  }, 150_000);
});
