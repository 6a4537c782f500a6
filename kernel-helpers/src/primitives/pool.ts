/**
 * `Pool`: Python's `multiprocessing.Pool` vocabulary, with worker threads or
 * child processes as the backend (the engine is pool-scheduler.ts; the
 * options are in pool-options.ts; streaming is imap.ts).
 */
import os from "node:os";
import { AsyncResult } from "./async-result";
import { PoolClosedError, PoolStateError, TaskCancelledError } from "./errors";
import { ResultStream, knownSize } from "./imap";
import {
  checkApplyOptions,
  checkChunkOptions,
  checkPoolOptions,
  defaultChunkSize,
  type ApplyOptions,
  type Backend,
  type CheckedChunkOptions,
  type ImapOptions,
  type Items,
  type MapOptions,
  type PoolOptions,
  type TaskArgs,
  type TaskReference,
  type TaskResult,
} from "./pool-options";
import { JobGroup, WorkerSlots, type WireArgs } from "./pool-scheduler";
import { inspectAndEncode, type EncodeOptions } from "../transport/encode-args";
import { registerResource, unregisterResource } from "./cleanup";
import { toTaskSpec, type TaskSpec } from "../transport/task-spec";
import type { TaskName } from "../tasks";
import { buffersToMove, chunkBuffers, detachBuffers, moveBuffers } from "../transport/transfer";
import { toByteWire } from "../transport/wire";
import { SignalWatch } from "./signal-watch";
import { allNumbers, packNumbers } from "../transport/number-chunks";
import { cancelled, concat, fromNumbersReply, fromReply, initializerSpec, isIterable, taskLabel, toArray } from "./pool-helpers";

export { AsyncResult } from "./async-result";
export { BACKENDS } from "./pool-options";
export type { ApplyOptions, Backend, ImapOptions, Items, MapOptions, PoolOptions, TaskArgs, TaskReference, TaskResult } from "./pool-options";


type State = "running" | "closed" | "joined" | "terminated";

