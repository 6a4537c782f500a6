/**
 * `Queue`: a FIFO shared by the notebook and every `Process` it starts, with
 * the API of Python's `multiprocessing.Queue` (`put`, `get` with `block` and
 * `timeout`, `QueueEmpty`).
 *
 * Design: the queue lives in the process that created it (its owner). A
 * worker holds a proxy whose calls are messages to the owner, answered one by
 * one. Because the owner alone decides which `get` receives which item (and
 * runs the timeouts too), an item is delivered exactly once, however many
 * consumers there are.
 *
 * Items a consumer has taken: an item counts as *in hand* from the moment a
 * worker's `get` receives it until that worker calls `get` again, calls
 * `taskDone()`, or exits normally. If the worker dies before that, the item
 * is not silently lost and not silently re-queued (which could process it
 * twice): it is recorded in `queue.orphans`, named in the worker's crash
 * error, and `queue.requeueOrphans()` puts it back if the task is safe to
 * repeat.
 */
import { InvalidOptionError } from "./errors";
import { checkInteger } from "./validate";
import { checkSendable } from "./sendable";

/** `get` found nothing (non-blocking, or after its timeout): Python's `queue.Empty`. */
export class QueueEmpty extends Error {
  override name = "QueueEmpty";
}

/** The queue was closed: no more `put`s, and `get` on a closed, empty queue fails at once instead of waiting forever. */
export class QueueClosedError extends Error {
  override name = "QueueClosedError";
}

/** Options of `get`. */
export interface GetOptions {
  /** Wait for an item if the queue is empty. Default `true`. `false` fails at once with {@link QueueEmpty}. */
  block?: boolean;
  /** With `block`, give up after this many milliseconds with {@link QueueEmpty}. Default: wait forever. */
  timeoutMs?: number;
}

/**
 * What a task sees of a queue, in the notebook (a {@link Queue}) and in a
 * worker (a proxy): every method returns a promise.
 */
export interface QueueLike<T> {
  /** The queue's name (for messages). */
  readonly name: string;
  /** Appends an item. Rejects with {@link QueueClosedError} if the queue is closed. */
  put(item: T): Promise<void>;
  /** Removes and returns the oldest item; see {@link GetOptions}. */
  get(options?: GetOptions): Promise<T>;
  /** `get({ block: false })`: the item, or a {@link QueueEmpty} rejection. */
  getNowait(): Promise<T>;
  /** Number of items waiting. */
  size(): Promise<number>;
  /** True if no item is waiting. */
  empty(): Promise<boolean>;
  /** Says the consumer is done with the items it took (see the module comment). */
  taskDone(): Promise<void>;
}

/** An item a dead consumer had taken and not finished. */
export interface OrphanedItem<T> {
  item: T;
  /** Name of the process or thread that had taken it. */
  consumer: string;
}

interface Waiter<T> {
  /** Unique id of the consumer (a Process's names may repeat). */
  consumer: string;
  resolve: (item: T) => void;
  reject: (error: Error) => void;
  timer?: NodeJS.Timeout;
}

/** The marker a Queue becomes when it is sent to a worker. */
export interface QueueReference {
  __khQueue: number;
  name: string;
}

const PARENT = "(owner)";
// Weak, so a long notebook session does not keep every queue it ever made;
// a running Process holds its own queues strongly while it needs them.
const queues = new Map<number, WeakRef<Queue<unknown>>>();
const forget = new FinalizationRegistry<number>((id) => queues.delete(id));
let nextId = 1;

/** @internal The owner's queue with this id, for routing workers' requests. */
export function queueById(id: number): Queue<unknown> | undefined {
  return queues.get(id)?.deref();
}

/** True for the marker of {@link QueueReference}. */
export function isQueueReference(value: unknown): value is QueueReference {
  return typeof value === "object" && value !== null && typeof (value as QueueReference).__khQueue === "number";
}

function checkGetOptions(options: GetOptions): { block: boolean; timeoutMs: number | undefined } {
  const block = options.block ?? true;
  if (typeof block !== "boolean") throw new InvalidOptionError("`block`", "Expected `block` to be true or false.");
  const timeoutMs =
    options.timeoutMs === undefined ? undefined : checkInteger("`timeoutMs`", options.timeoutMs, { min: 0, max: 2 ** 31 - 1 });
  return { block, timeoutMs };
}

/**
 * A first-in, first-out queue shared with workers started by {@link Process}.
 * Pass it in a process's `args`; the worker receives a proxy with the same methods.
 *
 * @example
 * const results = new Queue<[number, number]>("results");
 * const p = new Process({ target: "sumRandomNumbersToQueue", args: [1, 1_000_000, results] }).start();
 * const [id, sum] = await results.get({ timeoutMs: 10_000 });
 * await p.join();
 */
export class Queue<T> implements QueueLike<T> {
  /** Unique within the owner process; how workers refer to this queue. */
  readonly id: number;
  readonly name: string;
  readonly #items: T[] = [];
  readonly #waiters: Waiter<T>[] = [];
  readonly #inHand = new Map<string, T[]>();
  readonly #orphans: OrphanedItem<T>[] = [];
  #closed = false;

  /** @param name - shown in messages; default `queue-<id>`. */
  constructor(name?: string) {
    this.id = nextId++;
    this.name = name ?? `queue-${this.id}`;
    queues.set(this.id, new WeakRef(this as Queue<unknown>));
    forget.register(this, this.id);
  }

