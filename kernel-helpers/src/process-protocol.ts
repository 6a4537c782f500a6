/**
 * Messages between a {@link Process} (in the owner) and its worker entry
 * script, and the encoding of arguments (queues travel as references).
 */
import { isQueueReference, Queue, type QueueReference } from "./queue";
import { connectManager, isManagerReference, Manager, type ManagerProxy } from "./manager";
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

/** True if a Queue or Manager sits somewhere inside a class instance, where encoding cannot reach it. */
function hiddenQueue(value: unknown, seen = new Set<unknown>()): boolean {
  if (value === null || typeof value !== "object" || seen.has(value)) return false;
  seen.add(value);
  if (value instanceof Queue || value instanceof Manager) return true;
  const children = value instanceof Map ? [...value.keys(), ...value.values()] : value instanceof Set ? [...value] : Object.values(value);
  return children.some((child) => hiddenQueue(child, seen));
}

/**
 * Replaces every {@link Queue} and {@link Manager} inside arrays, plain
 * objects, Maps and Sets by its reference.
 * @param allowQueues - false for Pool tasks, whose workers have no queue channel.
 * @throws Error if a Queue or Manager is inside another kind of object (a
 *   class instance), which would arrive in the worker as a lifeless copy, or
 *   if a Queue is given where queues are not allowed.
 */
export function encodeArgs(value: unknown, allowQueues = true): unknown {
  // Fast path: most task arguments are numbers and strings.
  if (Array.isArray(value) && value.every((v) => v === null || typeof v !== "object")) return value;
  const encoded = mapDeep(value, (v) => {
    if (v instanceof Manager) return v.reference();
    if (!(v instanceof Queue)) return undefined;
    if (!allowQueues) {
      throw new Error(`Queue "${v.name}" cannot be passed to a Pool task: a Pool returns results directly (use a Process for queue-fed workers)`);
    }
    return v.toReference();
  });
  if (hiddenQueue(encoded)) {
    throw new Error("a Queue or Manager inside a class instance cannot be sent; pass it directly, or in an array, plain object, Map or Set");
  }
  return encoded;
}

const proxies = new Map<string, ManagerProxy>();

/**
 * Replaces every queue reference by what `makeQueue` builds for it (a proxy,
 * in the worker), and every manager reference by a manager proxy (one per
 * manager, shared by the tasks of this worker).
 */
export function decodeArgs(value: unknown, makeQueue: (ref: QueueReference) => unknown): unknown {
  if (Array.isArray(value) && value.every((v) => v === null || typeof v !== "object")) return value;
  return mapDeep(value, (v) => {
    if (isQueueReference(v)) return makeQueue(v);
    if (!isManagerReference(v)) return undefined;
    let proxy = proxies.get(v.__khManager);
    if (!proxy) proxies.set(v.__khManager, (proxy = connectManager(v)));
    return proxy;
  });
}

/** The ids of the queues referenced in encoded arguments. */
export function referencedQueueIds(value: unknown): Set<number> {
  const found = new Set<number>();
  mapDeep(value, (v) => (isQueueReference(v) ? (found.add(v.__khQueue), v) : undefined));
  return found;
}
