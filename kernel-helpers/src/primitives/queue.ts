/**
 * `Queue`: a FIFO shared by the notebook and its workers (Processes, Pool tasks), with
 * the API of Python's `multiprocessing.Queue`: `put` and `get` with `block`
 * and `timeout`, `putNowait`/`getNowait`, `maxsize` with `full()`, and the
 * `QueueEmpty`/`QueueFull` errors. `JoinableQueue` (joinable-queue.ts) adds
 * Python's `taskDone()`/`join()` counting.
 *
 * Design: the queue lives in the process that created it (its owner). A
 * worker holds a proxy (queue-proxy.ts) whose calls are requests to the
 * owner (owner-channel.ts), served for that worker by queue-service.ts.
 * The owner alone decides which `get` receives which item and which waiting
 * `put` gets room (and runs the timeouts), so an item is delivered exactly
 * once, however many producers and consumers there are.
 *
 * Items a consumer has taken: an item counts as *in hand* from the moment a
 * worker's `get` receives it until that worker calls `get` again, calls
 * `taskDone()`, or exits normally (on a joinable queue: until `taskDone()`
 * for that item, and nothing else). If the worker dies before that, the item
 * is not silently lost and not silently re-queued (which could process it
 * twice): it is recorded in `queue.orphans`, named in the worker's crash
 * error, and `queue.requeueOrphans()` puts it back if the task is safe to
 * repeat.
 *
 * Items lent ahead (queue-lending.ts): a worker that takes items quickly
 * from a plain queue without a `maxsize` gets several per request. Until its
 * code takes them they are not in `length` but still count in `size()`;
 * what it does not take comes back to the front of the queue when it is
 * done, or as soon as anybody else finds the queue empty.
 *
 * Shutting down: `shutdown()` (alias `close()`) is Python 3.13's
 * `queue.Queue.shutdown()`, not multiprocessing's `Queue.close()` (see there).
 */
import { checkSendable } from "../transport/sendable";
import { checkQueueOptions, checkWaitOptions, QueueClosedError, QueueEmpty, QueueFull } from "./queue-api";
import type { GetOptions, OrphanedItem, PutOptions, QueueJoinOptions, QueueLike, QueueOptions, QueueReference } from "./queue-api";
import { Lending } from "./queue-lending";
import { NO_WAIT, OWNER, QueueRegistry, withdraw, type Putter, type QueueOwnerSide, type Waiter } from "./queue-owner-side";
import { CONSUMER_ENDED, ITEM_ADDED, JOIN_FOR, KEEPS_ITEMS, RELEASE_HELD, TASK_DONE_FOR, TO_REFERENCE } from "./queue-owner-side";

export { QueueEmpty, QueueFull, QueueClosedError, ExtraTaskDoneError, isQueueReference } from "./queue-api";
export type { GetOptions, OrphanedItem, PutOptions, QueueOptions, QueueJoinOptions, QueueLike, JoinableQueueLike, QueueReference } from "./queue-api";

const queues = new QueueRegistry<Queue<unknown>>();

/** The owner's queue with this id, for routing workers' requests. */
export function queueById(id: number): Queue<unknown> | undefined {
  return queues.get(id);
}

export let ownerSide!: QueueOwnerSide<Queue<unknown>>;

/**
 * A first-in, first-out queue shared with workers: pass it in a
 * {@link Process}'s `args`, a Pool task's arguments or a Pool's `initargs`;
 * the worker receives a proxy with the same methods.
 *
 * @example
 * const results = new Queue<[number, number]>("results");
 * const p = new Process({ target: "sumRandomNumbersToQueue", args: [1, 1_000_000, results] }).start();
 * const [id, sum] = await results.get({ timeoutMs: 10_000 });
 * await p.join();
 * @example
 * const jobs = new Queue<number>({ maxsize: 100 }); // a put waits while 100 items are waiting
 */
export class Queue<T> implements QueueLike<T> {
  /** Unique within the owner process; how workers refer to this queue. */
  readonly id: number;
  readonly name: string;
  /** The most items it holds at once; `0` means no limit (see {@link QueueOptions.maxsize}). */
  readonly maxsize: number;
  readonly #items: T[] = [];
  readonly #getters: Waiter<T>[] = [];
  readonly #putters: Putter<T>[] = [];
  readonly #inHand = new Map<string, T[]>();
  readonly #orphans: OrphanedItem<T>[] = [];
  readonly #lending = new Lending<T>();
  #closed = false;

