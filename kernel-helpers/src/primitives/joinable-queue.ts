/**
 * `JoinableQueue`: a {@link Queue} that counts the items put and not yet
 * done, as Python's `multiprocessing.JoinableQueue`: a consumer calls
 * `taskDone()` once per item it took, and `join()` waits until every item
 * ever put has been marked done. The count lives in the owner, like the
 * items; workers' `taskDone()` and `join()` are requests to it.
 */
import { Queue } from "./queue";
import { CONSUMER_ENDED, ITEM_ADDED, JOIN_FOR, KEEPS_ITEMS, OWNER, RELEASE_HELD, TASK_DONE_FOR, TO_REFERENCE, withdraw } from "./queue-owner-side";
import { checkQueueJoinOptions, ExtraTaskDoneError, type JoinableQueueLike, type QueueJoinOptions, type QueueReference } from "./queue-api";

/** A `join()` waiting in the owner, on behalf of a consumer (by its unique id). */
interface Joiner {
  consumer: string;
  resolve: (allDone: boolean) => void;
  timer?: NodeJS.Timeout;
}

/**
 * A queue whose items are marked done one by one, so the producer can wait
 * for the work, not only for the queue to be empty. Pass it to workers like a
 * {@link Queue}: the worker's proxy has `taskDone()` and `join()`.
 *
 * An item stays in its consumer's hand until `taskDone()` (not until the
 * consumer's next `get`, as on a plain queue): if the consumer ends without
 * marking it done, it is listed in `orphans` and `join()` keeps waiting for
 * it, as Python's does, until `requeueOrphans()` lets another consumer do it.
 *
 * @example
 * const jobs = new JoinableQueue<number>("jobs");
 * const workers = [1, 2].map(() => new Process({ target: consumeAndMarkDone, args: [jobs] }).start());
 * for (const n of numbers) await jobs.put(n);
 * await jobs.join();       // every item was marked done with taskDone()
 */
export class JoinableQueue<T> extends Queue<T> implements JoinableQueueLike<T> {
  #unfinished = 0;
  readonly #joiners: Joiner[] = [];

  /** Items put and not yet marked done (Python keeps this count private). */
  get unfinished(): number {
    return this.#unfinished;
  }

  /**
   * Marks one item done, as Python's `task_done()`: call it once for each
   * item taken with `get`. Rejects with {@link ExtraTaskDoneError} when
   * called more times than items were put.
   */
  override async taskDone(): Promise<void> {
    this[TASK_DONE_FOR](OWNER);
  }

  /**
   * Waits until every item ever put has been marked done with `taskDone()`:
   * resolves `true` then (at once if none is pending), or `false` when
   * `timeoutMs` passed first. Python: `JoinableQueue.join()`.
   * @example if (!(await jobs.join({ timeoutMs: 60_000 }))) console.log(`${jobs.unfinished} items not done yet`);
   */
  join(options?: QueueJoinOptions): Promise<boolean> {
    return this[JOIN_FOR](OWNER, options);
  }

  /** `taskDone()` on behalf of a consumer: one item done, the oldest it holds. */
  protected override [TASK_DONE_FOR](consumer: string): void {
    if (this.#unfinished === 0) {
      throw new ExtraTaskDoneError(
        `taskDone() was called on queue "${this.name}" more times than items were put on it ` +
          "(Python: ValueError: task_done() called too many times). Call it once for each item taken with get().",
      );
    }
    this[RELEASE_HELD](consumer, "oldest");
    if (--this.#unfinished > 0) return;
    for (const joiner of this.#joiners.splice(0)) {
      clearTimeout(joiner.timer);
      joiner.resolve(true);
    }
  }

  /** A `join()` on behalf of a consumer. */
  protected override [JOIN_FOR](consumer: string, options?: QueueJoinOptions): Promise<boolean> {
    let timeoutMs: number | undefined;
    try {
      ({ timeoutMs } = checkQueueJoinOptions(options));
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#unfinished === 0) return Promise.resolve(true);
    if (timeoutMs === 0) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const joiner: Joiner = { consumer, resolve };
      if (timeoutMs !== undefined) {
        joiner.timer = setTimeout(() => {
          withdraw(this.#joiners, joiner);
          resolve(false);
        }, timeoutMs);
      }
      this.#joiners.push(joiner);
    });
  }

  /** Also withdraws the consumer's waiting `join()`s. */
  protected override [CONSUMER_ENDED](consumer: string, normally: boolean, name: string = consumer): T[] {
    for (const joiner of this.#joiners.filter((j) => j.consumer === consumer)) withdraw(this.#joiners, joiner);
    return super[CONSUMER_ENDED](consumer, normally, name);
  }

  /** The marker sent to workers: their proxy then has `join()`. */
  override [TO_REFERENCE](): QueueReference {
    return { ...super[TO_REFERENCE](), joinable: true };
  }

  protected override [ITEM_ADDED](): void {
    this.#unfinished++;
  }

  protected override get [KEEPS_ITEMS](): boolean {
    return true;
  }
}
