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
 * the worker, and `cause` is the error as the worker reported it.
 */
export class TaskError extends Error {
  override name = "TaskError";
  constructor(
    /** Name of the task (a named task, or the inline function's name). */
    readonly task: string,
    /** The error class name reported by the worker (e.g. `RangeError`). */
    readonly workerErrorName: string,
    /** The worker's message, unchanged. */
    readonly workerMessage: string,
    /** The stack trace as seen inside the worker. */
    readonly workerStack: string | undefined,
    /** Extra advice appended to the message, if any. */
    hint?: string,
  ) {
    super(
      `Task "${task}" failed in the worker: ${workerErrorName}: ${workerMessage}` +
        (hint ? `\n${hint}` : ""),
    );
    this.cause = { name: workerErrorName, message: workerMessage, stack: workerStack };
    if (workerStack) {
      this.stack = `${this.name}: ${this.message}\n--- stack inside the worker ---\n${workerStack}`;
    }
  }
}

/**
 * The worker running a task died (killed by a signal, `process.exit`, out of
 * memory) before the task finished. Other tasks are not affected; the pool
 * starts a fresh worker for the next task.
 */
export class WorkerCrashedError extends Error {
  override name = "WorkerCrashedError";
  constructor(
    readonly task: string,
    /** What the pool reported about the exit (exit code and signal). */
    readonly detail: string,
  ) {
    super(`The worker running task "${task}" died before it finished: ${detail}`);
  }
}

/**
 * A task was cancelled because `terminate()` was called before it finished,
 * the analogue of Python's `Pool.terminate()` dropping outstanding work.
 */
export class TaskCancelledError extends Error {
  override name = "TaskCancelledError";
  constructor(readonly task: string) {
    super(`Task "${task}" was cancelled because the pool was terminated before it finished.`);
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
