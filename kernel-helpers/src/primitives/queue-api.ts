/**
 * What a queue looks like from anywhere, the owner's {@link Queue} and a
 * worker's proxy alike: the errors, the options and their checks, the
 * `QueueLike` interfaces, and the marker a queue travels as.
 */
import { checkBoolean, checkKnownOptions } from "./known-options";
import { checkInteger, describeValue } from "./validate";
import { InvalidOptionError } from "./errors";

/** `get` found nothing (non-blocking, or after its timeout): Python's `queue.Empty`. */
export class QueueEmpty extends Error {
  override name = "QueueEmpty";
}

/**
 * `put` found the queue full (it holds `maxsize` items), without waiting or
 * after its timeout: Python's `queue.Full`.
 */
export class QueueFull extends Error {
  override name = "QueueFull";
}

/**
 * The queue was shut down (`shutdown()`, or its alias `close()`): no more
 * `put`s, and `get` on the empty queue fails at once instead of waiting
 * forever. Python 3.13 raises `queue.ShutDown` in the same places.
 */
export class QueueClosedError extends Error {
  override name = "QueueClosedError";
}

/**
 * `taskDone()` was called on a {@link JoinableQueueLike | joinable queue}
 * more times than items were put on it: Python raises
 * `ValueError: task_done() called too many times`.
 */
export class ExtraTaskDoneError extends Error {
  override name = "ExtraTaskDoneError";
}

/** Options of `get`, as Python's `get(block=True, timeout=None)`. */
export interface GetOptions {
  /**
   * Wait for an item if the queue is empty. Default `true`; `false` fails at
   * once with {@link QueueEmpty}.
   * @example await queue.get({ block: false }) // Python: queue.get(False)
   */
  block?: boolean;
  /**
   * With `block`, give up after this many milliseconds with {@link QueueEmpty}.
   * Default: wait forever.
   * @example await queue.get({ timeoutMs: 5_000 }) // Python: queue.get(timeout=5)
   */
  timeoutMs?: number;
}

/** Options of `put`, as Python's `put(item, block=True, timeout=None)`. */
export interface PutOptions {
  /**
   * Wait for room if the queue is full (it holds `maxsize` items). Default
   * `true`; `false` fails at once with {@link QueueFull}.
   * @example await queue.put(item, { block: false }) // Python: queue.put(item, False)
   */
  block?: boolean;
  /**
   * With `block`, give up after this many milliseconds with {@link QueueFull}
   * (the item is then not put). Default: wait forever.
   * @example await queue.put(item, { timeoutMs: 1_000 }) // Python: queue.put(item, timeout=1)
   */
  timeoutMs?: number;
}

/** Options of `new Queue(...)` and `new JoinableQueue(...)`. */
export interface QueueOptions {
  /**
   * Shown in messages. Default `queue-<id>`.
   * @example new Queue({ name: "results" }) // or new Queue("results")
   */
  name?: string;
  /**
   * The most items the queue holds at once; a `put` on a full queue waits
   * (see {@link PutOptions}). Default `0`: no limit, as in Python.
   * @example new Queue({ maxsize: 100 }) // Python: Queue(maxsize=100)
   */
  maxsize?: number;
}

/** Options of a joinable queue's `join`. */
export interface QueueJoinOptions {
  /**
   * Stop waiting after this many milliseconds: `join` then resolves `false`.
   * Default: wait until every item is done (Python's `join()` has no timeout).
   * @example const allDone = await tasks.join({ timeoutMs: 60_000 })
   */
  timeoutMs?: number;
}

/**
 * What a task sees of a queue, in the notebook (a {@link Queue}) and in a
 * worker (a proxy): every method returns a promise.
 */
export interface QueueLike<T> {
  /** The queue's name (for messages). */
  readonly name: string;
  /**
   * Appends an item, waiting for room if the queue is full (see {@link PutOptions}).
   * Rejects with {@link QueueClosedError} if the queue was shut down, and with
   * {@link QueueFull} when it does not wait or waits in vain.
   */
  put(item: T, options?: PutOptions): Promise<void>;
  /** `put(item, { block: false })`: rejects with {@link QueueFull} at once if the queue is full. */
  putNowait(item: T): Promise<void>;
  /** Removes and returns the oldest item; see {@link GetOptions}. */
  get(options?: GetOptions): Promise<T>;
  /**
   * `get({ block: false })`: the item, or a {@link QueueEmpty} rejection,
   * also when the only items left are lent ahead to a worker (they are asked
   * back at once, for the next get).
   */
  getNowait(): Promise<T>;
  /**
   * Number of items put and not yet taken, counting those lent ahead to a
   * quick worker that its code has not taken yet. Like Python's `qsize()`,
   * a snapshot: other consumers may take items right after.
   */
  size(): Promise<number>;
  /** True if no item is waiting (in a worker: none lent to it either); a snapshot, as `size()`. */
  empty(): Promise<boolean>;
  /** True if the queue holds `maxsize` items (never, without a `maxsize`). */
  full(): Promise<boolean>;
  /**
   * Says the consumer is done with an item it took. On a plain queue it only
   * keeps the items it took from being listed as orphans if it dies (see
   * `Queue`); on a joinable queue it marks one item done, as Python's
   * `task_done()`, and rejects with {@link ExtraTaskDoneError} when called
   * more times than items were put.
   */
  taskDone(): Promise<void>;
}

