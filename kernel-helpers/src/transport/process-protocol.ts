/**
 * Messages between a {@link Process} (in the owner) and its worker entry
 * script, and the encoding of arguments (queues travel as references).
 */
import { isQueueReference, Queue, type QueueReference } from "../primitives/queue";
import type { QueueRecall, QueueRequest } from "../primitives/queue-api";
import type { ChannelAnswer, ChannelRequest } from "./owner-channel";
import { connectManager, isManagerReference, Manager, type ManagerProxy } from "../primitives/manager";
import { types } from "node:util";
import type { TaskSpec } from "./task-spec";
import { inspectSendable, isJsonPrimitive } from "./sendable";

/** What a process runs: a named task, an inline function's source, or an export of a module file. */
export type TargetSpec = TaskSpec | { kind: "module"; path: string; exportName: string; name: string };

/** Owner -> worker: the start, and answers to the worker's queue requests (owner-channel.ts). */
export type ToWorker = { kind: "start"; target: TargetSpec; args: unknown[]; name: string } | ({ kind: "answer" } & ChannelAnswer) | QueueRecall;

export type { QueueOperation } from "../primitives/queue-api";

/** Worker -> owner: ready for the start, queue requests (owner-channel.ts), and the target's failure. */
export type FromWorker =
  | { kind: "ready" }
  | ({ kind: "request" } & ChannelRequest<QueueRequest>)
  | { kind: "failed"; error: { name: string; message: string; stack?: string } };

/** A plain object: no prototype, or some realm's Object.prototype (whose own prototype is null). */
const isPlainObject = (value: object): boolean => {
  const prototype = Object.getPrototypeOf(value) as object | null;
  return prototype === null || Object.getPrototypeOf(prototype) === null;
};

/**
 * Maps every value inside `value` through `leaf` (a replacement, or undefined
 * to keep it and look inside), through arrays, plain objects, Maps and Sets
 * (the containers a structured clone keeps as they are). Copy on write: a
 * container is rebuilt only when something inside it was replaced, and then
 * keeps its holes and extra properties, so what a structured clone would
 * carry arrives unchanged. The value must have no cycles.
 */
function mapDeep(value: unknown, leaf: (v: unknown) => unknown | undefined): unknown {
  const mapped = leaf(value);
  if (mapped !== undefined) return mapped;
  if (value === null || typeof value !== "object") return value;
  if (types.isMap(value)) {
    let changed = false;
    const entries = [...(value as Map<unknown, unknown>)].map(([k, v]) => {
      const [nextKey, nextValue] = [mapDeep(k, leaf), mapDeep(v, leaf)];
      if (nextKey !== k || nextValue !== v) changed = true;
      return [nextKey, nextValue] as const;
    });
    return changed ? new Map(entries) : value;
  }
  if (types.isSet(value)) {
    const items = [...(value as Set<unknown>)];
    const next = items.map((v) => mapDeep(v, leaf));
    return next.some((v, i) => v !== items[i]) ? new Set(next) : value;
  }
  const isArray = Array.isArray(value);
  if (!isArray && !isPlainObject(value)) return value;
  let copy: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(value)) {
    const next = mapDeep(v, leaf);
    if (next === v) continue;
    copy ??= (isArray ? Object.assign(new Array((value as unknown[]).length), value) : { ...value }) as Record<string, unknown>;
    copy[k] = next;
  }
  return copy ?? value;
}

const isPrimitive = (v: unknown): boolean => v === null || (typeof v !== "object" && typeof v !== "function" && typeof v !== "symbol");

/** Options of {@link encodeValue}. */
export interface EncodeOptions {
  /** False when the value goes to a child process (no shared memory). */
  sharedMemory: boolean;
  /** The destination, for messages: "a worker", "Process-1"... */
  to: string;
  /** Called with each Queue found, so the sender can hold it while workers may use it (the registry of queues is weak). */
  onQueue?: (queue: Queue<unknown>) => void;
}

/**
 * Checks that `value` can travel (see {@link checkSendable}) and replaces
 * every {@link Queue} and {@link Manager} inside it by its reference.
 * @param where - the name of the value in messages, e.g. `args` or `items[3]`.
 * @throws UnsendableValueError naming the path to the part that cannot be sent.
 */
export function encodeValue(value: unknown, where: string, options: EncodeOptions): unknown {
  return inspectAndEncode(value, where, options).value;
}

/**
 * {@link encodeValue}, also telling whether JSON carries the encoded value
 * exactly (see wire.ts).
 */
export function inspectAndEncode(value: unknown, where: string, options: EncodeOptions): { value: unknown; jsonSafe: boolean } {
  // Fast path: most task arguments are numbers and strings.
  if (isPrimitive(value)) return { value, jsonSafe: isJsonPrimitive(value) };
  if (Array.isArray(value) && value.every(isPrimitive)) return { value, jsonSafe: value.every(isJsonPrimitive) && Object.keys(value).length === value.length };
  const jsonSafe = inspectSendable(value, where, {
    to: options.to,
    sharedMemory: options.sharedMemory,
    isReference: (v) => v instanceof Queue || v instanceof Manager,
  });
  // no cycles past this point: inspectSendable refuses them
  const encoded = mapDeep(value, (v) => {
    if (v instanceof Manager) return v.reference();
    if (!(v instanceof Queue)) return undefined;
    options.onQueue?.(v as Queue<unknown>);
    return v.toReference();
  });
  return { value: encoded, jsonSafe };
}

/** {@link encodeValue} for an argument list (named `args` in messages). */
export function encodeArgs(args: unknown[], options: EncodeOptions): unknown[] {
  return encodeValue(args, "args", options) as unknown[];
}

const proxies = new Map<string, ManagerProxy>();

/**
 * Replaces every queue reference by what `makeQueue` builds for it (a proxy,
 * in the worker), and every manager reference by a manager proxy (one per
 * manager and key, shared by the tasks of this worker).
 */
export function decodeArgs(value: unknown, makeQueue: (ref: QueueReference) => unknown): unknown {
  if (isPrimitive(value) || (Array.isArray(value) && value.every(isPrimitive))) return value;
  return mapDeep(value, (v) => {
    if (isQueueReference(v)) return makeQueue(v);
    if (!isManagerReference(v)) return undefined;
    // by address and key: a reference with a wrong key must not stand in for the right one later
    const id = `${v.__khManager}\n${v.key}`;
    let proxy = proxies.get(id);
    if (!proxy) proxies.set(id, (proxy = connectManager(v)));
    return proxy;
  });
}

/** The ids of the queues referenced in encoded arguments. */
export function referencedQueueIds(value: unknown): Set<number> {
  const found = new Set<number>();
  mapDeep(value, (v) => (isQueueReference(v) ? (found.add(v.__khQueue), v) : undefined));
  return found;
}