  static {
    ownerSide = {
      put: (queue, consumer, by, item, options) => queue.#putFor(consumer, by, item, options),
      get: (queue, consumer, options) => queue.#getFor(consumer, options),
      getAhead: (queue, consumer, options, ahead, recall) => queue.#getAhead(consumer, options, ahead, recall),
      lend: (queue, consumer, wanted, recall) => queue.#lend(consumer, wanted, recall),
      used: (queue, consumer, count) => queue.#used(consumer, count),
      giveBack: (queue, consumer, count) => queue.#restore(queue.#lending.takeBack(consumer, count)),
      taskDone: (queue, consumer) => queue[TASK_DONE_FOR](consumer),
      join: (queue, consumer, options) => queue[JOIN_FOR](consumer, options),
      consumerEnded: (queue, consumer, normally, name) => queue[CONSUMER_ENDED](consumer, normally, name),
      workDone: (queue, consumer) => void (queue[KEEPS_ITEMS] || queue[RELEASE_HELD](consumer, "all")),
      abandonOwnerGets: (queue) => {
        for (const getter of queue.#getters.filter((w) => w.consumer === OWNER)) withdraw(queue.#getters, getter);
      },
    };
  }

  /**
   * @param name - shown in messages; default `queue-<id>`. Or give every
   *   option in one object: `new Queue({ name: "jobs", maxsize: 10 })`.
   * @param options - `maxsize` (see {@link QueueOptions}).
   * @throws InvalidOptionError for a bad or unknown option, naming it.
   */
  constructor(name?: string, options?: Omit<QueueOptions, "name">);
  constructor(options: QueueOptions);
  constructor(nameOrOptions?: string | QueueOptions, options?: Omit<QueueOptions, "name">) {
    const checked = checkQueueOptions(nameOrOptions, options, `\`new ${new.target.name}\``);
    this.id = queues.add(this as Queue<unknown>);
    this.name = checked.name ?? `queue-${this.id}`;
    this.maxsize = checked.maxsize;
  }

  /** Items waiting right now (synchronous; only the owner knows it). */
  get length(): number {
    return this.#items.length;
  }

  /** True once {@link Queue.shutdown} (or `close`) was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Items taken by consumers that died before finishing them (see the module comment). */
  get orphans(): readonly OrphanedItem<T>[] {
    return this.#orphans;
  }

  /**
   * Appends an item (a copy travels to whoever takes it). On a full queue it
   * waits for room, or not, as {@link PutOptions} say.
   * Rejects with {@link QueueClosedError} if the queue was shut down, with
   * {@link QueueFull} if it stays full, and with UnsendableValueError, naming
   * the path, if the item cannot be sent (a function, a class instance, a
   * SharedArrayBuffer...).
   * @example await queue.put(item, { timeoutMs: 1_000 }) // Python: queue.put(item, timeout=1)
   */
  put(item: T, options?: PutOptions): Promise<void> {
    return this.#putFor(OWNER, "the owner", item, options);
  }

  /** `put(item, { block: false })`: rejects with {@link QueueFull} at once if the queue is full. */
  putNowait(item: T): Promise<void> {
    return this.#putFor(OWNER, "the owner", item, { block: false });
  }

  /** Removes and returns the oldest item; see {@link GetOptions}. */
  get(options?: GetOptions): Promise<T> {
    return this.#getFor(OWNER, options);
  }

  /** `get({ block: false })`: the item, or a {@link QueueEmpty} rejection. */
  getNowait(): Promise<T> {
    return this.#get(OWNER, false, undefined);
  }

  /** Items put and not yet taken, counting those lent ahead to a worker and not yet used (queue-lending.ts). */
  async size(): Promise<number> {
    return this.#items.length + this.#lending.count;
  }

  async empty(): Promise<boolean> {
    return (await this.size()) === 0;
  }

  async full(): Promise<boolean> {
    return this.maxsize > 0 && this.#items.length >= this.maxsize;
  }

  /** On this plain queue: the owner is done with what it took (nothing to track). See {@link QueueLike.taskDone}. */
  async taskDone(): Promise<void> {
    this[TASK_DONE_FOR](OWNER);
  }

  /**
   * Shuts the queue down: later `put`s reject with {@link QueueClosedError},
   * and so do `get`s once the queue is empty, including those already
   * waiting (so a consumer blocked on an empty queue is released instead of
   * hanging), and `put`s waiting for room (their items are not put). Items
   * already in the queue can still be taken. Python 3.13:
   * `queue.shutdown()`.
   */
  shutdown(): void {
    this.#closed = true;
    for (const getter of this.#getters.splice(0)) {
      clearTimeout(getter.timer);
      getter.reject(new QueueClosedError(`Queue "${this.name}" was shut down while waiting for an item.`));
    }
    for (const putter of this.#putters.splice(0)) {
      clearTimeout(putter.timer);
      putter.reject(new QueueClosedError(`Queue "${this.name}" was shut down while a put waited for room: the item was not put.`));
    }
  }

  /**
   * The same as {@link Queue.shutdown} (its name before). Not Python's
   * multiprocessing `Queue.close()`, which leaves waiting getters waiting.
   */
  close(): void {
    this.shutdown();
  }

  /**
   * Puts the orphaned items back at the end of the queue (even beyond
   * `maxsize`: they had room once). @returns how many.
   */
  requeueOrphans(): number {
    const orphans = this.#orphans.splice(0);
    for (const { item } of orphans) this.#deliver(item);
    return orphans.length;
  }

  /** Takes every waiting item at once (a snapshot), without blocking; waiting `put`s then get the room. */
  drain(): T[] {
    const items = this.#items.splice(0);
    this.#admitPutters();
    return items;
  }

  /**
   * A put on behalf of a consumer (`by` names it in errors). The item must be
   * able to reach any consumer, thread or process: data only, and no shared
   * memory (a queue copies its items).
   */
  #putFor(consumer: string, by: string, item: T, options?: PutOptions): Promise<void> {
    try {
      const { block, timeoutMs } = options === undefined ? NO_WAIT : checkWaitOptions(options, "put");
      if (this.#closed) throw new QueueClosedError(`Queue "${this.name}" is shut down: no more items can be put (by ${by}).`);
      checkSendable(item, "item", { to: `queue "${this.name}"`, sharedMemory: false });
      if (this.#putters.length === 0 && !(this.maxsize > 0 && this.#items.length >= this.maxsize)) {
        this.#accept(item);
        return Promise.resolve();
      }
      const full = `Queue "${this.name}" is full (maxsize ${this.maxsize})`;
      if (!block || timeoutMs === 0) throw new QueueFull(`${full}: the item was not put (by ${by}).`);
      return new Promise<void>((resolve, reject) => {
        const putter: Putter<T> = { consumer, item, resolve, reject };
        if (timeoutMs !== undefined) {
          putter.timer = setTimeout(() => {
            withdraw(this.#putters, putter);
            reject(new QueueFull(`${full} and stayed full for ${timeoutMs} ms: the item was not put (by ${by}).`));
          }, timeoutMs);
        }
        this.#putters.push(putter);
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** A get on behalf of `consumer`, with the owner's bookkeeping of items in hand. */
  #getFor(consumer: string, options?: GetOptions): Promise<T> {
    try {
      const { block, timeoutMs } = options === undefined ? NO_WAIT : checkWaitOptions(options, "get");
      return this.#get(consumer, block, timeoutMs);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** `taskDone()` on behalf of a consumer: on this plain queue, it is done with every item it holds. */
  protected [TASK_DONE_FOR](consumer: string): void {
    this[RELEASE_HELD](consumer, "all");
  }

  /** `join()` on behalf of a consumer: only a JoinableQueue has it. */
  protected [JOIN_FOR](_consumer: string, _options?: QueueJoinOptions): Promise<boolean> {
    return Promise.reject(new Error(`Queue "${this.name}" is not joinable: create it as a JoinableQueue to join it.`));
  }

  /**
   * A consumer (by its unique id) ended. Normal end: its items are
   * done (on a joinable queue, only those it marked done). Otherwise they
   * become orphans under `name`, returned so the crash can name them. Either
   * way its waiting `get`s and `put`s are withdrawn, so no item is handed to
   * a dead worker, and none is put by one.
   */
  protected [CONSUMER_ENDED](consumer: string, normally: boolean, name: string = consumer): T[] {
    for (const getter of this.#getters.filter((w) => w.consumer === consumer)) withdraw(this.#getters, getter);
    for (const putter of this.#putters.filter((w) => w.consumer === consumer)) withdraw(this.#putters, putter);
    const held = this.#inHand.get(consumer) ?? [];
    this.#inHand.delete(consumer);
    // items lent ahead and not given back (a worker gives them back before it ends): some may have been used unreported
    const lent = this.#lending.takeBack(consumer);
    const items = normally && !this[KEEPS_ITEMS] ? lent : [...held, ...lent];
    for (const item of items) this.#orphans.push({ item, consumer: name });
    return items;
  }

  /** The marker sent to workers in place of this queue (encode-args.ts). */
  [TO_REFERENCE](): QueueReference {
    return { __khQueue: this.id, name: this.name, ...(this.maxsize > 0 ? { maxsize: this.maxsize } : {}) };
  }

  /** Called once for each item a put adds (a JoinableQueue counts them). */
  protected [ITEM_ADDED](): void {}

  /** Whether an item stays in hand until `taskDone()` (a JoinableQueue), rather than until the consumer's next get. */
  protected get [KEEPS_ITEMS](): boolean {
    return false;
  }

  /** The consumer is done with the oldest item it holds, or with all of them. */
  protected [RELEASE_HELD](consumer: string, which: "oldest" | "all"): void {
    const held = this.#inHand.get(consumer);
    if (which === "oldest" && held && held.length > 1) held.shift();
    else this.#inHand.delete(consumer);
  }

  #get(consumer: string, block: boolean, timeoutMs: number | undefined): Promise<T> {
    if (!this[KEEPS_ITEMS]) this[RELEASE_HELD](consumer, "all");
    if (this.#items.length > 0) {
      const item = this.#take(consumer, this.#items.shift() as T);
      this.#admitPutters();
      return Promise.resolve(item);
    }
    this.#lending.recallAll(consumer); // items lent to others come back for this get, or the next
    if (this.#closed) return Promise.reject(new QueueClosedError(`Queue "${this.name}" is shut down and empty.`));
    if (!block || timeoutMs === 0) return Promise.reject(new QueueEmpty(`Queue "${this.name}" is empty.`));
    return new Promise<T>((resolve, reject) => {
      const getter: Waiter<T> = { consumer, resolve, reject };
      if (timeoutMs !== undefined) {
        getter.timer = setTimeout(() => {
          withdraw(this.#getters, getter);
          reject(new QueueEmpty(`Queue "${this.name}" stayed empty for ${timeoutMs} ms.`));
        }, timeoutMs);
      }
      this.#getters.push(getter);
    });
  }

  /** A worker's get that may take more items ahead (queue-lending.ts): its item first, then those lent. */
  #getAhead(consumer: string, options: GetOptions, ahead: number, recall: () => void): Promise<T[]> {
    const waiting = this.#items.length;
    const first = this.#getFor(consumer, options);
    const more = this.#items.length === waiting - 1 ? this.#lend(consumer, ahead - 1, recall) : [];
    return first.then((item) => [item, ...more]);
  }

  /** Lends up to `wanted` waiting items to a worker's consumer, at most a fair share (none on a bounded or joinable queue). */
  #lend(consumer: string, wanted: number, recall: () => void): T[] {
    if (this[KEEPS_ITEMS] || this.maxsize > 0) return [];
    const more = this.#items.splice(0, Lending.fitting(this.#items, this.#lending.share(wanted, this.#items.length)));
    if (more.length > 0) this.#lending.lend(consumer, more, recall);
    return more;
  }

  /** The consumer's code took its `count` oldest lent items: the last is now in its hand (as after a get). */
  #used(consumer: string, count: number): void {
    const taken = this.#lending.used(consumer, count);
    if (taken.length === 0) return;
    this[RELEASE_HELD](consumer, "all");
    this.#take(consumer, taken[taken.length - 1] as T);
  }

  /** Items given back (not used): to the front of the queue, in order, the longest-waiting gets first. */
  #restore(items: T[]): void {
    let next = 0;
    for (; next < items.length && this.#getters.length > 0; next++) {
      const getter = this.#getters.shift() as Waiter<T>;
      clearTimeout(getter.timer);
      getter.resolve(this.#take(getter.consumer, items[next] as T));
    }
    this.#items.unshift(...items.slice(next));
  }

  /** An item a put adds: counted, then handed to the longest-waiting get or queued. */
  #accept(item: T): void {
    this[ITEM_ADDED]();
    this.#deliver(item);
  }

  #deliver(item: T): void {
    const getter = this.#getters.shift();
    if (!getter) {
      this.#items.push(item);
      return;
    }
    clearTimeout(getter.timer);
    getter.resolve(this.#take(getter.consumer, item));
  }

  /** Room was made: the longest-waiting puts add their items, in order. */
  #admitPutters(): void {
    while (this.#putters.length > 0 && this.#items.length < this.maxsize) {
      const putter = this.#putters.shift() as Putter<T>;
      clearTimeout(putter.timer);
      this.#accept(putter.item);
      putter.resolve();
    }
  }

  #take(consumer: string, item: T): T {
    if (consumer !== OWNER) {
      const held = this.#inHand.get(consumer);
      if (held) held.push(item);
      else this.#inHand.set(consumer, [item]);
    }
    return item;
  }
}