/**
 * A pool of worker threads or processes that run tasks in parallel, with
 * the API of Python's `multiprocessing.Pool`. Idle workers do not keep a
 * script alive (like Python's daemonic workers), so a script that forgets
 * `close()` still exits; in a notebook, close or terminate pools yourself.
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
  readonly #slots: WorkerSlots;
  /** Jobs sent and not yet answered (join waits for them). */
  readonly #pending = new Set<Promise<unknown>>();
  /** imap streams that may still read and send (join lets them finish). */
  readonly #streams = new Map<ResultStream, Promise<void>>();
  readonly #signals = new SignalWatch();
  /** How arguments are checked and encoded for this pool's workers. */
  readonly #encoding: EncodeOptions;
  /** The queues passed to tasks, held while workers may use them (their workers' requests are served in pool-worker-handle.ts). */
  readonly #queues = new Set<object>();

  /**
   * Starts a pool. Workers start right away, as in Python.
   * @param options - workers, backend, initializer + initargs, maxTasksPerChild ({@link PoolOptions}).
   * @throws InvalidOptionError for a bad or unknown option (a misspelt one is named, with the closest known one).
   * @throws UnsendableValueError when `initargs` cannot travel to a worker.
   * @example new Pool({ workers: 4, backend: "process", maxTasksPerChild: 50 })
   */
  constructor(options: PoolOptions = {}) {
    const checked = checkPoolOptions(options, os.availableParallelism());
    this.workers = checked.workers;
    this.backend = checked.backend;
    this.#encoding = { sharedMemory: this.backend === "thread", to: "a worker", onQueue: (queue) => this.#queues.add(queue) };
    const initializer = checked.initializer === undefined
      ? undefined
      : { spec: initializerSpec(checked.initializer), args: this.#encode(checked.initargs, "initargs") };
    this.#slots = new WorkerSlots({
      backend: this.backend,
      workers: this.workers,
      ...(checked.maxTasksPerChild === undefined ? {} : { maxTasksPerChild: checked.maxTasksPerChild }),
      ...(initializer ? { initializer } : {}),
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
   * @param options - `transfer` (move ArrayBuffers instead of copying them) and `signal` (cancel) ({@link ApplyOptions}).
   * @throws PoolClosedError if `close()` or `terminate()` was called.
   * @throws UnsendableValueError if an argument cannot be sent (a function, a
   *   symbol, a class instance...), naming its path, e.g. `args[0].callback`;
   *   nothing is sent then.
   * @example const h = pool.applyAsync("leibnizPi", [5_000_000]); await h.get();
   */
  applyAsync<K extends TaskName>(task: K, args: TaskArgs<K>, options?: ApplyOptions): AsyncResult<TaskResult<K>>;
  applyAsync<A extends unknown[], R>(task: (...args: A) => R, args: A, options?: ApplyOptions): AsyncResult<Awaited<R>>;
  applyAsync(task: TaskReference, args: unknown[], options?: ApplyOptions): AsyncResult<unknown> {
    return this.#applyAsync(task, args, options, "`pool.applyAsync`");
  }

  /**
   * Runs one task and waits for its result: `await pool.apply(task, args)` is
   * `await pool.applyAsync(task, args).get()`, like Python's `apply`.
   * @example const pi = await pool.apply("leibnizPi", [5_000_000]);
   */
  async apply<K extends TaskName>(task: K, args: TaskArgs<K>, options?: ApplyOptions): Promise<TaskResult<K>>;
  async apply<A extends unknown[], R>(task: (...args: A) => R, args: A, options?: ApplyOptions): Promise<Awaited<R>>;
  async apply(task: TaskReference, args: unknown[], options?: ApplyOptions): Promise<unknown> {
    return this.#applyAsync(task, args, options, "`pool.apply`").get();
  }

  #applyAsync(task: TaskReference, args: unknown[], options: unknown, of: string): AsyncResult<unknown> {
    this.#assertRunning(task);
    const { transfer, signal } = checkApplyOptions(options, of);
    if (!Array.isArray(args)) throw new TypeError("Expected `args` to be an array of the task's arguments.");
    const spec = toTaskSpec(task);
    if (signal?.aborted) return new AsyncResult(Promise.reject(new TaskCancelledError(spec.name, signal.reason, true)));
    const move = transfer ? { buffers: buffersToMove(args, "args"), where: "args" } : undefined;
    const group = signal ? new JobGroup() : undefined;
    const answer = this.#send(spec, [this.#encode(args, "args")], move, group);
    if (signal && group) {
      const unwatch = this.#signals.watch(signal, (reason) => this.#slots.cancel(group, cancelled(reason), true));
      answer.then(unwatch, unwatch);
    }
    return new AsyncResult(answer.then((results) => results[0]));
  }

  /**
   * Applies a one-argument task to every item; resolves with the results in
   * input order. Items go to workers in chunks (see {@link MapOptions.chunkSize}).
   * The items may be any iterable (an array, a Set, a generator); they are
   * all read first, as in Python. If one item fails, the map rejects with its
   * error and the chunks not yet started are dropped.
   *
   * @param task - a named task or a self-contained one-argument function.
   * @param items - the arguments, one per call.
   * @param options - chunkSize, onProgress, transfer, signal ({@link MapOptions}).
   * @example await pool.map("leibnizPi", [1e6, 2e6, 3e6])
   */
  map<K extends TaskName>(task: K, items: Items<TaskArgs<K>[0]>, options?: MapOptions): Promise<TaskResult<K>[]>;
  map<T, R>(task: (item: T) => R, items: Items<T>, options?: MapOptions): Promise<Awaited<R>[]>;
  async map(task: TaskReference, items: Items<unknown>, options?: MapOptions): Promise<unknown[]> {
    return this.#mapChunks(task, items, options, "items", "`pool.map`");
  }

  /**
   * Like {@link Pool.map}, but each item is an argument list, spread into the
   * task: `starmap("leibnizPiById", [[0, 1e6], [1, 2e6]])`.
   */
  starmap<K extends TaskName>(task: K, argsList: Items<TaskArgs<K>>, options?: MapOptions): Promise<TaskResult<K>[]>;
  starmap<A extends unknown[], R>(task: (...args: A) => R, argsList: Items<A>, options?: MapOptions): Promise<Awaited<R>[]>;
  async starmap(task: TaskReference, argsList: Items<unknown[]>, options?: MapOptions): Promise<unknown[]> {
    return this.#mapChunks(task, argsList, options, "argsList", "`pool.starmap`");
  }

  /**
   * Like {@link Pool.map}, but hands out results as they are ready, in input
   * order, to a `for await` loop, and reads the input only as far as needed
   * ({@link ImapOptions.lookAhead}): the input may be endless. Leaving the
   * loop early drops the chunks still waiting, also quick ones already sent ahead to a worker (it is told not to start them). Errors (a task's, the input's)
   * reject the loop where their items would have come.
   *
   * @param task - a named task or a self-contained one-argument function.
   * @param items - any iterable or async iterable (an array, a Set, a generator).
   * @param options - chunkSize, lookAhead, onProgress, transfer, signal ({@link ImapOptions}).
   * @example for await (const pi of pool.imap("leibnizPi", [1e6, 2e6, 3e6])) console.log(pi);
   */
  imap<K extends TaskName>(task: K, items: Items<TaskArgs<K>[0]> | AsyncIterable<TaskArgs<K>[0]>, options?: ImapOptions): AsyncGenerator<TaskResult<K>, void, undefined>;
  imap<T, R>(task: (item: T) => R, items: Items<T> | AsyncIterable<T>, options?: ImapOptions): AsyncGenerator<Awaited<R>, void, undefined>;
  imap(task: TaskReference, items: Items<unknown> | AsyncIterable<unknown>, options?: ImapOptions): AsyncGenerator<unknown, void, undefined> {
    return this.#stream(task, items, options, true, "`pool.imap`");
  }

  /**
   * Like {@link Pool.imap}, but hands out each result as soon as it is ready,
   * whatever its input position (Python's `imap_unordered`).
   * @example
   * const bar = progress("terms", sizes.length);
   * for await (const pi of pool.imapUnordered("leibnizPi", sizes, { onProgress: (done) => bar.set(done) })) total += pi;
   * bar.done();
   */
  imapUnordered<K extends TaskName>(task: K, items: Items<TaskArgs<K>[0]> | AsyncIterable<TaskArgs<K>[0]>, options?: ImapOptions): AsyncGenerator<TaskResult<K>, void, undefined>;
  imapUnordered<T, R>(task: (item: T) => R, items: Items<T> | AsyncIterable<T>, options?: ImapOptions): AsyncGenerator<Awaited<R>, void, undefined>;
  imapUnordered(task: TaskReference, items: Items<unknown> | AsyncIterable<unknown>, options?: ImapOptions): AsyncGenerator<unknown, void, undefined> {
    return this.#stream(task, items, options, false, "`pool.imapUnordered`");
  }

  /** Stops accepting tasks; those already submitted still run. Call {@link Pool.join} next. */
  close(): void {
    if (this.#state === "running") this.#state = "closed";
  }

  /**
   * Waits until every submitted task has finished, then stops the workers.
   * An `imap` still open reads the rest of its input first (its results wait
   * for your loop), as Python's join waits for every task of an imap.
   * @throws PoolStateError (as a rejection) if the pool is still running: call `close()` first.
   */
  async join(): Promise<void> {
    if (this.#state === "running") {
      throw new PoolStateError("Pool is still running: call close() before join() (as in Python).");
    }
    while (this.#pending.size > 0 || this.#streams.size > 0) {
      for (const stream of this.#streams.keys()) stream.drain();
      await Promise.allSettled([...this.#pending, ...this.#streams.values()]);
    }
    if (this.#state === "closed") {
      await this.#slots.stop();
      this.#state = "joined";
      unregisterResource(this);
    }
  }

  /**
   * Stops the workers now, even in the middle of a task (immediately, as in
   * Python). Running and queued tasks are cancelled: their handles reject
   * with {@link TaskCancelledError}.
   */
  async terminate(): Promise<void> {
    if (this.#state === "terminated" || this.#state === "joined") return;
    this.#state = "terminated";
    for (const stream of this.#streams.keys()) stream.terminate();
    this.#signals.clear();
    await this.#slots.stop();
    unregisterResource(this);
  }

  /** Live numbers: workers started, busy and idle, tasks waiting for a worker. */
  stats(): { totalWorkers: number; busyWorkers: number; idleWorkers: number; pendingTasks: number } {
    return this.#slots.stats();
  }

  #assertRunning(task: unknown): void {
    const broken = this.#slots.brokenError(taskLabel(task));
    if (broken) throw broken;
    if (this.#state !== "running") {
      throw new PoolClosedError(`Pool not running (it is ${this.#state}): create a new Pool to submit more tasks.`);
    }
  }

  async #mapChunks(task: unknown, given: Items<unknown>, optionsGiven: unknown, name: "items" | "argsList", of: string): Promise<unknown[]> {
    this.#assertRunning(task);
    const options = checkChunkOptions(optionsGiven, of, false);
    const spec = toTaskSpec(task);
    const items = toArray(given, name);
    // plain numbers travel as one Float64Array per chunk (number-chunks.ts); anything else item by item
    const numbers = name === "items" && !options.transfer && allNumbers(items);
    const argsList = numbers ? [] : items.map((item, i) => this.#toArgs(item, i, name));
    const chunkSize = options.chunkSize ?? defaultChunkSize(items.length, this.workers);
    const moves = options.transfer ? chunkBuffers(items, chunkSize, name) : [];
    const { signal, onProgress } = options;
    if (signal?.aborted) throw new TaskCancelledError(spec.name, signal.reason, true);
    const group = new JobGroup();
    const unwatch = signal ? this.#signals.watch(signal, (reason) => this.#slots.cancel(group, cancelled(reason), true)) : undefined;
    let done = 0;
    const parts: Promise<ArrayLike<unknown>>[] = [];
    for (let c = 0, start = 0; start < items.length; c++, start += chunkSize) {
      const size = Math.min(chunkSize, items.length - start);
      const sent = numbers
        ? this.#sendNumbers(spec, items as number[], start, size, group)
        : this.#send(spec, argsList.slice(start, start + chunkSize), moves[c], group);
      parts.push(sent.then((results) => {
        done += size;
        onProgress?.(done, items.length);
        return results;
      }));
    }
    try {
      return concat(await Promise.all(parts), items.length);
    } catch (error) {
      // the other chunks' results are of no use now: drop those not started
      this.#slots.cancel(group, (t) => new TaskCancelledError(t), false);
      throw error;
    } finally {
      unwatch?.();
    }
  }

  #stream(task: unknown, items: Items<unknown> | AsyncIterable<unknown>, optionsGiven: unknown, ordered: boolean, of: string): AsyncGenerator<unknown, void, undefined> {
    let options: CheckedChunkOptions;
    let spec: TaskSpec;
    try {
      this.#assertRunning(task);
      options = checkChunkOptions(optionsGiven, of, true);
      spec = toTaskSpec(task);
      if (!isIterable(items)) throw new TypeError(`Expected the items of ${of} to be an iterable (an array, a Set, a generator...) or an async iterable, got ${typeof items}.`);
    } catch (error) {
      return (async function* () {
        throw error;
      })();
    }
    const total = knownSize(items);
    const group = new JobGroup();
    let finished!: () => void;
    const reading = new Promise<void>((resolve) => (finished = resolve));
    let doneReading = false;
    let stream: ResultStream | undefined = undefined;
    stream = new ResultStream({
      items,
      task: spec.name,
      ordered,
      chunkSize: options.chunkSize ?? (total === undefined ? 1 : defaultChunkSize(total, this.workers)),
      lookAhead: options.lookAhead ?? 2 * this.workers,
      total,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      send: (chunk, start) => {
        const argsList = chunk.map((item, k) => this.#toArgs(item, start + k, "items"));
        const move = options.transfer ? { buffers: buffersToMove(chunk, `items[${start}..]`), where: `items[${start}..]` } : undefined;
        return this.#send(spec, argsList, move, group);
      },
      cancel: (error, running) => this.#slots.cancel(group, error, running),
      finishedReading: () => {
        doneReading = true;
        if (stream) this.#streams.delete(stream);
        finished();
      },
    });
    // (an already aborted signal ends the stream before it starts)
    if (!doneReading) this.#streams.set(stream, reading);
    return stream.results();
  }

  /** One item's arguments, checked and encoded: the item itself (map, imap) or its spread list (starmap). */
  #toArgs(item: unknown, index: number, name: "items" | "argsList"): WireArgs {
    if (name === "items") return this.#encode([item], `items[${index}]`, true);
    if (!Array.isArray(item)) throw new TypeError(`Expected every item of \`argsList\` to be an array of arguments; argsList[${index}] is not.`);
    return this.#encode(item, `argsList[${index}]`);
  }

  /**
   * Checks one task's arguments and encodes them for this pool's workers: as they are for threads; for processes as JSON
   * when JSON carries them exactly, else in v8's format (wire.ts). `single`: `args` is `[item]`, named `where` in messages.
   * @throws UnsendableValueError naming `where` and the path inside it.
   */
  #encode(args: unknown[], where: string, single = false): WireArgs {
    const { value, jsonSafe } = inspectAndEncode(single ? args[0] : args, where, this.#encoding);
    const encoded = single ? [value] : (value as unknown[]);
    return this.backend === "process" ? toByteWire(encoded, jsonSafe) : encoded;
  }

  /** Sends `items[start .. start + size)` as one chunk of plain numbers (see number-chunks.ts). */
  #sendNumbers(spec: TaskSpec, items: number[], start: number, size: number, group: JobGroup): Promise<ArrayLike<unknown>> {
    const values = new Float64Array(size);
    for (let i = 0; i < size; i++) values[i] = items[start + i]!;
    const { wire, transfer } = packNumbers(values, this.backend === "thread");
    return this.#track(
      this.#slots
        .submit({ spec, argsList: [], numbers: wire, transferBack: false, ...(transfer ? { transferList: transfer } : {}) }, group)
        .then(fromNumbersReply),
    );
  }

  /**
   * Sends one job (a call, or a chunk of calls) and resolves with its list
   * of results. With `move` (the `transfer` option) the caller's buffers are
   * taken now, and the worker moves its results' buffers back.
   */
  #send(spec: TaskSpec, argsList: WireArgs[], move: { buffers: ArrayBuffer[]; where: string } | undefined, group?: JobGroup): Promise<unknown[]> {
    let transferList: ArrayBuffer[] | undefined;
    if (move) {
      // threads: the memory moves with the message; processes: the bytes were
      // encoded into the arguments already (wire.ts), only the caller's copy goes
      if (this.backend === "thread") ({ value: argsList, buffers: transferList } = moveBuffers(argsList, move.buffers, move.where));
      else detachBuffers(move.buffers, move.where);
    }
    return this.#track(
      this.#slots.submit({ spec, argsList, transferBack: move !== undefined, ...(transferList ? { transferList } : {}) }, group).then(fromReply),
    );
  }

  /** Keeps `answer` among the pending ones (join() waits for them) until it settles. */
  #track<T>(answer: Promise<T>): Promise<T> {
    this.#pending.add(answer);
    const forget = (): void => void this.#pending.delete(answer);
    answer.then(forget, forget);
    return answer;
  }
}
