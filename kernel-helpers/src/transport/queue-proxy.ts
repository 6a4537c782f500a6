/**
 * The worker's side of a queue: a proxy with the queue's methods, each one a
 * request answered by the queue's owner, which alone decides (see queue.ts).
 * The proxy only checks what it can check locally (options, items that
 * cannot travel), so a mistake is reported in the worker that made it,
 * before the channel sees it. It does not know how requests travel: the
 * worker entry script gives it a `request` function (owner-channel.ts's
 * PendingRequests over that worker's channel).
 */
import { PendingRequests, packValue, rebuildChannelError, unpackValue, type ChannelError } from "./owner-channel";
import { checkSendable } from "./sendable";
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
    return (await this.request({ queueId: this.id, op: "get", block, timeoutMs })) as T;
  }
  async getNowait(): Promise<T> {
    return (await this.request({ queueId: this.id, op: "get", block: false })) as T;
  }
  async size(): Promise<number> {
    return (await this.request({ queueId: this.id, op: "size" })) as number;
  }
  async empty(): Promise<boolean> {
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
export function queueProxy(reference: QueueReference, request: SendQueueRequest, quiet?: QuietPuts): QueueLike<unknown> {
  const Proxy = reference.joinable ? JoinableQueueProxy : QueueProxy;
  const bounded = typeof reference.maxsize === "number" && reference.maxsize > 0;
  return new Proxy(reference.__khQueue, reference.name, request, bounded ? undefined : quiet);
}

/**
 * The worker's side of its queues, for any worker (a Process, a pool worker
 * of either backend): proxies for the queue references in its arguments,
 * whose requests go out with `send` as `{ kind: "request", id, operation }`,
 * and the owner's answers (`kind: "answer"`), which settle them.
 */
export class WorkerQueues {
  readonly #requests = new PendingRequests();
  /** Quiet puts sent since the last {@link WorkerQueues.settle}, and the queue of the last one. */
  #quietSince = 0;
  #lastQuietQueue = 0;
  /** The first quiet put that failed and was not reported yet. */
  #quietFailure: Error | undefined;
  readonly #quiet: QuietPuts = {
    fire: (operation) => {
      this.#quietSince++;
      this.#lastQuietQueue = operation.queueId;
      this.#requests.fire((id) => this.#send(id, operation));
    },
    check: () => {
      const failure = this.#quietFailure;
      this.#quietFailure = undefined;
      if (failure) throw failure;
    },
  };

  /**
   * @param send - sends a message to the owner on this worker's channel.
   * @param viaJson - the channel is Node's JSON IPC (a process pool's worker): items and values travel packed.
   */
  constructor(
    private readonly send: (message: object) => void,
    private readonly viaJson = false,
  ) {}

  /** The proxy for a queue reference found in the arguments (for decodeArgs). */
  readonly proxy = (reference: QueueReference): QueueLike<unknown> =>
    queueProxy(reference, (operation) => this.#requests.request((id) => this.#send(id, operation)), this.#quiet);

  #send(id: number, operation: QueueRequest): void {
    const packed = operation.item === undefined ? operation : { ...operation, item: packValue(operation.item, this.viaJson) };
    this.send({ kind: "request", id, operation: packed });
  }

  /**
   * Undefined when no quiet put was sent since the last call (the usual case,
   * at no cost). Else asks the owner one question behind them (the channel
   * keeps order, so its answer comes after any failure of theirs) and
   * rejects with the first failure. A task or target is done only after this.
   */
  settle(): Promise<void> | undefined {
    if (this.#quietSince === 0 && !this.#quietFailure) return undefined;
    const queueId = this.#lastQuietQueue;
    this.#quietSince = 0;
    return this.#requests.request((id) => this.#send(id, { queueId, op: "size" })).then(() => this.#quiet.check());
  }

  /** Takes `message` if it is an answer to one of these requests. @returns false for any other message. */
  take(message: unknown): boolean {
    const m = message as { kind?: unknown; ok?: unknown; value?: unknown } | null;
    if (typeof m !== "object" || m === null || m.kind !== "answer") return false;
    const answered = this.#requests.settle(m.ok === true ? { ...m, value: unpackValue(m.value, this.viaJson) } : m);
    // an answer to no waiting request is a quiet put's failure
    if (!answered && m.ok === false) this.#quietFailure ??= rebuildChannelError((m as { error?: ChannelError }).error);
    return true;
  }
}
