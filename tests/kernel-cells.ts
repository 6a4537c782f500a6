/**
 * Real tslab kernels for the end-to-end tests, through the Python fixtures in
 * tests/fixtures/ that drive them with Jupyter's own client.
 *
 * A fixture sends its result through a file (scripts/lib/result_file.py), never
 * through stdout: the kernel and its workers would share that pipe, and Node
 * makes it non-blocking, so the tail of the result could be lost without a
 * word (tests/unit/result-channel.test.ts shows it). The fixture's own output
 * and the kernel's go to log files, whose tails an error shows.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { jupyterPath, jupyterPython, repoRoot } from "./notebook-helpers";

// scripts/lib/result-file.js is plain JavaScript: its shape is declared here
// until tests/tsconfig.json allows importing JavaScript.
const { readResultFile }: { readResultFile(file: string): unknown } = require("../scripts/lib/result-file");

/** What one cell did, as {@link runCells} reports it. */
export interface CellResult {
  /**
   * `ok`; `error` (the kernel replied that the cell failed); `timeout` (no reply
   * within `timeoutSeconds`: the kernel was interrupted, and the next cell still runs).
   */
  status: "ok" | "error" | "timeout";
  /**
   * The error's name (`TypeError`), message and stack lines. tslab sends no error
   * message: they come from the last error it printed on stderr, and a type-check
   * error is named `TSError`. null (and []) when the cell was ok or nothing was recognised.
   */
  ename: string | null;
  evalue: string | null;
  traceback: string[];
  /** The stream text the cell printed (tslab prints a failed cell's error on stderr). */
  stdout: string;
  stderr: string;
  /** The mime types of each display_data or execute_result output, in order: `[["text/html", "text/plain"]]`. */
  displays: string[][];
}

/** A cell for {@link runCells}: its code, with its own timeout when it needs one. */
export interface CellSpec {
  code: string;
  /** Seconds this cell may run before it is reported as `timeout`. Default: the `timeoutSeconds` option. */
  timeoutSeconds?: number;
}

/** Options of {@link runCells}. */
export interface RunCellsOptions {
  /** The kernel's working directory. Default: `notebooks/`, as for the notebooks. */
  cwd?: string;
  /** Seconds a cell may run before it is reported as `timeout` (unless it sets its own). Default: 60. */
  timeoutSeconds?: number;
  /** Extra environment for the kernel and its workers, e.g. `{ KH_TEST_MARKER: marker }` or a knob. */
  env?: Record<string, string>;
}

/** Paths handed to a fixture by {@link runKernelFixture}, all in a fresh temporary folder. */
export interface FixtureFiles {
  dir: string;
  /** where the fixture writes its result with write_result */
  result: string;
  /** where the kernel's own stdout and stderr go */
  kernelLog: string;
}

/** A kernel fixture failed: the message has its exit status and the tails of its and the kernel's logs. */
export class KernelFixtureError extends Error {
  override name = "KernelFixtureError";
  /**
   * @param message - what failed, with the logs' tails
   * @param dir - the fixture's temporary folder, kept for a look (remove it when done)
   */
  constructor(message: string, readonly dir: string) {
    super(message);
  }
}

let python: string | undefined;

const tail = (file: string, lines = 40): string => {
  const text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "(no file)";
  return text.trimEnd().split("\n").slice(-lines).join("\n") || "(empty)";
};

/**
 * Runs `tests/fixtures/<fixture>` with Jupyter's Python and the project's
 * JUPYTER_PATH, and returns what it wrote to its result file.
 *
 * @param fixture - the script's file name, e.g. `"kernel_shutdown.py"`
 * @param prepare - returns the script's arguments; gets the paths it should use (and may write input files in `files.dir`)
 * @param options - `timeoutMs`: then the fixture is sent SIGTERM (it shuts its kernel down), and SIGKILL 30 s later; `env`: extra environment
 * @returns the result, read with readResultFile
 * @throws KernelFixtureError when the fixture exits non-zero, runs out of time or leaves no complete result
 *   (the temporary folder is then kept, and named in the message)
 */
