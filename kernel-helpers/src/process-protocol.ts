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

/** Replaces every {@link Queue} inside arrays and plain objects by its reference. */
export function encodeArgs(value: unknown): unknown {
  if (value instanceof Queue) return value.toReference();
  if (Array.isArray(value)) return value.map(encodeArgs);
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encodeArgs(v)]));
  }
  return value;
}

/** Replaces every queue reference by what `make` builds for it (a proxy, in the worker). */
export function decodeArgs(value: unknown, make: (ref: QueueReference) => unknown): unknown {
  if (isQueueReference(value)) return make(value);
  if (Array.isArray(value)) return value.map((v) => decodeArgs(v, make));
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decodeArgs(v, make)]));
  }
  return value;
}

/** The queues referenced in encoded arguments. */
export function referencedQueueIds(value: unknown, found = new Set<number>()): Set<number> {
  if (isQueueReference(value)) found.add(value.__khQueue);
  else if (Array.isArray(value)) for (const v of value) referencedQueueIds(v, found);
  else if (value !== null && typeof value === "object") for (const v of Object.values(value)) referencedQueueIds(v, found);
  return found;
}
