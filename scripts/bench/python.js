// @ts-check
/**
 * The Python rows: runs scripts/bench_python.py (multiprocessing.Pool.apply_async
 * round trips and the serial Leibniz sum) and reads its result FILE. The result
 * never travels through stdout: the script's pool workers inherit its stdout, and
 * a child holding that pipe can make the final flush lose data silently.
 */
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { readResultFile, ResultFileError } = require('../lib/result-file');
const { observe } = require('kernel-helpers');
const { silentLog } = require('./format');

const PYTHON_SCRIPT = path.join(__dirname, '..', 'bench_python.py');

/**
 * What scripts/bench_python.py writes to its result file.
 * @typedef {object} PythonResult
 * @property {string} executable - sys.executable
 * @property {string} version - e.g. "3.11.7"
 * @property {string} implementation - e.g. "CPython"
 * @property {string} startMethod - multiprocessing's start method: fork, spawn or forkserver
 * @property {number} cpuCount - os.cpu_count()
 * @property {number} workers - pool processes
 * @property {number} tasks - round trips per round
 * @property {number} rounds - timed rounds
 * @property {number} applyAsyncPerSecond - median round trips per second
 * @property {number[]} applyAsyncSamplesPerSecond - one per timed round
 * @property {number} terms - Leibniz N of the serial sum
 * @property {number} serialMs - median time of one serial sum
 * @property {number[]} serialSamplesMs - one per timed sum
 * @property {number} leibnizValue - the last sum, about pi
 */

/**
 * The Python part of a run.
 * @typedef {object} PythonMeasurement
 * @property {PythonResult | null} result - null when no Python ran
 * @property {string[]} errors - why each Python tried failed, in order
 * @property {number | null} otherCores - cores other processes kept busy during the last try
 */

/** @typedef {{ ok: true, result: PythonResult } | { ok: false, error: string, fatal: boolean }} PythonOutcome */

/**
 * The Python children running now, with their result folders, so that a signal can stop
 * them (each runs in its own process group) and remove the folders.
 * @type {Map<import('node:child_process').ChildProcess, string>}
 */
const running = new Map();

/** @param {import('node:child_process').ChildProcess} child */
function killGroup(child) {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Stops every running bench_python.py and its pool workers (on Ctrl-C: they are not in our process group). */
function stopPythons() {
  for (const [child, dir] of running) {
    killGroup(child);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Checks the fields the report uses; the rest is passed on as written.
 * @param {unknown} value - what readResultFile returned
 * @param {string} file - the result file, for the message
 * @returns {PythonResult}
 */
function checkPythonResult(value, file) {
  const result = /** @type {Record<string, unknown>} */ (value ?? {});
  for (const key of ['applyAsyncPerSecond', 'serialMs']) {
    const v = result[key];
    if (!(typeof v === 'number' && Number.isFinite(v) && v > 0)) {
      throw new ResultFileError(file, `expected ${key} to be a positive number, got ${JSON.stringify(v)}`);
    }
  }
  for (const key of ['applyAsyncSamplesPerSecond', 'serialSamplesMs']) {
    if (!Array.isArray(result[key])) throw new ResultFileError(file, `expected ${key} to be a list of numbers`);
  }
  return /** @type {PythonResult} */ (/** @type {unknown} */ (result));
}

/**
 * Runs scripts/bench_python.py once with one Python executable.
 * @param {string} exe - the Python
 * @param {readonly string[]} args - the script's sizes (`--workers 2 --tasks ...`), without `--result-file`
 * @param {number} timeoutMs - after this the script and its workers are killed
 * @param {import('./format').Log} [log] - gets the script's progress lines
 * @returns {Promise<PythonOutcome>} never rejects; `fatal` means trying another Python is pointless
 */
function runPythonOnce(exe, args, timeoutMs, log = silentLog) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-python-'));
  const resultFile = path.join(dir, 'result.json');
  return new Promise((/** @type {(outcome: PythonOutcome) => void} */ resolve) => {
    // detached: its own process group, so a timeout stops the pool's workers too
    const child = spawn(exe, [PYTHON_SCRIPT, ...args, '--result-file', resultFile], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    running.set(child, dir);
    let output = '';
    let timedOut = false;
    // progress lines ("  [python] ...") are logged; everything is kept for an error message
    for (const stream of [child.stdout, child.stderr]) {
      let pendingLine = '';
      stream.setEncoding('utf8').on('data', (/** @type {string} */ d) => {
        output += d;
        const lines = (pendingLine + d).split('\n');
        pendingLine = lines.pop() ?? '';
        for (const l of lines) if (l.startsWith('  [python]')) log(l.trim());
      });
    }
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, timeoutMs);
    /** @param {PythonOutcome} outcome */
    const finish = (outcome) => {
      if (!running.delete(child)) return; // 'error' and 'close' can both come
      clearTimeout(timer);
      fs.rmSync(dir, { recursive: true, force: true });
      resolve(outcome);
    };
    child.on('error', (error) => finish({ ok: false, error: `${exe}: ${error.message}`, fatal: false }));
    child.on('close', (code, signal) => {
      if (timedOut) return finish({ ok: false, error: `${exe}: no answer within ${timeoutMs / 1000} s (stopped)`, fatal: true });
      if (code !== 0) {
        const tail = output.trim().split('\n').slice(-3).join(' | ');
        return finish({ ok: false, error: `${exe} exited with ${signal ?? `code ${code}`}: ${tail}`, fatal: false });
      }
      try {
        finish({ ok: true, result: checkPythonResult(readResultFile(resultFile), resultFile) });
      } catch (error) {
        finish({ ok: false, error: `${exe}: ${error instanceof Error ? error.message : String(error)}`, fatal: false });
      }
    });
  });
}

/**
 * Python's apply_async round trips and serial Leibniz sum with the same sizes as the
 * Node side: tries each executable in turn until one runs.
 * @param {readonly string[]} pythons - executables to try
 * @param {{ workers: number, tasks: number, rounds: number, terms: number, repeats: number, timeoutS: number,
 *   log?: import('./format').Log }} sizes
 * @returns {Promise<PythonMeasurement>}
 */
async function measurePython(pythons, { workers, tasks, rounds, terms, repeats, timeoutS, log = silentLog }) {
  const args = ['--workers', workers, '--tasks', tasks, '--rounds', rounds, '--terms', terms, '--repeats', repeats].map(String);
  /** @type {string[]} */
  const errors = [];
  /** @type {number | null} */
  let otherCores = null;
  for (const exe of pythons) {
    log(`python: running scripts/bench_python.py with ${exe} (timeout ${timeoutS} s)`);
    const observed = await observe(() => runPythonOnce(exe, args, timeoutS * 1000, log));
    otherCores = observed.otherCores;
    const outcome = observed.value;
    if (outcome.ok) {
      const r = outcome.result;
      log(`python: ${r.implementation} ${r.version} (${r.executable}), start method ${r.startMethod}`);
      return { result: r, errors, otherCores };
    }
    errors.push(outcome.error);
    log(`python: ${outcome.error}`);
    if (outcome.fatal) break;
  }
  log('python: no Python ran; its rows are null');
  return { result: null, errors, otherCores };
}

module.exports = { PYTHON_SCRIPT, runPythonOnce, measurePython, stopPythons };