/** A queue with Python's `JoinableQueue` counting: `taskDone()` once per item, and `join()`. */
export interface JoinableQueueLike<T> extends QueueLike<T> {
  /**
   * Waits until every item ever put has been marked done with `taskDone()`.
   * Resolves `true` then (at once if none is pending), or `false` if
   * `timeoutMs` passed first.
   */
  join(options?: QueueJoinOptions): Promise<boolean>;
}

/** An item a dead consumer had taken and not finished (see `Queue.orphans`). */
export interface OrphanedItem<T> {
  item: T;
  /** Name of the process or thread that had taken it. */
  consumer: string;
}

/** The marker a Queue becomes when it is sent to a worker. */
export interface QueueReference {
  __khQueue: number;
  name: string;
  /** Present (true) for a joinable queue, whose proxy then has `join()`. */
  joinable?: true;
  /** The queue's `maxsize`, when it has one. Without one a put never waits, so a worker does not wait for its answer (queue-proxy.ts). */
  maxsize?: number;
}

/** True for the marker of {@link QueueReference}. */
export function isQueueReference(value: unknown): value is QueueReference {
  return typeof value === "object" && value !== null && typeof (value as QueueReference).__khQueue === "number";
}

/** The operations a worker may ask of a queue's owner. */
export const QUEUE_OPERATIONS = ["put", "get", "size", "full", "taskDone", "join", "lend", "giveBack"] as const;
export type QueueOperation = (typeof QUEUE_OPERATIONS)[number];

/** A worker's request to a queue's owner: the operation and its arguments. */
export interface QueueRequest {
  queueId: number;
  op: QueueOperation;
  item?: unknown;
  block?: boolean;
  timeoutMs?: number;
  /** A put (or a giveBack) the worker does not wait for: the owner answers it only if it fails. */
  quiet?: true;
  /** A get's wish to take up to this many items at once, the others lent ahead (primitives/queue-lending.ts). */
  ahead?: number;
  /** A quiet put of several items at once (held back in a quick job loop: transport/worker-queues.ts), in order. */
  items?: unknown[];
  /** A giveBack's number of items returned (the oldest lent, after those reported used). */
  count?: number;
  /** How many lent items the worker's code took since it last said so: `[queueId, count]` per queue. */
  used?: [number, number][];
}

/** The owner asks a worker to give back the items a queue lent it ahead (somebody else found the queue empty). */
export interface QueueRecall {
  kind: "recall";
  queueId: number;
}

const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** Checks the options of `get` or `put` (`method`), naming a bad or unknown option. */
export function checkWaitOptions(options: unknown, method: "get" | "put"): { block: boolean; timeoutMs: number | undefined } {
  const o = checkKnownOptions(options, ["block", "timeoutMs"], `\`${method}\``);
  const block = checkBoolean("`block`", o.block, true);
  const timeoutMs = o.timeoutMs === undefined ? undefined : checkInteger("`timeoutMs`", o.timeoutMs, { min: 0, max: MAX_TIMEOUT_MS });
  return { block, timeoutMs };
}

/** Checks the options of a joinable queue's `join`. */
export function checkQueueJoinOptions(options: unknown): { timeoutMs: number | undefined } {
  const o = checkKnownOptions(options, ["timeoutMs"], "`join`");
  return { timeoutMs: o.timeoutMs === undefined ? undefined : checkInteger("`timeoutMs`", o.timeoutMs, { min: 0, max: MAX_TIMEOUT_MS }) };
}

/**
 * Checks the arguments of `new Queue(name?, options?)` or `new Queue(options?)`.
 * @returns the name (undefined: the default) and `maxsize` (0: no limit).
 */
export function checkQueueOptions(first: unknown, second: unknown, of: string): { name: string | undefined; maxsize: number } {
  const named = typeof first === "string" || first === undefined;
  const o = named ? checkKnownOptions(second, ["maxsize"], of) : checkKnownOptions(first, ["name", "maxsize"], of);
  if (!named && second !== undefined) {
    throw new InvalidOptionError("`options`", `${of} takes (name, options) or (options): give the name inside the options, or as the first argument.`);
  }
  const name = named ? first : o.name;
  if (name !== undefined && (typeof name !== "string" || name === "")) {
    throw new InvalidOptionError("`name`", `Expected \`name\` to be a non-empty string, got ${describeValue(name)}.`);
  }
  const maxsize = o.maxsize === undefined ? 0 : checkInteger("`maxsize`", o.maxsize, { min: 0 });
  return { name, maxsize };
}
