/**
 * The owner's side of a {@link Queue} that is not its public API: the calls
 * waiting in the owner, the owner's own consumer id, and the interface
 * through which queue-service.ts serves workers' requests (queue.ts sets
 * it). Shared by queue.ts and joinable-queue.ts.
 */
import type { GetOptions, PutOptions, QueueJoinOptions } from "./queue-api";

/** A `get` or a `put` waiting in the owner, on behalf of a consumer (by its unique id). */
export interface Waiter<V> {
  consumer: string;
  resolve: (value: V) => void;
  reject: (error: Error) => void;
  timer?: NodeJS.Timeout;
}
export interface Putter<T> extends Waiter<void> {
  item: T;
}

/**
 * Keys of the owner-side methods that a JoinableQueue overrides or calls:
 * symbols that the package does not export, so they are no part of a queue's
 * surface (TypeScript's `protected` is gone at run time).
 */
export const TASK_DONE_FOR: unique symbol = Symbol("taskDoneFor");
export const JOIN_FOR: unique symbol = Symbol("joinFor");
export const CONSUMER_ENDED: unique symbol = Symbol("consumerEnded");
export const RELEASE_HELD: unique symbol = Symbol("releaseHeld");
export const ITEM_ADDED: unique symbol = Symbol("itemAdded");
export const KEEPS_ITEMS: unique symbol = Symbol("keepsItemsUntilTaskDone");
export const TO_REFERENCE: unique symbol = Symbol("toReference");

/** The consumer id of the owner itself (its items in hand are not tracked). */
export const OWNER = "(owner)";
export const NO_WAIT = { block: true, timeoutMs: undefined } as const;

/**
 * The queues of this process by id, for routing workers' requests. Weak, so
 * a long notebook session does not keep every queue it ever made; a running
 * Process holds its own queues strongly while it needs them.
 */
export class QueueRegistry<Q extends object> {
  readonly #queues = new Map<number, WeakRef<Q>>();
  readonly #forget = new FinalizationRegistry<number>((id) => this.#queues.delete(id));
  #nextId = 1;

  /** Registers a new queue. @returns its id. */
  add(queue: Q): number {
    const id = this.#nextId++;
    this.#queues.set(id, new WeakRef(queue));
    this.#forget.register(queue, id);
    return id;
  }

  get(id: number): Q | undefined {
    return this.#queues.get(id)?.deref();
  }
}

/** Removes a waiting call from `list` and stops its timer. */
export function withdraw<W extends { timer?: NodeJS.Timeout }>(list: W[], entry: W): void {
  clearTimeout(entry.timer);
  const index = list.indexOf(entry);
  if (index >= 0) list.splice(index, 1);
}

/** The owner's side, per consumer (by unique id): not a Queue's API; for queue-service.ts and collect-results.ts, set by Queue's static block. */
export interface QueueOwnerSide<Q> {
  put(queue: Q, consumer: string, by: string, item: unknown, options?: PutOptions): Promise<void>;
  get(queue: Q, consumer: string, options?: GetOptions): Promise<unknown>;
  /** A get that may lend up to `ahead - 1` more items (queue-lending.ts); `recall` asks the consumer to return them. */
  getAhead(queue: Q, consumer: string, options: GetOptions, ahead: number, recall: () => void): Promise<unknown[]>;
  /** Lends up to `wanted` more items at once, without waiting (a worker topping up what it holds); `recall` as for getAhead. */
  lend(queue: Q, consumer: string, wanted: number, recall: () => void): unknown[];
  /** The consumer's code took its `count` oldest lent items. */
  used(queue: Q, consumer: string, count: number): void;
  /** The consumer returns the `count` oldest lent items (those it did not take): back to the front of the queue. */
  giveBack(queue: Q, consumer: string, count: number): void;
  taskDone(queue: Q, consumer: string): void;
  join(queue: Q, consumer: string, options?: QueueJoinOptions): Promise<boolean>;
  consumerEnded(queue: Q, consumer: string, normally: boolean, name: string): unknown[];
  /** The consumer finished a piece of work (a pool task): on a plain queue, what it took is done. */
  workDone(queue: Q, consumer: string): void;
  /** Withdraws the owner's waiting gets (they never settle), e.g. after a race was lost. */
  abandonOwnerGets(queue: Q): void;
}
