/**
 * What can travel between the notebook and a worker: the one set of rules
 * used by Pool (arguments and results), Process (arguments), Queue (items)
 * and Manager (values), on both backends.
 *
 * The reference is the structured clone (what `postMessage` does for worker
 * threads, and what `child_process.fork` does with `serialization:
 * "advanced"`, which both backends use). A structured clone quietly changes
 * some values instead of failing: a class instance arrives as a plain object
 * without its methods. A few others make it throw from deep inside a dispatch
 * (a function, a symbol). Both are refused here, at submission, before any
 * worker sees them, with the path to the bad part (`args[0].options.callback`).
 */
import { types } from "node:util";
import { InvalidOptionError } from "../primitives/errors";

/**
 * A value cannot be sent to a worker, a queue or the manager. `option` is the
 * path to the part at fault, e.g. `args[0].options.callback` or
 * `manager["k"].a[2]`; the message says what it is and what to send instead.
 */
export class UnsendableValueError extends InvalidOptionError {
  override name = "UnsendableValueError";
}

/** Options of {@link checkSendable}. */
export interface SendableOptions {
  /** Where the value goes, for the message. Default `"a worker"`. */
  to?: string;
  /**
   * Whether a SharedArrayBuffer may travel (worker threads share memory;
   * child processes cannot). Default true.
   */
  sharedMemory?: boolean;
  /**
   * @internal Objects that travel as references (Queue, Manager): accepted
   * as they are; the caller replaces them before sending.
   */
  isReference?: (value: object) => boolean;
}

const DATA_ONLY =
  "Send data only: numbers, strings, booleans, null, undefined, BigInt, arrays, plain objects, Map, Set, Date, RegExp, " +
  "ArrayBuffer and typed arrays";

/** Error classes that a structured clone rebuilds as themselves. */
const NATIVE_ERRORS = new Set(["Error", "EvalError", "RangeError", "ReferenceError", "SyntaxError", "TypeError", "URIError"]);

/**
 * True if `buffer` was detached (transferred to a worker, or to
 * `structuredClone`'s transfer list): its length is 0 and it can no longer
 * be viewed. Node 20 has no `ArrayBuffer.prototype.detached` yet.
 */
export function isDetached(buffer: ArrayBuffer): boolean {
  if (buffer.byteLength > 0) return false;
  try {
    new Uint8Array(buffer);
    return false;
  } catch {
    return true;
  }
}

function isArrayOrPlain(value: object): boolean {
  if (Array.isArray(value)) return true;
  const prototype = Object.getPrototypeOf(value) as object | null;
  return prototype === null || Object.getPrototypeOf(prototype) === null;
}

function className(value: object): string {
  const prototype = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null;
  return prototype?.constructor?.name || "an unnamed class";
}

/**
 * Throws {@link UnsendableValueError} if `value` holds something that cannot
 * be sent as data: a function, a symbol, a cycle, a symbol key, a Proxy, a
 * WeakMap/WeakSet/Promise or an object of a class of your own (it would
 * arrive as a plain object without its methods). Allowed: primitives
 * (BigInt, NaN, -0 and undefined too), arrays, plain objects, Map, Set, Date,
 * RegExp, the built-in Error types, ArrayBuffer, typed arrays and DataView,
 * and SharedArrayBuffer unless `options.sharedMemory` is false.
 *
 * @param value - the value to check (not changed).
 * @param where - how to name it in the message, e.g. `args[0]` or `manager["3"]`.
 * @param options - the destination named in the message, and whether shared memory may travel.
 * @example checkSendable({ f: () => 1 }, "args[0]", { to: "a worker" }) // throws: Cannot send args[0].f to a worker: it is a function (f)
 */
export function checkSendable(value: unknown, where: string, options: SendableOptions = {}): void {
  inspectSendable(value, where, options);
}

/** A primitive that JSON carries exactly (undefined, NaN, ±Infinity, -0 and BigInt it does not). */
export function isJsonPrimitive(value: unknown): boolean {
  const type = typeof value;
  if (type === "number") return Number.isFinite(value) && !Object.is(value, -0);
  return type === "string" || type === "boolean" || value === null;
}

/**
 * @internal {@link checkSendable}, also telling whether JSON would carry the
 * value exactly: Node's default channel to a child process is JSON, which
 * turns a Map into `{}` and NaN into `null`; a value it cannot carry travels
 * in v8's own format instead (see wire.ts).
 * @returns true if `JSON.parse(JSON.stringify(value))` gives back an equal value.
 */
