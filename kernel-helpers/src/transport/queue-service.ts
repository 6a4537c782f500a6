/**
 * The owner's side of workers' queue requests (owner-channel.ts): one
 * {@link QueueClient} per worker turns each request, checked for its form,
 * into a call on the owner's queue on behalf of that worker, so the owner
 * keeps deciding alone (exactly-once delivery, items in hand, waiting puts,
 * the joinable count), and settles the worker's share when it ends.
 */
import { ProtocolError } from "../primitives/errors";
import { answerRequest, isChannelRequest, packValue, unpackValue, type ChannelAnswer } from "./owner-channel";
import { ownerSide, queueById, type Queue } from "../primitives/queue";
import { QUEUE_OPERATIONS, type QueueRecall, type QueueRequest } from "../primitives/queue-api";
import { describeValue } from "../primitives/validate";
import { MAX_AHEAD } from "../primitives/queue-lending";

let clientCount = 0;

/** One worker (a Process, a pool worker) as a consumer of this process's queues. */
export class QueueClient {
  /** Unique key for the queues' bookkeeping (names may repeat). */
  readonly id: string;
  /** The queues this worker may use, held strongly (the registry is weak) until it ends. */
  readonly #queues = new Set<Queue<unknown>>();
  /** Sends a message to the worker (the last channel a request came on): how lent items are asked back. */
  #answer: ((message: ({ kind: "answer" } & ChannelAnswer) | QueueRecall) => void) | undefined;

  /**
   * @param name - the worker's name, for messages.
   * @param viaJson - its channel is Node's JSON IPC (a process pool's worker): items and values travel packed.
   */
  constructor(
    readonly name: string,
    private readonly viaJson = false,
  ) {
    this.id = `${name}#${++clientCount}`;
  }

  /**
   * Takes `message` if it is a queue request (`kind: "request"`): serves it
   * and sends the answer (`kind: "answer"`) with `send` once it settles. A
   * malformed request is answered with a ProtocolError when it has an id,
   * else dropped; the owner and its queues are unharmed either way.
   * @returns false for any other message.
   */
  take(message: unknown, send: (answer: ({ kind: "answer" } & ChannelAnswer) | QueueRecall) => void): boolean {
    if ((message as { kind?: unknown } | null)?.kind !== "request") return false;
    let problem = malformedQueueMessage(message);
    const { id } = message as { id: number };
    let operation = (message as { operation: QueueRequest }).operation;
    if (problem === undefined) {
      operation = this.#unpacked(operation);
      if (operation.items !== undefined && !Array.isArray(operation.items)) problem = "a put of items that are not a list";
    }
    const reply = (answer: ChannelAnswer): void => send({ kind: "answer", ...(answer.ok ? { ...answer, value: packValue(answer.value, this.viaJson) } : answer) });
    const failQuietPut = (error: unknown): void => answerRequest(id, () => {
      throw error;
    }, reply);
    this.#answer = send;
    if (problem === undefined) this.#used(operation.used);
    if (problem === undefined && operation.quiet === true && operation.op === "giveBack") {
      answerRequest(id, () => this.#giveBack(operation), (answer) => answer.ok || reply(answer)); // only a failure is answered
    } else if (problem === undefined && operation.quiet === true && this.#putQuietly(operation, failQuietPut)) {
      // a put the worker does not wait for went in: no answer (only a failure is answered)
    } else if (problem === undefined) {
      answerRequest(id, () => this.#serve(operation), reply);
    } else if (Number.isSafeInteger(id)) {
      answerRequest(id, () => {
        throw new ProtocolError(`${this.name} sent a malformed queue request (${problem}).`);
      }, reply);
    }
    return true;
  }

  /**
   * A put the worker does not wait for, into a queue without a `maxsize`
   * that is not shut down: the item goes in now, in the order the worker's
   * requests came. @returns false when the put must be answered after all
   * (a queue with a maxsize, or one shut down: the worker learns of the
   * failure at its next queue call, or when its task or target ends).
   */
  #putQuietly(request: QueueRequest, fail: (error: unknown) => void): boolean {
    const queue = queueById(request.queueId);
    if (!queue || queue.maxsize > 0 || queue.closed) return false;
    this.#queues.add(queue);
    // an open queue without a maxsize takes the items at once; a failure (an item refused here) is answered
    for (const item of request.items ?? [request.item]) ownerSide.put(queue, this.id, this.name, item).catch(fail);
    return true;
  }

  /** The request with its item, or items, as they were in the worker (they travel packed over a JSON channel). */
  #unpacked(request: QueueRequest): QueueRequest {
    if (request.item !== undefined) return { ...request, item: unpackValue(request.item, this.viaJson) };
    if (request.items !== undefined) return { ...request, items: unpackValue(request.items, this.viaJson) as unknown[] };
    return request;
  }

