/**
 * Python, measured live beside Node: the original tutorial's own functions
 * (kernel-helpers/python/original.py) run by a real Python on the reader's
 * machine, in the same run, so a notebook never quotes a figure measured
 * elsewhere. A Python is always at hand where Jupyter runs, since Jupyter is
 * written in it.
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { progress } from "../measuring/progress";

/** The Python that ran a measurement. */
export interface PythonInfo {
  executable: string;
  version: string;
  implementation: string;
  /** How its multiprocessing starts workers: "fork" (Linux before Python 3.14), "spawn" (macOS, Windows), "forkserver" (Linux from 3.14). */
  startMethod: string;
}

/** Inputs and outputs of each measurement in original.py; times in ms, rates per second. */
export interface PythonMeasurements {
  /** The plain-loop Leibniz sum, and numpy's vectorised twin when numpy is installed. */
  leibniz: { input: { terms: number; repeats: number }; output: { loopMs: number[]; numpyMs: number[] | null; numpyVersion: string | null } };
  /** `tasks` Leibniz sums serial, and through `Pool(workers).apply_async` (pool start included, as in the original). */
  leibnizPool: { input: { tasks: number; terms: number; workers: number; repeats: number }; output: { serialMs: number[]; pooledMs: number[] } };
  /** `Pool(workers)` started and one trivial task per worker run, then closed. */
  poolStartup: { input: { workers: number; repeats: number }; output: { startupMs: number[] } };
  /** Trivial `apply_async` + `get()` round trips per second, `tasks` in flight. */
  roundTrips: { input: { workers: number; tasks: number; repeats: number }; output: { perSecond: number[] } };
  /** Items per second through `pool.map` with its default chunking. */
  mapItems: { input: { workers: number; items: number; repeats: number }; output: { perSecond: number[] } };
  /** `tasks` sums of `numbers` random numbers: serial, and one `Process` each with an output `Queue`. */
  randomSums: { input: { tasks: number; numbers: number; repeats: number }; output: { serialMs: number[]; processesMs: number[] } };
  /**
   * Monte Carlo pi, `tasks` × `weight` points: serial, `Pool`, and `Process` workers fed by a queue.
   * `processesLeftover`: per queue run, the tasks no worker took because every worker quit on a false
   * `Empty` from `get_nowait` (the parent then ran them, inside the timing). `processesTasksPerWorker`:
   * per queue run, how many tasks each worker took (a 0 is a worker that quit before taking one: the
   * original's "fails to parallelise").
   */
  monteCarlo: {
    input: { tasks: number; weight: number; workers: number; repeats: number };
    output: { serialMs: number[]; poolMs: number[]; processesMs: number[]; processesLeftover: number[]; processesTasksPerWorker: number[][] };
  };
  /** Assignments per second to a `Manager().dict()` from one client. */
  managerWrites: { input: { ops: number; repeats: number }; output: { perSecond: number[] } };
  /** `Pool(workers)` started, one trivial task per worker, closed, with each start method this Python has (one untimed start each first), and its default method. */
  poolStartupMethods: { input: { workers: number; repeats: number }; output: { startupMs: Record<string, number[]>; defaultMethod: string } };
  /** The original's nested-dict caveat: `d[3]["Sequence"].append(1)` on a `Manager().dict()`, then the copy-change-assign fix; the sequence after each. */
  managerCopyCaveat: { input: Record<string, never>; output: { afterInPlace: number[]; afterAssignBack: number[] } };
  /** A trivial `Process` started and joined with each start method this Python has ("fork", "spawn", "forkserver"; one untimed start each first), and its default method. */
  processStartup: { input: { repeats: number }; output: { startupMs: Record<string, number[]>; defaultMethod: string } };
  /**
   * The original's "read the queue before join" warning, live: the capacity of a pipe here (bytes, measured by filling
   * one), then per fraction of it a child puts one item of that many bytes on a `Queue` and the parent joins it
   * (waiting at most `timeoutS`) before reading: did the child end before the read?
   */
  joinBeforeRead: {
    input: { fractions: number[]; timeoutS: number };
    output: { pipeBytes: number; platform: string; cases: { itemBytes: number; endedBeforeRead: boolean; joinWaitedMs: number; receivedBytes: number }[] };
  };
  /** A `Pool` opened inside a `Process` (allowed), then inside a pool worker (refused: pool workers are daemonic), with the error Python gives. */
  nestedPools: { input: { workers: number }; output: { inProcess: { ok: boolean; error: string | null }; inPoolWorker: { ok: boolean; error: string | null } } };
}

/** A measurement's name. */
export type PythonMeasurement = keyof PythonMeasurements;

/** No Python could be started. The message says which were tried and how to point at one (`KH_PYTHON`). */
export class PythonUnavailableError extends Error {
  override name = "PythonUnavailableError";
}

