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
import { QUEUE_OPERATIONS, type QueueRequest } from "../primitives/queue-api";
import { describeValue } from "../primitives/validate";

let clientCount = 0;

/** One worker (a Process, a pool worker) as a consumer of this process's queues. */
export class QueueClient {
  /** Unique key for the queues' bookkeeping (names may repeat). */
  readonly id: string;
  /** The queues this worker may use, held strongly (the registry is weak) until it ends. */
  readonly #queues = new Set<Queue<unknown>>();

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
  take(message: unknown, send: (answer: { kind: "answer" } & ChannelAnswer) => void): boolean {
    if ((message as { kind?: unknown } | null)?.kind !== "request") return false;
    const problem = malformedQueueMessage(message);
    const { id, operation } = message as { id: number; operation: QueueRequest };
    const reply = (answer: ChannelAnswer): void => send({ kind: "answer", ...(answer.ok ? { ...answer, value: packValue(answer.value, this.viaJson) } : answer) });
    const failQuietPut = (error: unknown): void => answerRequest(id, () => {
      throw error;
    }, reply);
    if (problem === undefined && operation.quiet === true && this.#putQuietly(operation, failQuietPut)) {
      // a put the worker does not wait for went in: no answer (only a failure is answered)
    } else if (problem === undefined) {
      answerRequest(id, () => this.#serve(operation.item === undefined ? operation : { ...operation, item: unpackValue(operation.item, this.viaJson) }), reply);
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
    // an open queue without a maxsize takes the item at once; a failure (an item refused here) is answered
    ownerSide.put(queue, this.id, this.name, unpackValue(request.item, this.viaJson)).catch(fail);
    return true;
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
    const queue = queueById(request.queueId);
    if (!queue) return Promise.reject(new Error(`No queue with id ${request.queueId} in the owner process.`));
    this.#queues.add(queue);
    const waiting = { block: request.block, timeoutMs: request.timeoutMs };
    switch (request.op) {
      case "put":
        return ownerSide.put(queue, this.id, this.name, request.item, waiting);
      case "get":
        return ownerSide.get(queue, this.id, waiting);
      case "size":
        return Promise.resolve(queue.length);
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
  if (m.quiet !== undefined && (m.quiet !== true || m.op !== "put")) return "a quiet flag on something other than a put";
  return undefined;
}
