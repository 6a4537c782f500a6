/**
 * A worker's side of its queues (a Process, a pool worker of either
 * backend): the proxies for the queue references in its arguments
 * (queue-proxy.ts), their requests to the owner and its answers, the quiet
 * puts (see QuietPuts there) and the items lent ahead (queue-ahead.ts).
 *
 * Puts held back: while lent items wait here (a quick job loop), a put does
 * not leave at once; the puts go together in one message when no lent item
 * is left, before any other request (a top-up, a get), or when the code
 * yields (`process.nextTick`), whichever comes first. A quick consumer then
 * costs the owner one message per batch instead of one per item, and a put
 * is delayed at most until the worker's next queue request, the end of its
 * lent items or its next wait. Nothing else is held back.
 */
import { PendingRequests, packValue, rebuildChannelError, unpackValue, type ChannelError } from "./owner-channel";
import { AheadBuffer } from "./queue-ahead";
import { queueProxy, type QuietPuts } from "./queue-proxy";
import type { QueueLike, QueueReference, QueueRequest } from "../primitives/queue-api";

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
  /** Items lent ahead, per queue id (shared by the proxies of one queue). */
  readonly #ahead = new Map<number, AheadBuffer>();
  /** Puts held back (see the module comment), for one queue, in order. */
  #held: { queueId: number; items: unknown[] } | undefined;
  #flushAtYield = false;
  readonly #quiet: QuietPuts = {
    fire: (operation) => {
      this.#quietSince++;
      this.#lastQuietQueue = operation.queueId;
      const lentWaiting = this.#lentWaiting();
      if (operation.op !== "put" || (!lentWaiting && !this.#held)) {
        this.#requests.fire((id) => this.#send(id, operation));
        return;
      }
      if (this.#held && this.#held.queueId !== operation.queueId) this.#flush();
      (this.#held ??= { queueId: operation.queueId, items: [] }).items.push(operation.item);
      if (!lentWaiting) this.#flush();
      else if (!this.#flushAtYield) {
        this.#flushAtYield = true;
        process.nextTick(() => {
          this.#flushAtYield = false;
          this.#flush();
        });
      }
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
  readonly proxy = (reference: QueueReference): QueueLike<unknown> => {
    let ahead = this.#ahead.get(reference.__khQueue);
    if (!ahead) this.#ahead.set(reference.__khQueue, (ahead = new AheadBuffer()));
    return queueProxy(reference, (operation) => this.#requests.request((id) => this.#send(id, operation)), this.#quiet, ahead);
  };

  /** Sends a request, with the lent items of every queue that the worker's code took since the last one (queue-ahead.ts). */
  #send(id: number, operation: QueueRequest): void {
    this.#flush(); // held puts go first
    this.#sendNow(id, operation);
  }

  #sendNow(id: number, operation: QueueRequest): void {
    let used: [number, number][] | undefined;
    for (const [queueId, ahead] of this.#ahead) {
      const count = ahead.report();
      if (count > 0) (used ??= []).push([queueId, count]);
    }
    const packed =
      operation.item !== undefined
        ? { ...operation, item: packValue(operation.item, this.viaJson) }
        : operation.items !== undefined
          ? { ...operation, items: packValue(operation.items, this.viaJson) }
          : operation;
    this.send({ kind: "request", id, operation: used ? { ...packed, used } : packed });
  }

  /** True while items lent ahead wait here for the worker's code. */
  #lentWaiting(): boolean {
    for (const ahead of this.#ahead.values()) if (ahead.size > 0) return true;
    return false;
  }

  /** Sends the held puts now, in one message (also at the worker's `exit`, for a code that ends the process itself). */
  flush(): void {
    this.#flush();
  }

  #flush(): void {
    const held = this.#held;
    if (!held) return;
    this.#held = undefined;
    const operation: QueueRequest = held.items.length === 1 ? { queueId: held.queueId, op: "put", item: held.items[0], quiet: true } : { queueId: held.queueId, op: "put", items: held.items, quiet: true };
    this.#requests.fire((id) => this.#sendNow(id, operation));
  }

  /**
   * Undefined when no quiet put was sent since the last call (the usual case,
   * at no cost). Else asks the owner one question behind them (the channel
   * keeps order, so its answer comes after any failure of theirs) and
   * rejects with the first failure. A task or target is done only after this.
   * Lent items go back first ({@link WorkerQueues.giveBack}).
   */
  settle(): Promise<void> | undefined {
    const refills = [...this.#ahead.values()].flatMap((ahead) => (ahead.refill ? [ahead.refill] : []));
    if (refills.length > 0) return Promise.all(refills).then(() => this.settle()); // their items go back too
    this.giveBack();
    if (this.#quietSince === 0 && !this.#quietFailure) return undefined;
    const queueId = this.#lastQuietQueue;
    this.#quietSince = 0;
    return this.#requests.request((id) => this.#send(id, { queueId, op: "size" })).then(() => this.#quiet.check());
  }

  /**
   * Gives the owner back every lent item the worker's code did not take, and
   * reports those it took (queue-ahead.ts): before its task or target ends,
   * and before it fails, so that no item stays lent to a worker that is done.
   */
  giveBack(): void {
    for (const [queueId, ahead] of this.#ahead) this.#giveBack(queueId, ahead);
  }

  #giveBack(queueId: number, ahead: AheadBuffer): void {
    if (!ahead.owes) return;
    const count = ahead.size;
    ahead.clear(); // what was used is reported with the giveBack (#send)
    this.#quiet.fire({ queueId, op: "giveBack", count, quiet: true });
  }

  /**
   * Takes `message` if it is an answer to one of these requests, or the
   * owner asking for lent items back (`kind: "recall"`, somebody else found
   * the queue empty). @returns false for any other message.
   */
  take(message: unknown): boolean {
    const m = message as { kind?: unknown; ok?: unknown; value?: unknown; queueId?: unknown } | null;
    if (typeof m === "object" && m !== null && m.kind === "recall") {
      const ahead = this.#ahead.get(Number(m.queueId));
      if (ahead) this.#giveBack(Number(m.queueId), ahead);
      return true;
    }
    if (typeof m !== "object" || m === null || m.kind !== "answer") return false;
    const answered = this.#requests.settle(m.ok === true ? { ...m, value: unpackValue(m.value, this.viaJson) } : m);
    // an answer to no waiting request is a quiet put's failure
    if (!answered && m.ok === false) this.#quietFailure ??= rebuildChannelError((m as { error?: ChannelError }).error);
    return true;
  }
}
