// @ts-check
/**
 * The child processes the runner starts (npm, tsc, Python, the notebook
 * executor), and the signals that stop them. Nothing happens on import: the
 * entry script creates one ChildProcesses and calls handleSignals().
 */
'use strict';

const { spawn } = require('node:child_process');
const { performance } = require('node:perf_hooks');

/** The exit status for a run stopped by a signal (128 + its number, as shells do). */
const SIGNAL_EXIT = /** @type {Readonly<Record<string, number>>} */ ({ SIGINT: 130, SIGTERM: 143, SIGHUP: 129 });

/** @param {string} signal @returns {number} */
const exitStatusFor = (signal) => SIGNAL_EXIT[signal] ?? 1;

/** A signal asked the runner to stop; thrown between steps, when no child is left running. */
class StoppedError extends Error {
  /** @param {NodeJS.Signals} signal */
  constructor(signal) {
    super(`stopped by ${signal}`);
    this.name = 'StoppedError';
    this.signal = signal;
  }
}

/**
 * @typedef {{ code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string,
 *             error?: Error, timedOut: boolean, ms: number }} RunResult
 * @typedef {{ cwd?: string, env?: NodeJS.ProcessEnv, output?: 'inherit' | 'capture' | 'forward',
 *             timeoutMs?: number }} RunOptions
 */

/** @param {RunResult} r */
const succeeded = (r) => !r.error && !r.timedOut && r.code === 0;

/** @param {RunResult} r @returns {string} e.g. "exit status 1", "killed by SIGTERM" */
function describeFailure(r) {
  if (r.error) return r.error.message;
  if (r.timedOut) return 'timed out';
  if (r.signal) return `killed by ${r.signal}`;
  return `exit status ${r.code}`;
}

/** The runner's children: started, forwarded signals, and killed when the runner exits. */
class ChildProcesses {
  /** @type {Set<import('node:child_process').ChildProcess>} */
  #running = new Set();
  /** @type {NodeJS.Signals | null} */
  #stopSignal = null;
  #signalCount = 0;
  #firstSignalAt = 0;
  #cwd;

  /** @param {{ cwd: string }} options - cwd: where children start unless told otherwise */
  constructor({ cwd }) {
    this.#cwd = cwd;
  }

  /** The first signal received, or null while nobody asked us to stop. */
  get stopSignal() {
    return this.#stopSignal;
  }

  /**
   * Stop: remember the signal and pass it on to the running children.
   * @param {NodeJS.Signals} signal
   */
  stop(signal) {
    this.#signalCount += 1;
    this.#stopSignal ??= signal;
    // Force (SIGKILL) only on a repeated signal at least 5 s after the first: a SIGKILLed executor
    // cannot kill its kernel (which runs in its own session), and its clean-up takes well under
    // a second, so impatient repeated Ctrl-Cs must not cut it short.
    if (this.#signalCount === 1) this.#firstSignalAt = Date.now();
    const force = this.#signalCount >= 2 && Date.now() - this.#firstSignalAt > 5000;
    const busy = this.#running.size > 0;
    if (this.#signalCount === 1) {
      console.log(
        `\n! ${signal} received: stopping${busy ? ' (waiting for the running step to shut its kernel down; send it again after 5 s to force)' : ''}…`,
      );
    } else if (force && busy) {
      console.log(`! ${signal} received ${this.#signalCount} times: killing the running step (SIGKILL)`);
    }
    for (const child of this.#running) {
      // A Ctrl-C in the terminal has reached the child already (same process group); sending
      // it again is harmless: execute_notebook.py handles the first signal and ignores repeats.
      kill(child, force ? 'SIGKILL' : signal);
    }
  }

  /**
   * Installs the process-wide handlers: SIGINT/SIGTERM/SIGHUP stop the run, a vanished npm
   * parent counts as SIGTERM, a closed stdout is survived, and children die with us.
   */
  handleSignals() {
    for (const signal of /** @type {NodeJS.Signals[]} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
      process.on(signal, () => this.stop(signal));
    }
    // `npm run` starts us through `sh -c`; when npm is killed (e.g. SIGTERM from a CI timeout) it
    // forwards the signal to that shell only, which dies without passing it on, and we would run on
    // as an orphan with a kernel busy behind us. So, under npm, losing our parent counts as SIGTERM.
    if (process.env.npm_lifecycle_event) {
      const parentPid = process.ppid;
      setInterval(() => {
        if (process.ppid !== parentPid && !this.#stopSignal) {
          console.log('! the npm process that started this run is gone: stopping');
          this.stop('SIGTERM');
        }
      }, 1000).unref();
    }
    // A closed stdout/stderr (the terminal or npm is gone) must not crash us mid-clean-up.
    process.stdout.on('error', () => {});
    process.stderr.on('error', () => {});
    process.on('exit', () => {
      for (const child of this.#running) kill(child, 'SIGTERM');
    });
  }

  /** @throws {StoppedError} when a signal asked us to stop (call it between steps) */
  throwIfStopped() {
    if (this.#stopSignal) throw new StoppedError(this.#stopSignal);
  }

  /**
   * Spawns a command (stdin closed: CI has none) and waits for it. Its output is
   *   inherit  shown as it comes, on our own stdout/stderr (npm, apt-get, pip: for the user's eyes);
   *   capture  collected into the result instead;
   *   forward  shown as it comes, but through a pipe of its own that we copy to our stdout/stderr,
   *            so the child never shares our stdio pipes (see scripts/lib/result_file.py for why).
   * Never rejects: spawn errors come back in `error`.
   * @param {string} cmd
   * @param {string[]} args
   * @param {RunOptions} [opts]
   * @returns {Promise<RunResult>}
   */
  run(cmd, args, opts = {}) {
    const started = performance.now();
    const output = opts.output ?? 'inherit';
    return new Promise((resolve) => {
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      /** @type {import('node:child_process').ChildProcess} */
      let child;
      try {
        const stdio = output === 'inherit' ? 'inherit' : 'pipe';
        child = spawn(cmd, args, { cwd: opts.cwd ?? this.#cwd, env: opts.env ?? process.env, stdio: ['ignore', stdio, stdio] });
      } catch (error) {
        resolve({ code: null, signal: null, stdout, stderr, error: /** @type {Error} */ (error), timedOut, ms: 0 });
        return;
      }
      this.#running.add(child);
      if (output === 'capture') {
        child.stdout?.setEncoding('utf8').on('data', (d) => (stdout += d));
        child.stderr?.setEncoding('utf8').on('data', (d) => (stderr += d));
      } else if (output === 'forward') {
        child.stdout?.on('data', (d) => process.stdout.write(d));
        child.stderr?.on('data', (d) => process.stderr.write(d));
      }
      const timer = opts.timeoutMs
        ? setTimeout(() => {
            timedOut = true;
            kill(child, 'SIGKILL');
          }, opts.timeoutMs)
        : undefined;
      /** @type {Error | undefined} */
      let spawnError;
      child.on('error', (error) => {
        spawnError = error;
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        this.#running.delete(child);
        resolve({ code, signal, stdout, stderr, error: spawnError, timedOut, ms: performance.now() - started });
      });
    });
  }
}

/** @param {import('node:child_process').ChildProcess} child @param {NodeJS.Signals} signal */
function kill(child, signal) {
  try {
    child.kill(signal);
  } catch {
    /* already gone */
  }
}

module.exports = { ChildProcesses, StoppedError, exitStatusFor, succeeded, describeFailure };
