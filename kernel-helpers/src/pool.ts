/**
 * `Pool`: Python's `multiprocessing.Pool` vocabulary over `workerpool`, with
 * worker threads or child processes as the backend.
 */
import os from "node:os";
import path from "node:path";
import workerpool from "workerpool";
import {
  PoolClosedError,
  PoolStateError,
  TaskCancelledError,
  TaskError,
  TimeoutError,
  WorkerCrashedError,
} from "./errors";
import { toTaskSpec, type TaskSpec } from "./task-spec";
import type { TaskName, Tasks } from "./tasks";
import { checkChoice, checkInteger } from "./validate";
import { registerResource, unregisterResource } from "./cleanup";
import { inspectAndEncode, type EncodeOptions } from "./process-protocol";
import { fromJsonWire, toJsonWire, type WireEnvelope } from "./wire";
import { buffersToMove, chunkBuffers, detachBuffers, moveBuffers, type TransferOptions } from "./transfer";

/** Where pool workers run: `"thread"` (worker_threads, one process) or `"process"` (child_process.fork). */
export type Backend = "thread" | "process";
/** The accepted backends. */
export const BACKENDS: readonly Backend[] = ["thread", "process"];

/** Options of {@link Pool}. */
export interface PoolOptions {
  /**
   * Number of workers. Default: `os.availableParallelism()` (the cores this
   * process may use). More workers than cores is allowed (oversubscription).
   * @example { workers: 4 }
   */
  workers?: number;
  /**
   * `"thread"` (default): worker threads, cheap to start, share the process.
   * `"process"`: child processes, like Python's, each with its own memory.
   */
  backend?: Backend;
}

/** Options of {@link Pool.map} and {@link Pool.starmap}. */
export interface MapOptions extends TransferOptions {
  /**
   * Items sent to a worker per message. Default: like Python,
   * `ceil(items / (4 · workers))`, so tiny items are not one message each.
   * Use 1 for long, uneven tasks so idle workers pick up the next one.
   */
  chunkSize?: number;
  /** Called after each chunk with the number of items done and the total. */
  onProgress?: (done: number, total: number) => void;
}

/** Arguments of a named task. */
export type TaskArgs<K extends TaskName> = Parameters<Tasks[K]>;
/** Result of a named task (after its promise, if any, settles). */
export type TaskResult<K extends TaskName> = Awaited<ReturnType<Tasks[K]>>;

type State = "running" | "closed" | "joined" | "terminated";

const INLINE_HINT =
  "Inline task functions are sent to the worker as source text: they cannot see variables, imports or " +
  "functions from outside their own body (tslab turns a cell's variables into `exports.name`). " +
  "Pass what it needs as arguments, or use a named task from kernel-helpers.";

/**
 * The pending result of {@link Pool.applyAsync}, like Python's `AsyncResult`.
 * The task starts as soon as a worker is free; `get()` waits for it.
 */
export class AsyncResult<T> {
  #settled = false;
  #ok = false;
  readonly #promise: Promise<T>;

  /** @internal */
  constructor(promise: Promise<T>) {
    this.#promise = promise;
    // Mark the outcome, and keep an unread failure from becoming an
    // unhandled rejection: the error is reported when get() is called.
    promise.then(
      () => ((this.#settled = true), (this.#ok = true)),
      () => (this.#settled = true),
    );
  }

  /**
   * Waits for the task and returns its result, or rejects with its error
   * ({@link TaskError}, {@link WorkerCrashedError}, {@link TaskCancelledError}).
   *
   * @param timeoutMs - reject with {@link TimeoutError} after this long (the task keeps running).
   */
  async get(timeoutMs?: number): Promise<T> {
    if (timeoutMs === undefined) return this.#promise;
    checkInteger("`timeoutMs`", timeoutMs, { min: 0, max: 2 ** 31 - 1 });
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new TimeoutError(`The task did not finish within ${timeoutMs} ms (it is still running).`)),
        timeoutMs,
      );
      this.#promise.then(resolve, reject).finally(() => clearTimeout(timer));
    });
  }

  /** Waits until the task has finished, successfully or not; never rejects. */
  async wait(): Promise<void> {
    await this.#promise.catch(() => undefined);
  }

  /** True once the task has finished (successfully or not). */
  ready(): boolean {
    return this.#settled;
  }

  /**
   * True if the task finished without error.
   * @throws PoolStateError if the task has not finished yet (as Python raises ValueError).
   */
  successful(): boolean {
    if (!this.#settled) throw new PoolStateError("The task has not finished yet: check ready() or await wait() first.");
    return this.#ok;
  }
}

