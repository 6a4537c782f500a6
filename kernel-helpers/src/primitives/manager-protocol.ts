/**
 * What a {@link Manager}'s owner and its proxies agree on: the methods both
 * offer, the reference that travels to workers, the operations on the wire,
 * and the checks each side makes on them.
 */
import { InvalidOptionError } from "./errors";
import { sourceText } from "../transport/compile-source";
import { checkSendable } from "../transport/sendable";
import { describeValue } from "./validate";

/** A key of the manager's dict. Numbers are turned into strings, as in a JS object. */
export type Key = string | number;

/** What proxies send and the owner answers. */
export type Operation =
  | { op: "get"; key: string }
  | { op: "set"; key: string; value: unknown }
  | { op: "delete"; key: string }
  | { op: "has"; key: string }
  | { op: "keys" }
  | { op: "entries" }
  | { op: "size" }
  | { op: "update"; key: string; source: string; args: unknown[] }
  | { op: "batch"; operations: Operation[] };

/** The operations on one key that a batch may hold; the Manager's lane gives each a code of its own. */
export const KEY_OPERATIONS = ["get", "set", "delete", "has"] as const;
/** One of {@link KEY_OPERATIONS}. */
export type KeyOperation = (typeof KEY_OPERATIONS)[number];
const isKeyOperation = (op: unknown): op is KeyOperation => (KEY_OPERATIONS as readonly unknown[]).includes(op);

/** The manager's owner cannot be reached (it was shut down, or its process ended), or it refused this proxy's key. */
export class ManagerUnavailableError extends Error {
  override name = "ManagerUnavailableError";
}

/** The marker a Manager becomes when it is sent to a worker. */
export interface ManagerReference {
  /** Where the owner listens: a Unix socket in a private (0700) folder, or a named pipe on Windows. */
  __khManager: string;
  /**
   * The manager's secret (256 bits, in hex), as Python's `authkey`. It reaches
   * workers through the owner's own channel to them; on the manager's socket
   * a proxy only proves it holds it (challenge-response), so it never travels there.
   */
  key: string;
}

/** True for the marker of {@link ManagerReference}. */
export function isManagerReference(value: unknown): value is ManagerReference {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as ManagerReference).__khManager === "string" &&
    typeof (value as ManagerReference).key === "string"
  );
}

/** What owner and proxies have in common: every method returns a promise. */
export interface ManagerLike<V> {
  /** A copy of the value at `key`, or undefined. Changing the copy changes nothing until you `set` it. */
  get(key: Key): Promise<V | undefined>;
  /** Stores a copy of `value` at `key`. @throws UnsendableValueError naming the part that cannot be sent. */
  set(key: Key, value: V): Promise<void>;
  /** Removes `key`; true if it was there. */
  delete(key: Key): Promise<boolean>;
  /** True if `key` is there (Python: `key in manager_dict`). */
  has(key: Key): Promise<boolean>;
  /** Every key, in the order they were first set (Python: `list(manager_dict.keys())`). */
  keys(): Promise<string[]>;
  /** Copies of every [key, value]. */
  entries(): Promise<[string, V][]>;
  /** How many keys there are (Python: `len(manager_dict)`). */
  size(): Promise<number>;
  /** A plain-object copy of everything, like Python's `dict(manager_dict)`. */
  snapshot(): Promise<Record<string, V>>;
  /**
   * Read-modify-write AT THE OWNER, so no concurrent update is lost: `fn`
   * gets a copy of the current value (undefined if absent) and the `args`,
   * and returns the new value, which is stored. `fn` travels as source text:
   * it must be self-contained (pass what it needs in `args`).
   * @returns the stored value.
   */
  update<A extends unknown[]>(key: Key, fn: (current: V | undefined, ...args: A) => V, ...args: A): Promise<V>;
  /**
   * Runs several get/set/delete/has operations as one message: one round trip
   * for all of them, applied together at the owner (a bad value stops the
   * batch before anything changed). It pays most where a round trip is dear
   * (a process, a socket); from a thread, only larger batches beat single calls.
   * @returns each operation's result, in order.
   */
  batch(operations: BatchOperation<V>[]): Promise<unknown[]>;
}

/** One operation of {@link ManagerLike.batch}. */
export type BatchOperation<V> =
  | { op: "get"; key: Key }
  | { op: "set"; key: Key; value: V }
  | { op: "delete"; key: Key }
  | { op: "has"; key: Key };

/** True for a number, string, boolean, BigInt, undefined or null: a value that is its own copy and can always travel. */
export const isPlainPrimitive = (value: unknown): boolean =>
  value === null || (typeof value !== "object" && typeof value !== "function" && typeof value !== "symbol");

/** The manager's values travel over a socket (copied, never shared), so the same rules as for a worker, without shared memory. */
export function checkValue(value: unknown, where: string | (() => string)): void {
  if (isPlainPrimitive(value)) return;
  checkSendable(value, typeof where === "string" ? where : where(), { to: "the manager", sharedMemory: false });
}

export function keyOf(key: unknown): string {
  if (typeof key === "number" && Number.isFinite(key)) return String(key);
  if (typeof key === "string") return key;
  throw new InvalidOptionError("`key`", `Expected a manager key to be a string or a finite number, got ${describeValue(key)}.`);
}

/** How a key is named in messages: `manager["k"]`. */
export const label = (key: string): string => `manager[${JSON.stringify(key)}]`;

/** The source text of an update function, checked to compile on its own (compile-source.ts). */
export function functionSource(fn: unknown): string {
  return sourceText(fn, "`fn`", "the manager");
}

/** Checks a batch given to `batch()` and turns its keys into strings. */
export function normaliseBatch<V>(operations: BatchOperation<V>[]): Operation[] {
  if (!Array.isArray(operations)) throw new InvalidOptionError("`operations`", "Expected `operations` to be an array.");
  return operations.map((o) => {
    if (o.op === "set") return { op: "set", key: keyOf(o.key), value: o.value };
    if (isKeyOperation(o.op)) return { op: o.op, key: keyOf(o.key) };
    throw new InvalidOptionError("`operations`", `Unknown batch operation ${describeValue((o as { op: unknown }).op)}: use get, set, delete or has.`);
  });
}

const OPERATIONS = new Set<unknown>([...KEY_OPERATIONS, "keys", "entries", "size", "update", "batch"]);

/** What is wrong with a request from an (authenticated) proxy, or undefined if it is well formed. */
export function malformedRequest(message: unknown): string | undefined {
  const m = message as { id?: unknown; operation?: Record<string, unknown> } | null;
  if (typeof m !== "object" || m === null || !Number.isSafeInteger(m.id)) return "no integer id";
  const o = m.operation;
  if (typeof o !== "object" || o === null || !OPERATIONS.has(o.op)) return "an unknown operation";
  if ("key" in o && typeof o.key !== "string") return "a key that is not a string";
  if ((isKeyOperation(o.op) || o.op === "update") && typeof o.key !== "string") return "a missing key";
  if (o.op === "update" && (typeof o.source !== "string" || !Array.isArray(o.args))) return "an update without source and arguments";
  if (o.op === "batch") {
    if (!Array.isArray(o.operations)) return "a batch without operations";
    for (const b of o.operations as unknown[]) {
      const item = b as { op?: unknown; key?: unknown } | null;
      if (typeof item !== "object" || item === null || !isKeyOperation(item.op) || typeof item.key !== "string") {
        return "a batch with a malformed operation";
      }
    }
  }
  return undefined;
}
