/**
 * The owner's side of workers' queue requests: each request, checked for its
 * form, becomes a call on the owner's queue on behalf of that worker, so the
 * owner keeps deciding alone (exactly-once delivery, items in hand, waiting
 * puts, the joinable count). The caller sends back what the promise settles
 * with.
 */
import { JoinableQueue } from "./joinable-queue";
import { queueById } from "./queue";
import { QUEUE_OPERATIONS, type QueueRequest } from "./queue-api";
import { describeValue } from "./validate";

/** The worker asking: its unique id (for the bookkeeping) and its name (for messages). */
export interface QueueClient {
  id: string;
  name: string;
}

/**
 * Does what a worker asked of a queue of this process.
 * @returns a promise for the answer (the item of a `get`, the size...), or a
 *   rejection with the error the worker's call should reject with.
 */
export function serveQueueRequest(request: QueueRequest, client: QueueClient): Promise<unknown> {
  const queue = queueById(request.queueId);
  if (!queue) return Promise.reject(new Error(`No queue with id ${request.queueId} in the owner process.`));
  const waiting = { block: request.block, timeoutMs: request.timeoutMs };
  switch (request.op) {
    case "put":
      return queue.putFor(client.id, client.name, request.item, waiting);
    case "get":
      return queue.getFor(client.id, waiting);
    case "size":
      return Promise.resolve(queue.length);
    case "full":
      return queue.full();
    case "taskDone":
      try {
        queue.taskDoneFor(client.id);
        return Promise.resolve(undefined);
      } catch (error) {
        return Promise.reject(error);
      }
    case "join":
      if (queue instanceof JoinableQueue) return queue.joinFor(client.id, { timeoutMs: request.timeoutMs });
      return Promise.reject(new Error(`Queue "${queue.name}" is not joinable: create it as a JoinableQueue to join it.`));
  }
}

/** What is wrong with a queue request from a worker, or undefined if it is well formed. */
export function malformedQueueRequest(m: Record<string, unknown>): string | undefined {
  if (!Number.isSafeInteger(m.requestId) || !Number.isSafeInteger(m.queueId)) return "a queue request without integer ids";
  if (!(QUEUE_OPERATIONS as readonly unknown[]).includes(m.op)) return `unknown queue operation ${describeValue(m.op)}`;
  if (m.timeoutMs !== undefined && !Number.isSafeInteger(m.timeoutMs)) return "a non-integer timeout";
  if (m.block !== undefined && typeof m.block !== "boolean") return "a non-boolean block flag";
  return undefined;
}