export function inspectSendable(value: unknown, where: string, options: SendableOptions = {}): boolean {
  if (value === null || (typeof value !== "object" && typeof value !== "function" && typeof value !== "symbol")) return isJsonPrimitive(value);
  const to = options.to ?? "a worker";
  let json = true;
  const fail = (path: string, what: string, advice = DATA_ONLY): never => {
    throw new UnsendableValueError(path, `Cannot send ${path} to ${to}: ${what}. ${advice}.`);
  };
  const visit = (v: unknown, path: string, ancestors: object[]): void => {
    if (typeof v === "function") {
      fail(path, `it is a function (${(v as { name?: string }).name || "anonymous"})`, `${DATA_ONLY}. A function cannot travel: put the code inside the task, or use a named task`);
    }
    if (typeof v === "symbol") fail(path, `it is a symbol (${String(v)})`);
    if (v === null || typeof v !== "object") {
      if (json && !isJsonPrimitive(v)) json = false;
      return;
    }
    if (options.isReference?.(v)) return;
    if (ancestors.includes(v)) fail(path, "it contains itself (a cycle)", `${DATA_ONLY}, without cycles (send ids instead of back references)`);
    // util.types and prototype shapes, not instanceof: values may come from
    // another realm (a vm context, as under jest, or a deserialised message).
    if (types.isProxy(v)) fail(path, "it is a Proxy, which cannot be cloned");
    if (!types.isProxy(v) && !isArrayOrPlain(v)) json = false; // Map, Set, Date, typed arrays...: not JSON
    if (types.isSharedArrayBuffer(v) || (ArrayBuffer.isView(v) && types.isSharedArrayBuffer(v.buffer))) {
      if (options.sharedMemory === false) {
        fail(path, "it is (or views) a SharedArrayBuffer, and child processes cannot share memory", "Use the thread backend to share memory, or send a copy (a plain ArrayBuffer or typed array)");
      }
      return;
    }
    const buffer = types.isArrayBuffer(v) ? v : ArrayBuffer.isView(v) && types.isArrayBuffer(v.buffer) ? v.buffer : undefined;
    if (buffer && isDetached(buffer)) {
      fail(path, "its ArrayBuffer is detached: it was transferred away earlier, so its contents are gone", "Send a buffer that still holds its data (make a copy before transferring, if you need it twice)");
    }
    if (types.isDate(v) || types.isRegExp(v) || types.isAnyArrayBuffer(v) || ArrayBuffer.isView(v) || types.isBoxedPrimitive(v)) return;
    if (types.isNativeError(v)) {
      const name = className(v);
      if (!NATIVE_ERRORS.has(name)) fail(path, `it is an instance of ${name}, which would arrive as a plain Error without its class`);
      return;
    }
    const next = [...ancestors, v];
    if (types.isMap(v)) {
      for (const [k, item] of v as Map<unknown, unknown>) {
        visit(k, `${path} (a Map key)`, next);
        visit(item, `${path}.get(${JSON.stringify(String(k))})`, next);
      }
      return;
    }
    if (types.isSet(v)) {
      let i = 0;
      for (const item of v as Set<unknown>) visit(item, `${path} (Set item ${i++})`, next);
      return;
    }
    const isArray = Array.isArray(v);
    if (!isArray) {
      const prototype = Object.getPrototypeOf(v) as object | null;
      // a plain object: no prototype, or some realm's Object.prototype (whose own prototype is null)
      const plain = prototype === null || Object.getPrototypeOf(prototype) === null;
      if (!plain) {
        fail(path, `it is an instance of ${className(v)}, which would arrive without its class (as a plain object, without its methods)`, `${DATA_ONLY}; send the instance's data and rebuild it in the worker`);
      }
    }
    for (const symbol of Object.getOwnPropertySymbols(v)) fail(path, `it has a symbol key (${String(symbol)})`);
    // Object.entries: array elements and any extra property set on an array
    const entries = Object.entries(v);
    // JSON drops an array's holes and extra properties
    // (entries list indices in order, then other keys: with no hole, the last index is the last entry)
    const length = isArray ? (v as unknown[]).length : 0;
    if (isArray && json && (entries.length !== length || (length > 0 && entries[length - 1]![0] !== String(length - 1)))) json = false;
    for (const [k, item] of entries) visit(item, isArray && /^\d+$/.test(k) ? `${path}[${k}]` : `${path}.${k}`, next);
  };
  try {
    visit(value, where, []);
    return json;
  } catch (error) {
    if (error instanceof UnsendableValueError) throw error;
    // a getter that throws, a revoked proxy...: still a named error, with the cause's text
    throw new UnsendableValueError(where, `Cannot send ${where} to ${to}: reading it threw ${(error as Error)?.message ?? String(error)}.`);
  }
}
