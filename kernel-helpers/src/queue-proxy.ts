/**
 * The worker's side of a queue: a proxy with the queue's methods, each one a
 * request answered by the queue's owner, which alone decides (see queue.ts).
 * The proxy only checks what it can check locally (options, items that
 * cannot travel), so a mistake is reported in the worker that made it,
 * before the channel sees it. It does not know how requests travel: the
 * worker entry script gives it a `request` function (owner-channel.ts's
 * PendingRequests over that worker's channel).
 */
import { PendingRequests, packValue, unpackValue } from "./owner-channel";
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
} from "./queue-api";

/** Sends a request to the owner; resolves with its answer, or rejects with the owner's error, rebuilt as its class (owner-channel.ts). */
export type SendQueueRequest = (request: QueueRequest) => Promise<unknown>;

/** A plain queue, seen from a worker. */
class QueueProxy<T> implements QueueLike<T> {
  constructor(
    readonly id: number,
    readonly name: string,
    protected readonly request: SendQueueRequest,
  ) {}
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
export function queueProxy(reference: QueueReference, request: SendQueueRequest): QueueLike<unknown> {
  const Proxy = reference.joinable ? JoinableQueueProxy : QueueProxy;
  return new Proxy(reference.__khQueue, reference.name, request);
}

/**
 * The worker's side of its queues, for any worker (a Process, a pool worker
 * of either backend): proxies for the queue references in its arguments,
 * whose requests go out with `send` as `{ kind: "request", id, operation }`,
 * and the owner's answers (`kind: "answer"`), which settle them.
 */
export class WorkerQueues {
  readonly #requests = new PendingRequests();

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
    queueProxy(reference, (operation) =>
      this.#requests.request((id) => {
        const packed = operation.item === undefined ? operation : { ...operation, item: packValue(operation.item, this.viaJson) };
        this.send({ kind: "request", id, operation: packed });
      }),
    );

  /** Takes `message` if it is an answer to one of these requests. @returns false for any other message. */
  take(message: unknown): boolean {
    const m = message as { kind?: unknown; ok?: unknown; value?: unknown } | null;
    if (typeof m !== "object" || m === null || m.kind !== "answer") return false;
    this.#requests.settle(m.ok === true ? { ...m, value: unpackValue(m.value, this.viaJson) } : m);
    return true;
  }
}
