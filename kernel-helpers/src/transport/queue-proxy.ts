/**
 * The worker's side of a queue: a proxy with the queue's methods, each one a
 * request answered by the queue's owner, which alone decides (see queue.ts).
 * The proxy only checks what it can check locally (options, items that
 * cannot travel), so a mistake is reported in the worker that made it,
 * before the channel sees it. It does not know how requests travel: the
 * worker entry script gives it a `request` function (owner-channel.ts's
 * PendingRequests over that worker's channel).
 */
import { checkSendable } from "./sendable";
import type { AheadBuffer } from "./queue-ahead";
import {
  checkQueueJoinOptions,
  checkWaitOptions,
  type GetOptions,
  type JoinableQueueLike,
  type PutOptions,
  type QueueJoinOptions,
  type QueueLike,
  type QueueReference,
  type QueueRequest,
} from "../primitives/queue-api";

/** Sends a request to the owner; resolves with its answer, or rejects with the owner's error, rebuilt as its class (owner-channel.ts). */
export type SendQueueRequest = (request: QueueRequest) => Promise<unknown>;

/**
 * A worker's puts that it did not wait for. A put to a queue without a
 * `maxsize` never waits for room, so the worker goes on at once, as Python's
 * `put` does (a feeder thread sends its items), instead of waiting a round
 * trip to the owner for each item; the channel keeps order, so the owner has
 * the item before anything the worker asks later. The owner answers such a
 * put only when it fails (the queue was shut down): that error rejects the
 * worker's next queue call or, at the latest, its task or target when it
 * ends ({@link WorkerQueues.settle}), so nothing is lost silently.
 */
export interface QuietPuts {
  /** Sends a put nobody waits for. */
  fire(operation: QueueRequest): void;
  /** Throws (once) the error of a quiet put that failed. */
  check(): void;
}

/** A plain queue, seen from a worker. */
class QueueProxy<T> implements QueueLike<T> {
  constructor(
    readonly id: number,
    readonly name: string,
    private readonly send: SendQueueRequest,
    /** Present for a queue without a `maxsize`: its puts are not waited for. */
    private readonly quiet?: QuietPuts,
    /** Present for a plain queue without a `maxsize`: items lent ahead (queue-ahead.ts). */
    private readonly ahead?: AheadBuffer,
  ) {}
  /** Sends a request and waits for its answer, after reporting a quiet put that failed. */
  protected request(operation: QueueRequest): Promise<unknown> {
    try {
      this.quiet?.check();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.send(operation);
  }
  async put(item: T, options?: PutOptions): Promise<void> {
    const { block, timeoutMs } = checkWaitOptions(options, "put");
    await this.#put(item, block, timeoutMs);
  }
  putNowait(item: T): Promise<void> {
    return this.#put(item, false, undefined);
  }
  async get(options?: GetOptions): Promise<T> {
    const { block, timeoutMs } = checkWaitOptions(options, "get");
    return (await this.#get(block, timeoutMs)) as T;
  }
  async getNowait(): Promise<T> {
    return (await this.#get(false, undefined)) as T;
  }
  /** From the items lent ahead if any wait here, else from the owner (asking for more at once when this consumer is quick). */
  #get(block: boolean, timeoutMs: number | undefined): Promise<unknown> {
    const ahead = this.ahead;
    if (!ahead) return this.request({ queueId: this.id, op: "get", block, timeoutMs });
    if (ahead.size > 0) {
      try {
        this.quiet?.check();
      } catch (error) {
        return Promise.reject(error);
      }
      const item = ahead.take();
      this.#topUp(ahead);
      return Promise.resolve(item);
    }
    const refill = ahead.refill;
    if (refill) return refill.then(() => this.#get(block, timeoutMs)); // its items come first
    const asked = ahead.ask();
    const operation: QueueRequest = { queueId: this.id, op: "get", block, timeoutMs, ...(asked > 1 ? { ahead: asked } : {}) };
    return this.request(operation).then((value) => ahead.received(value, asked));
  }
  /** Asks for more lent items in the background when it is time (queue-ahead.ts); not through `request`, which would take a quiet put's failure meant for the code. */
  #topUp(ahead: AheadBuffer): void {
    const wanted = ahead.wantsTopUp();
    if (wanted > 0) ahead.toppingUp(this.send({ queueId: this.id, op: "lend", ahead: wanted }));
  }
  /** Items put and not yet taken (the owner's count, which includes those lent ahead here). */
  async size(): Promise<number> {
    return (await this.request({ queueId: this.id, op: "size" })) as number;
  }
  async empty(): Promise<boolean> {
    if (this.ahead && this.ahead.size > 0) return false;
    return (await this.size()) === 0;
  }
  async full(): Promise<boolean> {
    return (await this.request({ queueId: this.id, op: "full" })) as boolean;
  }
  async taskDone(): Promise<void> {
    await this.request({ queueId: this.id, op: "taskDone" });
  }
  async #put(item: T, block: boolean, timeoutMs: number | undefined): Promise<void> {
    checkSendable(item, "item", { to: `queue "${this.name}"`, sharedMemory: false });
    if (this.quiet) {
      this.quiet.check();
      this.quiet.fire({ queueId: this.id, op: "put", item, block, timeoutMs, quiet: true });
      return;
    }
    await this.request({ queueId: this.id, op: "put", item, block, timeoutMs });
  }
}

/** A joinable queue, seen from a worker: `join()` waits in the owner. */
class JoinableQueueProxy<T> extends QueueProxy<T> implements JoinableQueueLike<T> {
  async join(options?: QueueJoinOptions): Promise<boolean> {
    const { timeoutMs } = checkQueueJoinOptions(options);
    return (await this.request({ queueId: this.id, op: "join", timeoutMs })) as boolean;
  }
}

/** The proxy for a queue reference: joinable or plain, as the owner's queue is. */
export function queueProxy(reference: QueueReference, request: SendQueueRequest, quiet?: QuietPuts, ahead?: AheadBuffer): QueueLike<unknown> {
  const bounded = typeof reference.maxsize === "number" && reference.maxsize > 0;
  if (reference.joinable) return new JoinableQueueProxy(reference.__khQueue, reference.name, request, bounded ? undefined : quiet);
  return new QueueProxy(reference.__khQueue, reference.name, request, bounded ? undefined : quiet, bounded ? undefined : ahead);
}