/**
 * A pool of worker threads or processes that run tasks in parallel, with
 * the API of Python's `multiprocessing.Pool`.
 *
 * @example
 * const pool = new Pool({ workers: 2, backend: "thread" });
 * const handles = [1e6, 2e6].map((n) => pool.applyAsync("leibnizPi", [n]));
 * const values = await Promise.all(handles.map((h) => h.get()));
 * pool.close();
 * await pool.join();
 */
export class Pool {
  /** Number of workers. */
  readonly workers: number;
  /** Thread or process workers. */
  readonly backend: Backend;
  #state: State = "running";
  readonly #pool: workerpool.Pool;
  readonly #pending = new Set<Promise<unknown>>();
  /** How arguments are checked and encoded for this pool's workers. */
  readonly #encoding: EncodeOptions;

  /**
   * Starts a pool. Workers start right away, as in Python.
   * @param options - number of workers and backend.
   * @throws InvalidOptionError for a bad `workers` or `backend`.
   */
  constructor(options: PoolOptions = {}) {
    this.workers = checkInteger("`workers`", options.workers ?? os.availableParallelism(), { min: 1, max: 1024 });
    this.backend = checkChoice("`backend`", options.backend ?? "thread", BACKENDS);
    this.#encoding = { allowQueues: false, sharedMemory: this.backend === "thread", to: "a worker" };
    this.#pool = workerpool.pool(path.join(__dirname, "workers", "pool-worker.js"), {
      minWorkers: this.workers,
      maxWorkers: this.workers,
      workerType: this.backend,
      // Pipe worker output so it can be forwarded to this process's stdout,
      // which is where tslab captures cell output (a child process writing to
      // the inherited file descriptor would bypass the notebook).
      emitStdStreams: true,
    });
    registerResource(this);
  }

  /** `"running"`, `"closed"` (no new tasks), `"joined"` or `"terminated"`. */
  get state(): State {
    return this.#state;
  }

  /**
   * Submits one task and returns at once with a handle; `await handle.get()`
   * for the result. Tasks run in submission order as workers become free.
   *
   * @param task - a named task (e.g. `"leibnizPi"`) or a self-contained function.
   * @param args - the task's arguments as an array (sent by structured clone).
   * @param options - `{ transfer: true }` moves ArrayBuffers instead of copying them; yours are detached ({@link TransferOptions}).
   * @throws PoolClosedError if `close()` or `terminate()` was called.
   * @throws UnsendableValueError if an argument cannot be sent (a function, a
   *   symbol, a class instance...), naming its path, e.g. `args[0].callback`;
   *   nothing is sent then.
   * @example const h = pool.applyAsync("leibnizPi", [5_000_000]); await h.get();
   */
  applyAsync<K extends TaskName>(task: K, args: TaskArgs<K>, options?: TransferOptions): AsyncResult<TaskResult<K>>;
  applyAsync<A extends unknown[], R>(task: (...args: A) => R, args: A, options?: TransferOptions): AsyncResult<Awaited<R>>;
  applyAsync(task: TaskName | ((...args: never[]) => unknown), args: unknown[], options: TransferOptions = {}): AsyncResult<unknown> {
    this.#assertRunning();
    if (!Array.isArray(args)) throw new TypeError("Expected `args` to be an array of the task's arguments.");
    const spec = toTaskSpec(task);
    const move = options.transfer ? { buffers: buffersToMove(args, "args"), where: "args" } : undefined;
    return new AsyncResult(this.#exec(spec, "runTask", [spec, this.#encode(args, "args")], move));
  }

  /**
   * Applies a one-argument task to every item; resolves with the results in
   * input order. Items go to workers in chunks (see {@link MapOptions.chunkSize}).
   *
   * @param task - a named task or a self-contained one-argument function.
   * @param items - the arguments, one per call.
   * @example await pool.map("leibnizPi", [1e6, 2e6, 3e6])
   */
  map<K extends TaskName>(task: K, items: readonly TaskArgs<K>[0][], options?: MapOptions): Promise<TaskResult<K>[]>;
  map<T, R>(task: (item: T) => R, items: readonly T[], options?: MapOptions): Promise<Awaited<R>[]>;
  map(task: TaskName | ((item: never) => unknown), items: readonly unknown[], options: MapOptions = {}): Promise<unknown[]> {
    return this.#mapChunks(task, items, (item, i) => this.#encode(item, `items[${i}]`, true), options, "items");
  }

  /**
   * Like {@link Pool.map}, but each item is an argument list, spread into the
   * task: `starmap("leibnizPiById", [[0, 1e6], [1, 2e6]])`.
   */
  starmap<K extends TaskName>(task: K, argsList: readonly TaskArgs<K>[], options?: MapOptions): Promise<TaskResult<K>[]>;
  starmap<A extends unknown[], R>(task: (...args: A) => R, argsList: readonly A[], options?: MapOptions): Promise<Awaited<R>[]>;
  starmap(task: TaskName | ((...args: never[]) => unknown), argsList: readonly unknown[][], options: MapOptions = {}): Promise<unknown[]> {
    return this.#mapChunks(task, argsList, (args, i) => {
      if (!Array.isArray(args)) throw new TypeError(`Expected every item of \`argsList\` to be an array of arguments; argsList[${i}] is not.`);
      return this.#encode(args, `argsList[${i}]`);
    }, options, "argsList");
  }

  /** Stops accepting tasks; those already submitted still run. Call {@link Pool.join} next. */
  close(): void {
    if (this.#state === "running") this.#state = "closed";
  }

  /**
   * Waits until every submitted task has finished, then stops the workers.
   * @throws PoolStateError (as a rejection) if the pool is still running: call `close()` first.
   */
  async join(): Promise<void> {
    if (this.#state === "running") {
      throw new PoolStateError("Pool is still running: call close() before join() (as in Python).");
    }
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
    if (this.#state === "closed") {
      await this.#pool.terminate();
      this.#state = "joined";
      unregisterResource(this);
    }
  }

  /**
   * Stops the workers now. Running and queued tasks are cancelled: their
   * handles reject with {@link TaskCancelledError}.
   */
  async terminate(): Promise<void> {
    if (this.#state === "terminated" || this.#state === "joined") return;
    this.#state = "terminated";
    await this.#pool.terminate(true);
    unregisterResource(this);
  }

  /** Live numbers from workerpool: workers started, busy and idle, tasks waiting. */
  stats(): { totalWorkers: number; busyWorkers: number; idleWorkers: number; pendingTasks: number } {
    const s = this.#pool.stats();
    return { totalWorkers: s.totalWorkers, busyWorkers: s.busyWorkers, idleWorkers: s.idleWorkers, pendingTasks: s.pendingTasks };
  }

  #assertRunning(): void {
    if (this.#state !== "running") {
      throw new PoolClosedError(`Pool not running (it is ${this.#state}): create a new Pool to submit more tasks.`);
    }
  }

  async #mapChunks(
    task: unknown,
    items: readonly unknown[],
    toArgs: (item: unknown, index: number) => unknown[] | WireEnvelope,
    options: MapOptions,
    name: string,
  ): Promise<unknown[]> {
    this.#assertRunning();
    if (!Array.isArray(items)) throw new TypeError("Expected the items to be an array.");
    const spec = toTaskSpec(task);
    const argsList = items.map((item, index) => toArgs(item, index));
    const chunkSize =
      options.chunkSize === undefined
        ? Math.max(1, Math.ceil(argsList.length / (this.workers * 4)))
        : checkInteger("`chunkSize`", options.chunkSize, { min: 1 });
    const chunks: (unknown[] | WireEnvelope)[][] = [];
    for (let i = 0; i < argsList.length; i += chunkSize) chunks.push(argsList.slice(i, i + chunkSize));
    const moves = options.transfer ? chunkBuffers(items, chunkSize, name) : [];
    let done = 0;
    const parts = chunks.map(async (chunk, c) => {
      const result = (await this.#exec(spec, "runChunk", [spec, chunk], moves[c])) as unknown[];
      done += chunk.length;
      options.onProgress?.(done, argsList.length);
      return result;
    });
    return (await Promise.all(parts)).flat();
  }

  /**
   * Checks one task's arguments (`value`, or `[value]` when `single`) and
   * encodes them for this pool's workers: as they are for threads (structured
   * clone); for processes as JSON when JSON carries them exactly, else in v8's
   * format (see wire.ts), so that both backends receive the same values.
   * @throws UnsendableValueError naming `where` and the path inside it.
   */
  #encode(value: unknown, where: string, single = false): unknown[] | WireEnvelope {
    const { value: encoded, jsonSafe } = inspectAndEncode(value, where, this.#encoding);
    const args = single ? [encoded] : (encoded as unknown[]);
    return this.backend === "process" ? toJsonWire(args, jsonSafe) : args;
  }

  /**
   * Sends one message. With `move` (the `transfer` option, {@link TransferOptions}) the caller's buffers
   * are taken now, and a trailing `true` asks the worker to transfer its results back.
   */
  #exec(spec: TaskSpec, method: "runTask" | "runChunk", params: unknown[], move?: { buffers: ArrayBuffer[]; where: string }): Promise<unknown> {
    let transferList: ArrayBuffer[] | undefined;
    if (move) {
      // threads: the memory moves with the message; processes: the bytes were
      // encoded into params already (wire.ts), only the caller's copy goes
      if (this.backend === "thread") ({ value: params, buffers: transferList } = moveBuffers(params, move.buffers, move.where));
      else detachBuffers(move.buffers, move.where);
      params = [...params, true];
    }
    let dispatched: Promise<unknown>;
    try {
      dispatched = Promise.resolve(
        this.#pool.exec(method, params, {
          on: (payload: { stdout?: string; stderr?: string }) => {
            if (payload.stdout) process.stdout.write(payload.stdout);
            if (payload.stderr) process.stderr.write(payload.stderr);
          },
          ...(transferList ? { transfer: transferList } : {}),
        }),
      );
    } catch (error) {
      // workerpool sends at once when a worker is idle, so a send that fails
      // throws here; the arguments were checked, so this is a last resort
      dispatched = Promise.reject(error);
    }
    // the worker answers with the list of results, or its envelope (see wire.ts)
    const results = (answer: unknown): unknown[] => fromJsonWire(answer) as unknown[];
    const promise = dispatched.then(method === "runTask" ? (answer) => results(answer)[0] : results, (error: unknown) => {
      throw this.#translateError(spec, error);
    });
    this.#pending.add(promise);
    const forget = (): void => void this.#pending.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  #translateError(spec: TaskSpec, error: unknown): Error {
    const isTerminateError =
      error instanceof workerpool.TerminateError || (error instanceof Error && error.name === "TerminateError");
    // A forced terminate() rejects running tasks with "Worker terminated" and
    // queued ones with "Pool terminated" (plain Errors, not TerminateError).
    if (
      this.#state === "terminated" &&
      (isTerminateError || (error instanceof Error && /^(Pool|Worker) terminat/i.test(error.message)))
    ) {
      return new TaskCancelledError(spec.name);
    }
    if (isTerminateError) {
      const message = (error as Error).message;
      const exitCode = /exitCode: `([^`]*)`/.exec(message)?.[1];
      const signal = /signalCode: `([^`]*)`/.exec(message)?.[1];
      const bySignal = signal && signal !== "null" && signal !== "undefined";
      return new WorkerCrashedError(
        spec.name,
        bySignal ? `killed by signal ${signal}` : `the worker exited with code ${exitCode ?? "unknown"}`,
      );
    }
    const reported = error as { name?: unknown; message?: unknown; stack?: unknown };
    const message = typeof reported?.message === "string" ? reported.message : String(error);
    const stack = typeof reported?.stack === "string" ? reported.stack : undefined;
    // workerpool serialises own properties only, so `name` (on the prototype)
    // is lost; the first line of the worker's stack still says "RangeError: ...".
    const fromStack = stack ? /^([A-Za-z_$][\w$]*): /.exec(stack)?.[1] : undefined;
    const ownName = typeof reported?.name === "string" && reported.name !== "Error" ? reported.name : undefined;
    const name = ownName ?? fromStack ?? "Error";
    const hint = spec.kind === "inline" && name === "ReferenceError" ? INLINE_HINT : undefined;
    return new TaskError(spec.name, name, message, stack, hint);
  }
}

/**
 * Runs `body` with a new pool and always cleans up: `close()` + `join()` when
 * `body` succeeds, `terminate()` when it throws.
 *
 * @example const pis = await withPool({ workers: 2 }, (pool) => pool.map("leibnizPi", [1e6, 2e6]));
 */
export async function withPool<T>(options: PoolOptions, body: (pool: Pool) => Promise<T>): Promise<T> {
  const pool = new Pool(options);
  try {
    const result = await body(pool);
    pool.close();
    await pool.join();
    return result;
  } catch (error) {
    await pool.terminate();
    throw error;
  }
}
