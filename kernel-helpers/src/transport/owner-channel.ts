/**
 * The owner channel: how a worker asks the owner of a {@link Queue} or a
 * {@link Manager} to do something, and gets the answer. Whatever carries the
 * messages (frames on a pipe or a socket, frames.ts; a thread's message port;
 * a pool worker's channel), requests and answers have one form and one
 * request-id scheme:
 *
 *     peer → owner   { id, operation }                           a request
 *     owner → peer   { id, ok: true, value }                     its answer
 *                    { id, ok: false, error: { name, message, option? } }
 *
 * The peer numbers its requests 1, 2, 3... ({@link PendingRequests}); the
 * owner only echoes the id ({@link answerRequest}), so answers may come in
 * any order (a `get` that waits does not hold up a `size`). A channel that
 * carries other messages too (a Process's start and failure reports) tags
 * them `kind: "request"` and `kind: "answer"`.
 *
 * The owner's errors travel as strings and are rebuilt in the peer as the
 * class they were ({@link rebuildChannelError}), so that `instanceof
 * QueueEmpty` or `instanceof UnsendableValueError` works in a worker too.
 *
 * The pieces: framing is frames.ts; a Process's channel is
 * process-channel.ts, a pool worker's pool-worker-handle.ts (and
 * dual-channel.ts for a process pool); the Manager's socket is private and
 * authenticated (private-socket.ts, manager-channel.ts); the proxies are
 * queue-proxy.ts (with worker-queues.ts, a worker's side of its queues) and
 * manager-proxy.ts; the owner's side of queue requests is queue-service.ts
 * (a QueueClient per worker), behind the owner-side interface that queue.ts
 * keeps private (primitives/queue-owner-side.ts). One path does not use this
 * form: a worker that the owner started reaches a Manager on a lane of its
 * own (manager-lane*.ts), one operation at a time and so without ids, polled
 * instead of awaited, which is what makes a `set` cost less than Python's.
 */
import type { InvalidOptionError } from "../primitives/errors";
import { rebuildError } from "./task-failure";
import { fromJsonWire, toJsonWire } from "./wire";

/** A request: the id the peer gave it, and what it asks. */
export interface ChannelRequest<O = unknown> {
  id: number;
  operation: O;
}

/** An error as it crosses the channel: strings only, so that reporting it can never fail. */
export interface ChannelError {
  name: string;
  message: string;
  /** The option or path an InvalidOptionError (or UnsendableValueError) names. */
  option?: string;
}

/** The owner's answer to request `id`. */
export type ChannelAnswer = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: ChannelError };

/** Whatever was thrown, as it crosses the channel. */
export function reportChannelError(error: unknown): ChannelError {
  const e = error instanceof Error ? error : new Error(`a non-Error value was thrown: ${String(error)}`);
  const option = (e as Partial<InvalidOptionError>).option;
  return { name: String(e.name), message: String(e.message), ...(typeof option === "string" ? { option } : {}) };
}

/**
 * The owner's error, as its own class where this library knows it (the one
 * rebuild of task-failure.ts), with the stack of the call that failed here.
 */
export function rebuildChannelError(error: Partial<ChannelError> | undefined): Error {
  const name = String(error?.name ?? "Error");
  const message = String(error?.message ?? "the owner reported an error without a message");
  const option = typeof error?.option === "string" ? error.option : name === "InvalidOptionError" ? "options" : "value";
  return rebuildError({ name, message, option }, true);
}

/**
 * A value (a queue item, an answer's value) made ready for a channel:
 * unchanged, or over Node's JSON channel (a process pool's IPC) in v8's
 * format inside the JSON (wire.ts), so that it arrives as it was sent.
 */
export function packValue(value: unknown, viaJson: boolean): unknown {
  return viaJson ? toJsonWire([value], false) : value;
}

/** The value {@link packValue} packed. */
export function unpackValue(value: unknown, viaJson: boolean): unknown {
  return viaJson ? (fromJsonWire(value) as unknown[])[0] : value;
}

/** True for a message of the form of {@link ChannelRequest} (what its operation means is for the owner to check). */
export function isChannelRequest(message: unknown): message is ChannelRequest {
  const m = message as Partial<ChannelRequest> | null;
  return typeof m === "object" && m !== null && Number.isSafeInteger(m.id) && typeof m.operation === "object" && m.operation !== null;
}

/**
 * The owner's side: runs `work` for request `id` and sends its answer once,
 * whether `work` returns, resolves, throws or rejects. A synchronous `work`
 * is answered in the same turn (so a Manager answers in order). If the
 * answer itself cannot be sent (too large a value), the error that says so
 * is sent instead; if even that fails, `send` throws to the caller.
 */
export function answerRequest(id: number, work: () => unknown, send: (answer: ChannelAnswer) => void): void {
  const fail = (error: unknown): void => send({ id, ok: false, error: reportChannelError(error) });
  const succeed = (value: unknown): void => {
    try {
      send({ id, ok: true, value });
    } catch (error) {
      fail(error);
    }
  };
  let result: unknown;
  try {
    result = work();
  } catch (error) {
    return fail(error);
  }
  if (result instanceof Promise) result.then(succeed, fail);
  else succeed(result);
}

/**
 * The peer's side: the requests sent and not yet answered, by id. `Tag`
 * marks what each request went out on (a Manager proxy's connection), so
 * that a closed connection fails its own requests only.
 */
export class PendingRequests<Tag = void> {
  #nextId = 1;
  readonly #waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void; tag: Tag }>();

  /** Requests waiting for their answer. */
  get size(): number {
    return this.#waiting.size;
  }

  /**
   * Sends a new request: `send` gets its id, sends it, and returns what it
   * went out on. Resolves with the owner's answer, or rejects with the
   * owner's error rebuilt; if `send` throws, rejects with that, nothing waiting.
   */
  request(send: (id: number) => Tag): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const tag = send(id);
      this.#waiting.set(id, { resolve, reject, tag });
    });
  }

  /**
   * Sends a request whose answer nobody waits for (a worker's put that the
   * owner answers only if it fails): `send` gets a fresh id. Its answer, if
   * any, is for no waiting request, so {@link PendingRequests.settle}
   * returns false for it and the caller decides.
   */
  fire(send: (id: number) => unknown): void {
    send(this.#nextId++);
  }

  /** Settles the request `answer` is for. @returns false for an answer to no waiting request (ignored). */
  settle(answer: unknown): boolean {
    const a = answer as Partial<{ id: number; ok: boolean; value: unknown; error: ChannelError }> | null;
    const id = typeof a === "object" && a !== null ? a.id : undefined;
    const waiter = typeof id === "number" ? this.#waiting.get(id) : undefined;
    if (!waiter) return false;
    this.#waiting.delete(id!);
    if (a!.ok === true) waiter.resolve(a!.value);
    else waiter.reject(rebuildChannelError(a!.error));
    return true;
  }

  /** Rejects the waiting requests (those `which` picks, by what they went out on) with `error`. */
  failAll(error: Error, which: (tag: Tag) => boolean = () => true): void {
    for (const [id, waiter] of this.#waiting) {
      if (!which(waiter.tag)) continue;
      this.#waiting.delete(id);
      waiter.reject(error);
    }
  }
}
