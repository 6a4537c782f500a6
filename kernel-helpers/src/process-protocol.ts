/**
 * Messages between a {@link Process} (in the owner) and its worker entry
 * script, and the encoding of arguments (queues travel as references).
 */
import { isQueueReference, Queue, type QueueReference } from "./queue";
import type { TaskSpec } from "./task-spec";

/** What a process runs: a named task, an inline function's source, or an export of a module file. */
export type TargetSpec = TaskSpec | { kind: "module"; path: string; exportName: string; name: string };

/** Owner -> worker. */
export type ToWorker =
  | { kind: "start"; target: TargetSpec; args: unknown[]; name: string }
  | { kind: "queue-reply"; requestId: number; ok: true; value: unknown }
  | { kind: "queue-reply"; requestId: number; ok: false; error: { name: string; message: string } };

/** The queue operations a worker may ask of the owner. */
export type QueueOperation = "put" | "get" | "size" | "taskDone";

/** Worker -> owner. */
export type FromWorker =
  | { kind: "ready" }
  | {
      kind: "queue";
      requestId: number;
      queueId: number;
      op: QueueOperation;
      item?: unknown;
      block?: boolean;
      timeoutMs?: number;
    }
  | { kind: "failed"; error: { name: string; message: string; stack?: string } };

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype;

/**
 * Rebuilds `value`, mapping every leaf through `leaf` and looking inside
 * arrays, plain objects, Maps and Sets (the containers a structured clone
 * keeps as they are).
 */
function mapDeep(value: unknown, leaf: (v: unknown) => unknown | undefined): unknown {
  const mapped = leaf(value);
  if (mapped !== undefined) return mapped;
  if (Array.isArray(value)) return value.map((v) => mapDeep(v, leaf));
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [mapDeep(k, leaf), mapDeep(v, leaf)]));
  if (value instanceof Set) return new Set([...value].map((v) => mapDeep(v, leaf)));
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapDeep(v, leaf)]));
  return value;
}

/** True if a Queue sits somewhere inside a class instance, where encoding cannot reach it. */
function hiddenQueue(value: unknown, seen = new Set<unknown>()): boolean {
  if (value === null || typeof value !== "object" || seen.has(value)) return false;
  seen.add(value);
  if (value instanceof Queue) return true;
  const children = value instanceof Map ? [...value.keys(), ...value.values()] : value instanceof Set ? [...value] : Object.values(value);
  return children.some((child) => hiddenQueue(child, seen));
}

/**
 * Replaces every {@link Queue} inside arrays, plain objects, Maps and Sets by
 * its reference.
 * @throws Error if a Queue is inside another kind of object (a class instance),
 *   which would arrive in the worker as a lifeless copy.
 */
export function encodeArgs(value: unknown): unknown {
  const encoded = mapDeep(value, (v) => (v instanceof Queue ? v.toReference() : undefined));
  if (hiddenQueue(encoded)) {
    throw new Error("a Queue inside a class instance cannot be sent; pass it directly, or in an array, plain object, Map or Set");
  }
  return encoded;
}

/** Replaces every queue reference by what `make` builds for it (a proxy, in the worker). */
export function decodeArgs(value: unknown, make: (ref: QueueReference) => unknown): unknown {
  return mapDeep(value, (v) => (isQueueReference(v) ? make(v) : undefined));
}

/** The ids of the queues referenced in encoded arguments. */
export function referencedQueueIds(value: unknown): Set<number> {
  const found = new Set<number>();
  mapDeep(value, (v) => (isQueueReference(v) ? (found.add(v.__khQueue), v) : undefined));
  return found;
}
