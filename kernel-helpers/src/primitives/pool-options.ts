/**
 * The options of {@link Pool} and of its methods, each with its default and
 * an example, and the checks that refuse a bad one by name: a misspelt option
 * (`maxTaskPerChild`) is an error, never silently ignored.
 */
import { InvalidOptionError } from "./errors";
import type { TaskName, Tasks } from "../tasks";
import type { TransferOptions } from "../transport/transfer";
import { checkChoice, checkFunction, checkInteger, describeValue } from "./validate";
import { checkKnownOptions } from "./known-options";

/** Where pool workers run: `"thread"` (worker_threads, one process) or `"process"` (child_process.fork). */
export type Backend = "thread" | "process";
/** The accepted backends. */
export const BACKENDS: readonly Backend[] = ["thread", "process"];

/** A task as the caller names it: a named task from kernel-helpers, or a self-contained function. */
export type TaskReference = TaskName | ((...args: never[]) => unknown);
/** Arguments of a named task. */
export type TaskArgs<K extends TaskName> = Parameters<Tasks[K]>;
/** Result of a named task (after its promise, if any, settles). */
export type TaskResult<K extends TaskName> = Awaited<ReturnType<Tasks[K]>>;
/** Items for `map` and `imap`: any iterable (an array, a Set, a generator); `imap` also takes an async iterable. */
export type Items<T> = Iterable<T>;

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
   * @example { backend: "process" }
   */
  backend?: Backend;
  /**
   * Runs once in each worker before its first task, as in Python: load a
   * table, warm a cache. A named task or a self-contained function (sent as
   * source text, like inline tasks); whatever it stores on `globalThis` the
   * tasks of that worker can read. A worker started to replace another (after
   * `maxTasksPerChild`, a crash or a cancelled task) runs it again. If it
   * throws, the pool cannot run tasks: they reject with `InitializerError`.
   * Default: none.
   * @example { initializer: (size: number) => { (globalThis as any).table = new Float64Array(size); }, initargs: [1e6] }
   */
  initializer?: TaskReference;
  /**
   * The initializer's arguments, as an array (they travel like task
   * arguments). Default: `[]`.
   * @example { initializer: "sleep", initargs: [100, "ready"] }
   */
  initargs?: unknown[];
  /**
   * Replaces a worker by a fresh one after it has run this many tasks, as
   * Python's `maxtasksperchild` does (for code that leaks memory or state).
   * A chunk of `map`, `starmap` or `imap` counts as one task, as in Python.
   * Default: unlimited (a worker lives as long as the pool).
   * @example { maxTasksPerChild: 100 }
   */
  maxTasksPerChild?: number;
}

/** Options of {@link Pool.applyAsync} and {@link Pool.apply}. */
export interface ApplyOptions extends TransferOptions {
  /**
   * Cancels the task when aborted: waiting, it is dropped (also when it was
   * sent ahead to a worker busy with another caller's task: the worker is
   * told not to start it); running, its worker is stopped (and replaced).
   * (See pool-scheduler.ts for the one race: a task that had just started.) The result rejects with
   * `TaskCancelledError`, whose `reason` is the signal's. Default: none.
   * @example { signal: AbortSignal.timeout(5_000) }
   */
  signal?: AbortSignal;
}

/** Options of {@link Pool.map} and {@link Pool.starmap}. */
export interface MapOptions extends ApplyOptions {
  /**
   * Items sent to a worker per message. Default: like Python,
   * `ceil(items / (4 · workers))`, so tiny items are not one message each.
   * Use 1 for long, uneven tasks so idle workers pick up the next one.
   * @example { chunkSize: 1 }
   */
  chunkSize?: number;
  /**
   * Called after each chunk with the number of items done and the total.
   * Default: none.
   * @example { onProgress: (done, total) => bar.set(done) } // bar = progress("items", total)
   */
  onProgress?: (done: number, total: number) => void;
}

/** Options of {@link Pool.imap} and {@link Pool.imapUnordered}. */
export interface ImapOptions extends ApplyOptions {
  /**
   * Items sent to a worker per message. Default: for an input whose size is
   * known (an array, a Set, a Map, a typed array), `ceil(items / (4 · workers))`
   * as in `map`; for a generator or another iterable, 1 (as Python's `imap`).
   * @example { chunkSize: 100 }
   */
  chunkSize?: number;
  /**
   * The most chunks read from the input and not yet handed to your loop:
   * waiting, running, or finished and waiting for you. The input is read
   * only as far as this allows (backpressure), so an endless generator or a
   * huge input never sits in memory at once: at most `lookAhead · chunkSize`
   * items and their results. Default: `2 · workers` (each worker busy, with
   * one chunk waiting behind it).
   * @example { lookAhead: 8 }
   */
  lookAhead?: number;
  /**
   * Called after each chunk with the items done so far and the total: the
   * input's size when known, else `undefined` until the input has been read
   * to its end (a generator's end is reported by one more call, with the
   * total, if every chunk was done before it was seen). Default: none.
   * @example { onProgress: (done) => bar.set(done) } // bar = progress("items", total)
   */
  onProgress?: (done: number, total: number | undefined) => void;
}