  /** Items waiting right now (synchronous; only the owner knows it). */
  get length(): number {
    return this.#items.length;
  }

  /** True once {@link Queue.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Items taken by consumers that died before finishing them (see the module comment). */
  get orphans(): readonly OrphanedItem<T>[] {
    return this.#orphans;
  }

  /**
   * Appends an item (a copy travels to whoever takes it).
   * Rejects with {@link QueueClosedError} if the queue is closed, and with
   * UnsendableValueError, naming the path, if the item cannot be sent (a
   * function, a class instance, a SharedArrayBuffer...).
   */
  async put(item: T): Promise<void> {
    this.putFrom(PARENT, item);
  }

  async get(options: GetOptions = {}): Promise<T> {
    return this.getFor(PARENT, options);
  }

  getNowait(): Promise<T> {
    return this.get({ block: false });
  }

  async size(): Promise<number> {
    return this.#items.length;
  }

  async empty(): Promise<boolean> {
    return this.#items.length === 0;
  }

  async taskDone(): Promise<void> {
    this.settle(PARENT);
  }

  /**
   * Closes the queue: later `put`s reject with {@link QueueClosedError}, and so
   * do `get`s once the queue is empty, including those already waiting (so a
   * consumer blocked on an empty queue is released instead of hanging).
   * Items already in the queue can still be taken.
   */
  close(): void {
    this.#closed = true;
    for (const waiter of this.#waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(new QueueClosedError(`Queue "${this.name}" was closed while waiting for an item.`));
    }
  }

  /** Puts the orphaned items back at the end of the queue. @returns how many. */
  requeueOrphans(): number {
    const orphans = this.#orphans.splice(0);
    for (const { item } of orphans) this.#deliver(item);
    return orphans.length;
  }

  /** Takes every waiting item at once (a snapshot), without blocking. */
  drain(): T[] {
    return this.#items.splice(0);
  }

  /**
   * @internal A put on behalf of a consumer (the owner or a worker), named in
   * errors. The item must be able to reach any consumer, thread or process:
   * data only, and no shared memory (a queue copies its items).
   */
  putFrom(consumerName: string, item: T): void {
    if (this.#closed) throw new QueueClosedError(`Queue "${this.name}" is closed: no more items can be put (by ${consumerName}).`);
    checkSendable(item, "item", { to: `queue "${this.name}"`, sharedMemory: false });
    this.#deliver(item);
  }

  /** @internal A get on behalf of `consumer`, with the owner's bookkeeping of items in hand. */
  getFor(consumer: string, options: GetOptions = {}): Promise<T> {
    const { block, timeoutMs } = checkGetOptions(options);
    this.settle(consumer);
    if (this.#items.length > 0) return Promise.resolve(this.#take(consumer, this.#items.shift() as T));
    if (this.#closed) return Promise.reject(new QueueClosedError(`Queue "${this.name}" is closed and empty.`));
    if (!block || timeoutMs === 0) return Promise.reject(new QueueEmpty(`Queue "${this.name}" is empty.`));
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = { consumer, resolve, reject };
      if (timeoutMs !== undefined) {
        waiter.timer = setTimeout(() => {
          this.#removeWaiter(waiter);
          reject(new QueueEmpty(`Queue "${this.name}" stayed empty for ${timeoutMs} ms.`));
        }, timeoutMs);
      }
      this.#waiters.push(waiter);
    });
  }

  /** @internal The consumer is done with what it had taken. */
  settle(consumer: string): void {
    this.#inHand.delete(consumer);
  }

  /**
   * @internal A consumer (by its unique id) ended. Normal end: its items are
   * done. Abnormal: they become orphans under `name`, returned so the crash can
   * name them. Either way, its pending `get`s are withdrawn, so no item is
   * handed to a dead worker.
   */
  consumerEnded(consumer: string, normally: boolean, name: string = consumer): T[] {
    for (const waiter of this.#waiters.filter((w) => w.consumer === consumer)) {
      clearTimeout(waiter.timer);
      this.#removeWaiter(waiter);
    }
    const items = this.#inHand.get(consumer) ?? [];
    this.#inHand.delete(consumer);
    if (normally) return [];
    for (const item of items) this.#orphans.push({ item, consumer: name });
    return items;
  }

  /** @internal Withdraws the owner's waiting gets (they never settle), e.g. after a race was lost. */
  abandonOwnerGets(): void {
    this.consumerEnded(PARENT, true);
  }

  /** The marker sent to workers in place of this queue. */
  toReference(): QueueReference {
    return { __khQueue: this.id, name: this.name };
  }

  #deliver(item: T): void {
    const waiter = this.#waiters.shift();
    if (!waiter) {
      this.#items.push(item);
      return;
    }
    clearTimeout(waiter.timer);
    waiter.resolve(this.#take(waiter.consumer, item));
  }

  #take(consumer: string, item: T): T {
    if (consumer !== PARENT) this.#inHand.set(consumer, [...(this.#inHand.get(consumer) ?? []), item]);
    return item;
  }

  #removeWaiter(waiter: Waiter<T>): void {
    const index = this.#waiters.indexOf(waiter);
    if (index >= 0) this.#waiters.splice(index, 1);
  }
}
