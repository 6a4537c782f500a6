/**
 * Error classes of kernel-helpers. Each one is exported so a notebook or a
 * test can tell failures apart with `instanceof`, the way Python code catches
 * `ValueError` or `queue.Empty`.
 */

/**
 * A knob or an argument has a value that cannot work (0 workers, a negative
 * chunk size, `SCALE=huge`...). The message names the option, shows the bad
 * value and says what is accepted.
 */
export class InvalidOptionError extends Error {
  override name = "InvalidOptionError";
  /** @param option - the option, argument or environment variable at fault. */
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A task was submitted to a pool that no longer accepts work: `close()` or
 * `terminate()` was called. Python raises `ValueError: Pool not running`.
 */
export class PoolClosedError extends Error {
  override name = "PoolClosedError";
}

/**
 * A pool was used in the wrong order, e.g. `join()` before `close()` (Python
 * raises `ValueError: Pool is still running`).
 */
export class PoolStateError extends Error {
  override name = "PoolStateError";
}

/**
 * A task threw inside a worker. `message` starts with the task's name and
 * carries the worker's message; `workerStack` is the stack trace from inside
 * the worker.
 *
 * `cause` is the worker's error rebuilt on this side: an instance of the
 * same class for JavaScript's own errors (`TypeError`, `RangeError`,
 * `SyntaxError`, `ReferenceError`, `EvalError`, `URIError`, `Error`) and for
 * kernel-helpers' `InvalidOptionError` and `UnsendableValueError` (with its
 * `option`), `QueueEmpty`, `QueueFull`, `QueueClosedError` and
 * `ExtraTaskDoneError`; for any other class, an `Error` whose `name` is that class's
 * name. Its `message`, `stack` and `code` (Node's `"ENOENT"`...) are the
 * worker's. So, where Python re-raises the worker's exception type, match on
 * the cause (`e.cause instanceof RangeError`, `e.cause.name === "ParseError"`,
 * `e.cause.code === "ENOENT"`):
 *
 * @example
 * try { await pool.apply((x: number) => x.toFixed(200), [1]); }
 * catch (e) { if (e instanceof TaskError && e.cause instanceof RangeError) console.log("bad digits:", e.cause.message); }
 */
export class TaskError extends Error {
  override name = "TaskError";
  /** The worker's error, rebuilt here (see the class's description). */
  declare readonly cause: Error;
  constructor(
    /** Name of the task (a named task, or the inline function's name). */
    readonly task: string,
    /** The error class name reported by the worker (e.g. `RangeError`); also `cause.name`. */
    readonly workerErrorName: string,
    /** The worker's message, unchanged; also `cause.message`. */
    readonly workerMessage: string,
    /** The stack trace as seen inside the worker; also `cause.stack`. */
    readonly workerStack: string | undefined,
    /** Extra advice appended to the message, if any. */
    hint?: string,
    /** The worker's error as rebuilt by the pool; by default an `Error` with the worker's name, message and stack. */
    cause?: Error,
  ) {
    super(
      `Task "${task}" failed in the worker: ${workerErrorName}: ${workerMessage}` +
        (hint ? `\n${hint}` : ""),
    );
    Object.defineProperty(this, "cause", { value: cause ?? namedError(workerErrorName, workerMessage, workerStack), writable: true, configurable: true });
    if (workerStack) {
      this.stack = `${this.name}: ${this.message}\n--- stack inside the worker ---\n${workerStack}`;
    }
  }
}

/** An `Error` that reads like one of class `name` (its stack, when known, is the original's). */
function namedError(name: string, message: string, stack: string | undefined): Error {
  const error = new Error(message);
  if (name !== "Error") Object.defineProperty(error, "name", { value: name, writable: true, configurable: true });
  error.stack = stack ?? `${name}: ${message}`;
  return error;
}

/**
 * The worker running a task died (killed by a signal, `process.exit`, out of
 * memory) before the task finished. Other tasks are not affected; the pool
 * starts a fresh worker for the next task.
 */
export class WorkerCrashedError extends Error {
  override name = "WorkerCrashedError";
  constructor(
    /** The name of the task that was running (a named task, or the function's name). */
    readonly task: string,
    /** What the pool reported about the exit (exit code and signal). */
    readonly detail: string,
  ) {
    super(`The worker running task "${task}" died before it finished: ${detail}`);
  }
}

/**
 * A task was cancelled before it finished: `terminate()` was called (the
 * analogue of Python's `Pool.terminate()` dropping outstanding work), or the
 * `signal` passed with it was aborted. `reason` is the signal's reason
 * (`signal.reason`: an `AbortError` for `controller.abort()`, a
 * `TimeoutError` for `AbortSignal.timeout(ms)`, or whatever was passed to
 * `abort(reason)`); it is undefined after `terminate()`.
 *
 * @example
 * const controller = new AbortController();
 * const pending = pool.map("leibnizPi", items, { signal: controller.signal });
 * controller.abort("the user pressed stop");
 * await pending; // rejects: TaskCancelledError, reason "the user pressed stop"
 */
export class TaskCancelledError extends Error {
  override name = "TaskCancelledError";
  /** Why: the abort signal's reason; undefined when the pool was terminated. */
  readonly reason: unknown;
  /**
   * @param task - the task's name.
   * @param reason - the abort signal's reason; leave it out for `terminate()`.
   * @param cancelledBySignal - true when a signal cancelled the task (its reason may itself be undefined).
   */
  constructor(
    readonly task: string,
    reason?: unknown,
    cancelledBySignal = reason !== undefined,
  ) {
    super(
      cancelledBySignal
        ? `Task "${task}" was cancelled by its abort signal: ${describeReason(reason)}.`
        : `Task "${task}" was cancelled because the pool was terminated before it finished.`,
    );
    this.reason = reason;
    if (cancelledBySignal) Object.defineProperty(this, "cause", { value: reason, writable: true, configurable: true });
  }
}

function describeReason(reason: unknown): string {
  if (reason instanceof Error || (typeof reason === "object" && reason !== null && "message" in reason && "name" in reason)) {
    const { name, message } = reason as { name: unknown; message: unknown };
    return `${String(name)}: ${String(message)}`;
  }
  return typeof reason === "string" ? reason : String(reason);
}

/**
 * A pool's `initializer` threw (or rejected) in a worker, so the pool cannot
 * run tasks: every task waiting or submitted later rejects with this error,
 * and the pool's workers are stopped. `cause` is the initializer's error,
 * rebuilt as in {@link TaskError}.
 *
 * Python's `multiprocessing.Pool` prints the traceback and starts a new
 * worker, whose initializer fails again, forever, while `map` never returns;
 * `concurrent.futures.ProcessPoolExecutor` marks the pool broken and fails
 * the pending work (`BrokenProcessPool`). kernel-helpers does the latter.
 */
export class InitializerError extends Error {
  override name = "InitializerError";
  declare readonly cause: Error;
  constructor(
    /** The initializer's name (a named task, or the function's name). */
    readonly initializer: string,
    /** The task that could not run because of it. */
    readonly task: string,
    cause: Error,
  ) {
    super(
      `Task "${task}" was not run: the pool's initializer "${initializer}" failed in a worker ` +
        `(${cause.name}: ${cause.message}), so the pool cannot run tasks. Fix the initializer and start a new Pool.`,
    );
    Object.defineProperty(this, "cause", { value: cause, writable: true, configurable: true });
  }
}

/** `AsyncResult.get(timeoutMs)` waited longer than `timeoutMs` (Python's `multiprocessing.TimeoutError`). */
export class TimeoutError extends Error {
  override name = "TimeoutError";
}

/**
 * A peer of an owner channel (a Manager's socket, a Process's message
 * channel) sent something that is not a valid message: garbage bytes, a
 * truncated or oversized frame, an unknown kind, or the wrong secret. The
 * owner closes that one connection (or stops that one worker) and keeps
 * serving the others.
 */
export class ProtocolError extends Error {
  override name = "ProtocolError";
}
