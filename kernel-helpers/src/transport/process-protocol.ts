/**
 * Messages between a {@link Process} (in the owner) and its worker entry
 * script, and the decoding of arguments in the worker (queues and managers
 * travel as references; the owner's encoding is in encode-args.ts). A worker
 * loads this at its start, so it leaves out the owner's Queue and Manager.
 */
import { isQueueReference, type QueueRecall, type QueueReference, type QueueRequest } from "../primitives/queue-api";
import type { ChannelAnswer, ChannelRequest } from "./owner-channel";
import { isManagerReference } from "../primitives/manager-protocol";
import type { ManagerProxy } from "./manager-proxy";
import { types } from "node:util";
import type { TaskSpec } from "./task-spec";

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
export function mapDeep(value: unknown, leaf: (v: unknown) => unknown | undefined): unknown {
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

/** A value that is not an object, function or symbol: it travels as it is. */
export const isPrimitive = (v: unknown): boolean => v === null || (typeof v !== "object" && typeof v !== "function" && typeof v !== "symbol");

const proxies = new Map<string, ManagerProxy>();

/** Loaded at the first manager argument (with its socket and key checks): most workers never get one. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const managerProxies = (): typeof import("./manager-proxy") => require("./manager-proxy") as typeof import("./manager-proxy");

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
    if (!proxy) proxies.set(id, (proxy = managerProxies().connectManager(v)));
    return proxy;
  });
}

/** The ids of the queues referenced in encoded arguments. */
export function referencedQueueIds(value: unknown): Set<number> {
  const found = new Set<number>();
  mapDeep(value, (v) => (isQueueReference(v) ? (found.add(v.__khQueue), v) : undefined));
  return found;
}
