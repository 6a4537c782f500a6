/**
 * Error classes of the cluster pool and its worker hosts. Each names one way
 * a job over Redis can go wrong, so a notebook can catch it with
 * `instanceof` and a test can tell them apart.
 */

/**
 * Redis cannot be used: nothing answers at the address, the password is
 * wrong or missing, or no `redis-server` could be started here. Raised
 * within seconds (never after minutes of silent retries). The message names
 * the address (password hidden) and says what to do.
 */
export class RedisUnavailableError extends Error {
  override name = "RedisUnavailableError";
  constructor(
    message: string,
    /** The underlying reason (a socket error, `WRONGPASS`...), when there is one. */
    readonly reason?: string,
  ) {
    super(message);
  }
}

/**
 * A job ran on a worker host and threw. `workerErrorName` and
 * `workerMessage` are what the host reported (e.g. `RangeError`,
 * `UnknownTaskError`); the job is not retried.
 */
export class JobFailedError extends Error {
  override name = "JobFailedError";
  constructor(
    /** The task the job named. */
    readonly task: string,
    /** The job's id in its queue. */
    readonly jobId: string,
    /** The error class name reported by the host, or `"Error"`. */
    readonly workerErrorName: string,
    /** The host's message, unchanged. */
    readonly workerMessage: string,
  ) {
    super(`Job ${jobId} (task "${task}") failed on its worker host: ${workerErrorName}: ${workerMessage}`);
  }
}

/**
 * A job lost its worker more often than the queue allows: its host died, was
 * cut off, or blocked its event loop past the job's lock, and the job was
 * taken back ("stalled") once too often. The work may have run more than once.
 */
export class JobStalledError extends Error {
  override name = "JobStalledError";
  constructor(
    readonly task: string,
    readonly jobId: string,
  ) {
    super(
      `Job ${jobId} (task "${task}") stalled more often than allowed: the hosts that took it stopped renewing its lock ` +
        "(a host died or lost its connection, or a task blocked a host's event loop longer than the lock lasts). " +
        "Run CPU-heavy tasks on sandboxed hosts (the default), or raise the hosts' --max-stalled.",
    );
  }
}

/**
 * A job disappeared from Redis before it finished: typically Redis restarted
 * without persistence and forgot the queue. It was not re-run.
 */
export class JobLostError extends Error {
  override name = "JobLostError";
  constructor(
    readonly task: string,
    readonly jobId: string,
  ) {
    super(
      `Job ${jobId} (task "${task}") is no longer in Redis: Redis restarted without persistence (or the queue was removed) ` +
        "before the job finished. Start Redis with persistence (appendonly yes) to keep queued work across restarts.",
    );
  }
}

/**
 * A job named a task that worker hosts do not have. Hosts run only the named
 * tasks compiled into kernel-helpers (see `CLUSTER_TASKS`).
 */
export class UnknownTaskError extends Error {
  override name = "UnknownTaskError";
}

/**
 * A job carried function source text (or something shaped like it) instead
 * of a task name. Worker hosts refuse it: a job queue that ran source from
 * Redis would let anyone who can write to Redis run code on every host.
 */
export class TaskSourceRefusedError extends Error {
  override name = "TaskSourceRefusedError";
}

/**
 * Jobs were waiting while no worker host served their queue for longer than
 * the pool's `noHostsMs`: nothing could run them. Start a host (the message
 * gives the command), or give the pool a longer `noHostsMs`.
 */
export class NoWorkerHostsError extends Error {
  override name = "NoWorkerHostsError";
}