/** The option names of each, for the unknown-option check. */
const POOL_KEYS = ["workers", "backend", "initializer", "initargs", "maxTasksPerChild"] as const;
const APPLY_KEYS = ["transfer", "signal"] as const;
const MAP_KEYS = [...APPLY_KEYS, "chunkSize", "onProgress"] as const;
const IMAP_KEYS = [...MAP_KEYS, "lookAhead"] as const;


/** True for an AbortSignal of any realm (a vm context, as under jest, has its own class). */
function isAbortSignal(value: unknown): value is AbortSignal {
  const signal = value as Partial<AbortSignal> | null;
  return typeof signal === "object" && signal !== null && typeof signal.aborted === "boolean" && typeof signal.addEventListener === "function";
}

function optional<T>(options: Record<string, unknown>, key: string, check: (option: string, value: unknown) => T): T | undefined {
  const value = options[key];
  return value === undefined ? undefined : check(`\`${key}\``, value);
}

const checkSignal = (option: string, value: unknown): AbortSignal => {
  if (!isAbortSignal(value)) {
    throw new InvalidOptionError(option, `Expected ${option} to be an AbortSignal (\`controller.signal\`, \`AbortSignal.timeout(ms)\`), got ${describeValue(value)}.`);
  }
  return value;
};
const checkBoolean = (option: string, value: unknown): boolean => {
  if (typeof value !== "boolean") throw new InvalidOptionError(option, `Expected ${option} to be true or false, got ${describeValue(value)}.`);
  return value;
};
const positive = (option: string, value: unknown): number => checkInteger(option, value, { min: 1 });

/** {@link PoolOptions}, checked, with defaults. */
export interface CheckedPoolOptions {
  workers: number;
  backend: Backend;
  initializer?: TaskReference;
  initargs: unknown[];
  maxTasksPerChild?: number;
}

/** Checks the options of `new Pool(...)`. @throws InvalidOptionError */
export function checkPoolOptions(given: unknown, defaultWorkers: number): CheckedPoolOptions {
  const options = checkKnownOptions(given, POOL_KEYS, "`new Pool`");
  const initargs = options["initargs"] ?? [];
  if (!Array.isArray(initargs)) throw new InvalidOptionError("`initargs`", `Expected \`initargs\` to be an array of the initializer's arguments, got ${describeValue(initargs)}.`);
  if (options["initargs"] !== undefined && options["initializer"] === undefined) {
    throw new InvalidOptionError("`initargs`", "`initargs` was given without an `initializer`: pass the function (or task name) that takes them as `initializer`.");
  }
  const initializer = options["initializer"] as TaskReference | undefined;
  const maxTasksPerChild = optional(options, "maxTasksPerChild", positive);
  return {
    workers: checkInteger("`workers`", options["workers"] ?? defaultWorkers, { min: 1, max: 1024 }),
    backend: checkChoice("`backend`", options["backend"] ?? "thread", BACKENDS),
    initargs,
    ...(initializer === undefined ? {} : { initializer }),
    ...(maxTasksPerChild === undefined ? {} : { maxTasksPerChild }),
  };
}

/** The options every submission shares, checked. */
export interface CheckedApplyOptions {
  transfer: boolean;
  signal?: AbortSignal;
}

/** Checked map/imap options; `chunkSize` undefined means "the default for this input". */
export interface CheckedChunkOptions extends CheckedApplyOptions {
  chunkSize?: number;
  lookAhead?: number;
  onProgress?: (done: number, total: number | undefined) => void;
}

function checkApply(options: Record<string, unknown>): CheckedApplyOptions {
  const signal = optional(options, "signal", checkSignal);
  return { transfer: optional(options, "transfer", checkBoolean) ?? false, ...(signal ? { signal } : {}) };
}

/** Checks the options of `applyAsync` or `apply`. @throws InvalidOptionError */
export function checkApplyOptions(given: unknown, of: string): CheckedApplyOptions {
  return checkApply(checkKnownOptions(given, APPLY_KEYS, of));
}

/** Checks the options of `map`/`starmap` (`streaming` false) or `imap`/`imapUnordered` (true). @throws InvalidOptionError */
export function checkChunkOptions(given: unknown, of: string, streaming: boolean): CheckedChunkOptions {
  const options = checkKnownOptions(given, streaming ? IMAP_KEYS : MAP_KEYS, of);
  const chunkSize = optional(options, "chunkSize", positive);
  const lookAhead = optional(options, "lookAhead", positive);
  const onProgress = optional(options, "onProgress", checkFunction) as CheckedChunkOptions["onProgress"];
  return {
    ...checkApply(options),
    ...(chunkSize === undefined ? {} : { chunkSize }),
    ...(lookAhead === undefined ? {} : { lookAhead }),
    ...(onProgress === undefined ? {} : { onProgress }),
  };
}

/** Python's default chunk size for `map`: about four chunks per worker. */
export function defaultChunkSize(items: number, workers: number): number {
  return Math.max(1, Math.ceil(items / (workers * 4)));
}