/** The Python measurement failed; the message carries the end of its output. */
export class PythonFailedError extends Error {
  override name = "PythonFailedError";
}

const SCRIPT = path.join(__dirname, "..", "..", "python", "original.py");

interface Candidate {
  executable: string;
  numpy: boolean;
}
let chosen: Candidate | null | undefined;

/**
 * The Python used for the side-by-side rows: `KH_PYTHON` if set, else the
 * first of `python3`, `python` and `/usr/bin/python3` that has numpy, else
 * the first that runs at all. Looked up once per kernel.
 * @returns its path and whether it has numpy, or null when none runs.
 */
export function findPython(): Candidate | null {
  if (chosen !== undefined) return chosen;
  const names = process.env.KH_PYTHON ? [process.env.KH_PYTHON] : ["python3", "python", "/usr/bin/python3"];
  const found: Candidate[] = [];
  for (const name of names) {
    const probe = spawnSync(name, ["-c", "import sys, multiprocessing\ntry:\n import numpy; n = 1\nexcept ImportError:\n n = 0\nprint(sys.executable, n)"], {
      encoding: "utf8",
      timeout: 20_000,
      stdio: ["ignore", "pipe", "ignore"],
    });
    const match = probe.status === 0 ? /^(.*) ([01])\s*$/.exec(probe.stdout) : null;
    if (match && !found.some((c) => c.executable === match[1])) found.push({ executable: match[1]!, numpy: match[2] === "1" });
  }
  chosen = found.find((c) => c.numpy) ?? found[0] ?? null;
  return chosen;
}

/** Options of {@link pythonOriginal}. */
export interface PythonRunOptions {
  /** Give up after this long (the Python is killed). Default 10 minutes. */
  timeoutMs?: number;
  /** Show a progress line while it runs. Default true. */
  showProgress?: boolean;
}

/**
 * Runs one of the original's functions in Python and returns its timings
 * (ms) or rates (per second), with the Python that ran them.
 *
 * @param name - the measurement (see {@link PythonMeasurements}).
 * @param input - its sizes.
 * @throws PythonUnavailableError when no Python runs; PythonFailedError when it fails or times out.
 * @example const py = await pythonOriginal("leibniz", { terms: 5_000_000, repeats: 3 }); median(py.loopMs)
 */
export async function pythonOriginal<K extends PythonMeasurement>(
  name: K,
  input: PythonMeasurements[K]["input"],
  options: PythonRunOptions = {},
): Promise<PythonMeasurements[K]["output"] & { python: PythonInfo }> {
  const python = findPython();
  if (!python) {
    throw new PythonUnavailableError(
      "No Python found (tried KH_PYTHON, python3, python, /usr/bin/python3). Set KH_PYTHON to a Python 3 " +
        "(for example the one Jupyter runs on: `jupyter troubleshoot` shows it) and run the cell again.",
    );
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kh-python-"));
  const [inputFile, resultFile, logFile] = ["input.json", "result.json", "output.log"].map((f) => path.join(dir, f)) as [string, string, string];
  fs.writeFileSync(inputFile, JSON.stringify(input));
  // Python and its workers write to a log of their own; the result comes through its file (see original.py)
  const log = fs.openSync(logFile, "w");
  const bar = options.showProgress === false ? null : progress(`Python (${path.basename(python.executable)}): ${name}`, 1);
  const ticker = bar ? setInterval(() => bar.note("running"), 1000) : undefined;
  try {
    const child = spawn(python.executable, [SCRIPT, name, inputFile, resultFile], { stdio: ["ignore", log, log] });
    const timeoutMs = options.timeoutMs ?? 600_000;
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
      child.on("error", () => resolve([null, null]));
      child.on("close", (c, s) => resolve([c, s]));
    });
    clearTimeout(timer);
    const tail = fs.readFileSync(logFile, "utf8").trim().split("\n").slice(-15).join("\n");
    if (code !== 0) {
      const how = signal === "SIGKILL" ? `was stopped after ${timeoutMs} ms` : signal ? `was killed by ${signal}` : `exited with status ${code}`;
      throw new PythonFailedError(`Python measurement "${name}" ${how}.${tail ? `\n${tail}` : ""}`);
    }
    let envelope: { result?: unknown; complete?: unknown };
    try {
      envelope = JSON.parse(fs.readFileSync(resultFile, "utf8")) as typeof envelope;
    } catch (error) {
      throw new PythonFailedError(`Python measurement "${name}" wrote no complete result (${(error as Error).message}).${tail ? `\n${tail}` : ""}`);
    }
    if (envelope.complete !== true) throw new PythonFailedError(`Python measurement "${name}" wrote an incomplete result.`);
    return envelope.result as PythonMeasurements[K]["output"] & { python: PythonInfo };
  } finally {
    clearInterval(ticker);
    bar?.done();
    fs.closeSync(log);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