export async function runKernelFixture(
  fixture: string,
  prepare: (files: FixtureFiles) => string[],
  options: { timeoutMs: number; env?: Record<string, string> | undefined },
): Promise<unknown> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${path.parse(fixture).name}-`));
  const files: FixtureFiles = { dir, result: path.join(dir, "result.json"), kernelLog: path.join(dir, "kernel.log") };
  const fixtureLog = path.join(dir, "fixture.log");
  const args = prepare(files);
  python ??= jupyterPython();
  const log = fs.openSync(fixtureLog, "a");
  const child = spawn(python, [path.join(__dirname, "fixtures", fixture), ...args], {
    cwd: repoRoot,
    env: { ...process.env, JUPYTER_PATH: jupyterPath(), ...options.env },
    stdio: ["ignore", log, log],
  });
  fs.closeSync(log);
  let timedOut = false;
  const terminate = setTimeout(() => {
    timedOut = true;
    child.kill("SIGTERM");
  }, options.timeoutMs);
  const kill = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs + 30_000);
  const exit = await new Promise<string | null>((resolve) => {
    child.on("error", (error) => resolve(`could not start ${python}: ${error.message}`));
    child.on("exit", (code, signal) => resolve(code === 0 ? null : `exited with ${signal ?? `status ${code}`}`));
  });
  clearTimeout(terminate);
  clearTimeout(kill);
  let result: unknown;
  let problem = timedOut ? `did not finish within ${options.timeoutMs / 1000} s` : exit;
  try {
    result = readResultFile(files.result);
  } catch (error) {
    problem ??= (error as Error).message;
  }
  if (problem !== null) {
    throw new KernelFixtureError(
      `${fixture} ${problem} (files kept in ${dir})\n--- ${fixture} output (last lines) ---\n${tail(fixtureLog)}\n--- kernel log (last lines) ---\n${tail(files.kernelLog)}`,
      dir,
    );
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return result;
}

/**
 * Runs code cells in order in ONE real tslab kernel (the project's kernelspec,
 * as Jupyter starts it) and reports what each did. The kernel is always shut
 * down; a cell that runs past its timeout is interrupted and reported as
 * `timeout`, and the next cell still runs.
 *
 * @param cells - each cell's code, or `{ code, timeoutSeconds }` for a cell with its own timeout
 * @param options - working directory, per-cell timeout, extra environment
 * @returns one {@link CellResult} per cell, in order
 * @throws KernelFixtureError (with the logs' tails) when the kernel could not start, did not answer an
 *   interrupt, or left a process running after its shutdown
 * @example
 * const [hello] = await runCells(['console.log("hi")']);
 * expect(hello?.stdout).toBe("hi\n");
 */
export async function runCells(cells: Array<string | CellSpec>, options: RunCellsOptions = {}): Promise<CellResult[]> {
  const defaultTimeoutSeconds = options.timeoutSeconds ?? 60;
  const totalSeconds = cells.reduce((sum: number, cell) => sum + (typeof cell === "string" ? defaultTimeoutSeconds : (cell.timeoutSeconds ?? defaultTimeoutSeconds)), 0);
  const result = (await runKernelFixture(
    "kernel_cells.py",
    (files) => {
      const cellsFile = path.join(files.dir, "cells.json");
      fs.writeFileSync(cellsFile, JSON.stringify(cells));
      const cwd = options.cwd ?? path.join(repoRoot, "notebooks");
      return [cellsFile, files.result, "--cwd", cwd, "--timeout", String(defaultTimeoutSeconds), "--log", files.kernelLog];
    },
    // start-up and shutdown, then each cell's time and, at worst, an interrupt's grace
    { timeoutMs: (120 + totalSeconds + cells.length * 30) * 1000, env: options.env },
  )) as { cells: CellResult[] };
  return result.cells;
}
