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

/**
 * A rate of the sweep measured in Python, in rounds.
 * @typedef {object} PythonRate
 * @property {number} perSecond - median over the timed rounds
 * @property {number[]} samplesPerSecond - one per timed round
 */

/**
 * What `scripts/bench_python.py --sweep` writes: every cell at one worker count.
 * @typedef {object} PythonSweepResult
 * @property {string} executable
 * @property {string} version
 * @property {string} implementation
 * @property {string} startMethod
 * @property {number} cpuCount
 * @property {number} workers - pool processes, Queue consumers and Manager clients
 * @property {number} rounds
 * @property {PythonRate} roundTrips - apply_async + get round trips per second
 * @property {PythonRate} chunkedMap - pool.map items per second
 * @property {PythonRate & { emptyRunMs: number, emptyRunSamplesMs: number[] }} queue - Queue job loop items per second
 * @property {PythonRate} manager - manager dict sets per second
 * @property {{ terms: number, tasks: number, serialMs: number, pooledMs: number, speedup: number, efficiency: number,
 *   serialSamplesMs: number[], pooledSamplesMs: number[], efficiencyPerRound: number[] }} heavy - heavy tasks, serial vs pooled
 * @property {{ tasks: number, mapItems: number, queueItems: number, managerOps: number }} sizes
 * @property {number} chunkSize - the default chunk size pool.map used
 */

/**
 * The Python part of one worker count of the sweep.
 * @typedef {object} PythonSweepMeasurement
 * @property {PythonSweepResult | null} result - null when no Python ran
 * @property {string[]} errors - why each Python tried failed, in order
 * @property {number | null} otherCores - cores other processes kept busy during the last try
 * @property {string | null} exe - the executable that ran (to try first at the next worker count)
 */

/**
 * @template [R=PythonResult]
 * @typedef {{ ok: true, result: R } | { ok: false, error: string, fatal: boolean }} PythonOutcome
 */

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
 * Checks that every named field (a dotted path) is a positive number, and every list field a list.
 * @param {unknown} value - what readResultFile returned
 * @param {string} file - the result file, for the message
 * @param {readonly string[]} numbers - e.g. `serialMs`, `heavy.efficiency`
 * @param {readonly string[]} lists
 */
function checkFields(value, file, numbers, lists) {
  /** @param {string} key */
  const at = (key) => key.split('.').reduce((/** @type {unknown} */ o, k) => (o && typeof o === 'object' ? /** @type {Record<string, unknown>} */ (o)[k] : undefined), value);
  for (const key of numbers) {
    const v = at(key);
    if (!(typeof v === 'number' && Number.isFinite(v) && v > 0)) {
      throw new ResultFileError(file, `expected ${key} to be a positive number, got ${JSON.stringify(v)}`);
    }
  }
  for (const key of lists) {
    if (!Array.isArray(at(key))) throw new ResultFileError(file, `expected ${key} to be a list of numbers`);
  }
}

/**
 * Checks the fields the report uses; the rest is passed on as written.
 * @param {unknown} value - what readResultFile returned
 * @param {string} file - the result file, for the message
 * @returns {PythonResult}
 */
function checkPythonResult(value, file) {
  checkFields(value, file, ['applyAsyncPerSecond', 'serialMs'], ['applyAsyncSamplesPerSecond', 'serialSamplesMs']);
  return /** @type {PythonResult} */ (value);
}

const SWEEP_RATES = ['roundTrips', 'chunkedMap', 'queue', 'manager'];

/**
 * Checks the fields the sweep's report uses; the rest is passed on as written.
 * @param {unknown} value - what readResultFile returned
 * @param {string} file - the result file, for the message
 * @returns {PythonSweepResult}
 */
function checkSweepResult(value, file) {
  checkFields(
    value,
    file,
    [...SWEEP_RATES.map((k) => `${k}.perSecond`), 'heavy.efficiency', 'heavy.serialMs', 'heavy.pooledMs', 'workers'],
    [...SWEEP_RATES.map((k) => `${k}.samplesPerSecond`), 'heavy.pooledSamplesMs', 'queue.emptyRunSamplesMs'],
  );
  return /** @type {PythonSweepResult} */ (value);
}

/**
 * Runs scripts/bench_python.py once with one Python executable.
 * @template [R=PythonResult]
 * @param {string} exe - the Python
 * @param {readonly string[]} args - the script's sizes (`--workers 2 --tasks ...`), without `--result-file`
 * @param {number} timeoutMs - after this the script and its workers are killed
 * @param {import('./format').Log} [log] - gets the script's progress lines
 * @param {(value: unknown, file: string) => R} [check] - checks and types the result (default: the one-size run's)
 * @returns {Promise<PythonOutcome<R>>} never rejects; `fatal` means trying another Python is pointless
 */
function runPythonOnce(exe, args, timeoutMs, log = silentLog, check = /** @type {(value: unknown, file: string) => R} */ (checkPythonResult)) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-python-'));
  const resultFile = path.join(dir, 'result.json');
  return new Promise((/** @type {(outcome: PythonOutcome<R>) => void} */ resolve) => {
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
    /** @param {PythonOutcome<R>} outcome */
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
        finish({ ok: true, result: check(readResultFile(resultFile), resultFile) });
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

/**
 * Python's cells of the sweep at one worker count (`bench_python.py --sweep`), with the
 * same sizes as the Node side: tries each executable in turn until one runs.
 * @param {readonly string[]} pythons - executables to try
 * @param {number} workers
 * @param {import('./options').SweepSettings} settings
 * @param {import('./format').Log} [log]
 * @returns {Promise<PythonSweepMeasurement>}
 */
async function measurePythonSweep(pythons, workers, settings, log = silentLog) {
  const args = [
    '--sweep',
    ...Object.entries({
      workers,
      tasks: settings.roundTrips,
      'map-items': settings.mapItems,
      'queue-items': settings.queueItems,
      'manager-ops': settings.managerOps,
      'heavy-task-ms': settings.heavyTaskMs,
      'heavy-rounds': settings.heavyRounds,
      rounds: settings.rounds,
    }).flatMap(([flag, value]) => [`--${flag}`, String(value)]),
  ];
  /** @type {string[]} */
  const errors = [];
  /** @type {number | null} */
  let otherCores = null;
  for (const exe of pythons) {
    log(`python: ${workers} worker(s): running scripts/bench_python.py --sweep with ${exe} (timeout ${settings.pythonTimeoutS} s)`);
    const observed = await observe(() => runPythonOnce(exe, args, settings.pythonTimeoutS * 1000, log, checkSweepResult));
    otherCores = observed.otherCores;
    const outcome = observed.value;
    if (outcome.ok) return { result: outcome.result, errors, otherCores, exe };
    errors.push(outcome.error);
    log(`python: ${outcome.error}`);
    if (outcome.fatal) break;
  }
  log(`python: no Python ran at ${workers} worker(s); its cells are null`);
  return { result: null, errors, otherCores, exe: null };
}

module.exports = { PYTHON_SCRIPT, runPythonOnce, measurePython, measurePythonSweep, stopPythons };
