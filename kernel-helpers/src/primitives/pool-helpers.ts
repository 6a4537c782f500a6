/**
 * Small pure helpers of {@link Pool} (pool.ts): the shape of its inputs
 * (iterables, the initializer, task names in messages), its results (a
 * worker's reply, chunks joined), and the error a signal's abort gives.
 */
import { InvalidOptionError, TaskCancelledError } from "./errors";
import { toNumberArray, unpackNumbers } from "../transport/number-chunks";
import type { TaskReference } from "./pool-options";
import { toTaskSpec, type TaskSpec } from "../transport/task-spec";
import { fromJsonWire } from "../transport/wire";

/** A worker's list of results: numbers as a Float64Array (number-chunks.ts), JSON, or v8's format (wire.ts). */
export function fromReply(reply: unknown): unknown[] {
  const numbers = unpackNumbers(reply);
  return numbers ? toNumberArray(numbers) : (fromJsonWire(reply) as unknown[]);
}

/**
 * A chunk of numbers' results (number-chunks.ts): the Float64Array as it came,
 * read once by {@link concat}, or the usual list when a result was not a number.
 */
export function fromNumbersReply(reply: unknown): ArrayLike<unknown> {
  return unpackNumbers(reply) ?? (fromJsonWire(reply) as unknown[]);
}

/**
 * The chunks' results as one list (Array.prototype.flat is several times
 * slower for long chunks); a chunk of numbers is read straight from its
 * Float64Array, not copied to an array first.
 */
export function concat(chunks: ArrayLike<unknown>[], length: number): unknown[] {
  const out = new Array<unknown>(length);
  let k = 0;
  for (const chunk of chunks) for (let i = 0; i < chunk.length; i++) out[k++] = chunk[i];
  return out;
}

/** A task's name for messages, before it is checked. */
export function taskLabel(task: unknown): string {
  if (typeof task === "string") return task;
  return (typeof task === "function" && task.name) || "anonymous function";
}

/** The initializer as sent to workers; a mistake in it is named as the `initializer` option's. */
export function initializerSpec(initializer: TaskReference): TaskSpec {
  try {
    return toTaskSpec(initializer);
  } catch (error) {
    if (!(error instanceof InvalidOptionError)) throw error;
    throw new InvalidOptionError("`initializer`", `Cannot use this \`initializer\`: ${error.message}`);
  }
}

/** The error a signal's abort gives each of its tasks. */
export const cancelled = (reason: unknown) => (task: string): Error => new TaskCancelledError(task, reason, true);

export function isIterable(items: unknown): items is Iterable<unknown> | AsyncIterable<unknown> {
  const candidate = items as Partial<Iterable<unknown> & AsyncIterable<unknown>> | null;
  return typeof candidate === "string" || (typeof candidate === "object" && candidate !== null && (typeof candidate[Symbol.iterator] === "function" || typeof candidate[Symbol.asyncIterator] === "function"));
}

/** Any iterable as an array (an array as it is). */
export function toArray(items: unknown, name: string): unknown[] {
  if (Array.isArray(items)) return items;
  if (typeof items === "string" || (typeof items === "object" && items !== null && typeof (items as Iterable<unknown>)[Symbol.iterator] === "function")) {
    return Array.from(items as Iterable<unknown>);
  }
  throw new TypeError(`Expected \`${name}\` to be an iterable (an array, a Set, a generator...), got ${typeof items}.`);
}