  /** The queue a request is for (held from now on), after the worker's report of lent items it used. @throws if there is none. */
  #queue(request: QueueRequest): Queue<unknown> {
    const queue = queueById(request.queueId);
    if (!queue) throw new Error(`No queue with id ${request.queueId} in the owner process.`);
    this.#queues.add(queue);
    return queue;
  }

  /** The worker's report of the lent items its code took, per queue (queue-ahead.ts), before what it asks now. */
  #used(used: QueueRequest["used"]): void {
    for (const [queueId, count] of used ?? []) {
      const queue = queueById(queueId);
      if (queue) ownerSide.used(queue, this.id, count);
    }
  }

  /** Asks the worker to give back what `queue` lent it (queue-ahead.ts). */
  #recall(queue: Queue<unknown>): () => void {
    return () => this.#answer?.({ kind: "recall", queueId: queue.id });
  }

  /** The worker returns the lent items its code did not take (queue-ahead.ts). */
  #giveBack(request: QueueRequest): void {
    ownerSide.giveBack(this.#queue(request), this.id, request.count ?? 0);
  }

  /** Holds the queues with these ids (those in the worker's arguments), so that they live as long as it may use them. */
  hold(queueIds: Iterable<number>): void {
    for (const id of queueIds) {
      const queue = queueById(id);
      if (queue) this.#queues.add(queue);
    }
  }

  /**
   * Does what the worker asked of a queue of this process.
   * @returns the answer (the item of a `get`, the size...), or a rejection
   *   (or a throw) with the error the worker's call should reject with.
   */
  #serve(request: QueueRequest): Promise<unknown> {
    const queue = this.#queue(request);
    const waiting = { block: request.block, timeoutMs: request.timeoutMs };
    switch (request.op) {
      case "put":
        if (request.items === undefined) return ownerSide.put(queue, this.id, this.name, request.item, waiting);
        return request.items.reduce<Promise<void>>((previous, item) => previous.then(() => ownerSide.put(queue, this.id, this.name, item, waiting)), Promise.resolve());
      case "get":
        if (request.ahead === undefined || request.ahead <= 1) return ownerSide.get(queue, this.id, waiting);
        return ownerSide.getAhead(queue, this.id, waiting, request.ahead, this.#recall(queue));
      case "lend":
        return Promise.resolve(ownerSide.lend(queue, this.id, request.ahead ?? 1, this.#recall(queue)));
      case "giveBack":
        return Promise.resolve(this.#giveBack(request));
      case "size":
        return queue.size();
      case "full":
        return queue.full();
      case "taskDone":
        return Promise.resolve(ownerSide.taskDone(queue, this.id));
      case "join":
        return ownerSide.join(queue, this.id, { timeoutMs: request.timeoutMs });
    }
  }

  /**
   * A piece of the worker's work ended (a pool task answered): on a plain
   * queue, the items it took are done, as when a Process ends normally; on
   * a joinable queue they stay in hand until `taskDone()`.
   */
  workDone(): void {
    for (const queue of this.#queues) ownerSide.workDone(queue, this.id);
  }

  /**
   * The worker ended. Normally: the items it took are done (on a joinable
   * queue, those it marked done). Otherwise they become the queues' orphans.
   * Either way its waiting calls are withdrawn and the queues let go.
   * @returns the orphaned items, with their queue's name (for the crash's message).
   */
  ended(normally: boolean): { queue: string; item: unknown }[] {
    const orphaned: { queue: string; item: unknown }[] = [];
    for (const queue of this.#queues) {
      for (const item of ownerSide.consumerEnded(queue, this.id, normally, this.name)) orphaned.push({ queue: queue.name, item });
    }
    this.#queues.clear();
    return orphaned;
  }
}

/** What is wrong with a `kind: "request"` message from a worker, or undefined if it is well formed. */
export function malformedQueueMessage(message: unknown): string | undefined {
  return isChannelRequest(message) ? malformedQueueRequest(message.operation) : "a request without an integer id and an operation";
}

/** What is wrong with a queue operation from a worker, or undefined if it is well formed. */
export function malformedQueueRequest(operation: unknown): string | undefined {
  const m = operation as Record<string, unknown>;
  if (!Number.isSafeInteger(m.queueId)) return "a queue request without an integer queue id";
  if (!(QUEUE_OPERATIONS as readonly unknown[]).includes(m.op)) return `unknown queue operation ${describeValue(m.op)}`;
  if (m.timeoutMs !== undefined && !Number.isSafeInteger(m.timeoutMs)) return "a non-integer timeout";
  if (m.block !== undefined && typeof m.block !== "boolean") return "a non-boolean block flag";
  if (m.quiet !== undefined && (m.quiet !== true || (m.op !== "put" && m.op !== "giveBack"))) return "a quiet flag on something other than a put or a giveBack";
  if (m.ahead !== undefined && !(Number.isSafeInteger(m.ahead) && (m.ahead as number) >= 1 && (m.ahead as number) <= MAX_AHEAD)) return `an ahead count that is not an integer from 1 to ${MAX_AHEAD}`;
  if (m.items !== undefined && (m.op !== "put" || m.quiet !== true || m.item !== undefined)) return "items on something other than a quiet put of several items";
  if (m.count !== undefined && !(Number.isSafeInteger(m.count) && (m.count as number) >= 0)) return "a giveBack count that is not an integer ≥ 0";
  if (m.used !== undefined && !isUsedReport(m.used)) return "a used report that is not a list of [queue id, count ≥ 0] pairs";
  return undefined;
}

/** A worker's report of lent items used: `[queueId, count]` pairs, integers, counts ≥ 0 (at most one per queue it could hold). */
function isUsedReport(used: unknown): boolean {
  return (
    Array.isArray(used) &&
    used.length <= 10_000 &&
    used.every((pair) => Array.isArray(pair) && pair.length === 2 && Number.isSafeInteger(pair[0]) && Number.isSafeInteger(pair[1]) && (pair[1] as number) >= 0)
  );
}
