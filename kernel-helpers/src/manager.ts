/**
 * `Manager`: a dict of dicts with one owner, shared with workers, like
 * Python's `multiprocessing.Manager().dict()`.
 *
 * The owner (the notebook's process) keeps the data and serves it on a local
 * socket (a Unix socket, or a named pipe on Windows); any thread or process
 * connects with a proxy. Every operation is one message, handled whole
 * during one turn of the owner's event loop, so each is all or nothing:
 * a worker that dies mid-message leaves a partial frame that is dropped.
 *
 * THE CAVEAT (as in Python): a value read through `get` is a copy. Changing
 * the copy changes nothing in the manager until you assign it back with
 * `set`. And read-modify-write from several workers loses updates unless it
 * runs at the owner: use `update(key, fn)`.
 */
import net from "node:net";
import os from "node:os";
import path from "node:path";
import fs from "node:fs";
import v8 from "node:v8";
import { types } from "node:util";
import { registerResource, unregisterResource } from "./cleanup";
import { InvalidOptionError } from "./errors";
import { describeValue } from "./validate";

/** A key of the manager's dict. Numbers are turned into strings, as in a JS object. */
export type Key = string | number;

/** What proxies send and the owner answers. */
type Operation =
  | { op: "get"; key: string }
  | { op: "set"; key: string; value: unknown }
  | { op: "delete"; key: string }
  | { op: "has"; key: string }
  | { op: "keys" }
  | { op: "entries" }
  | { op: "size" }
  | { op: "update"; key: string; source: string; args: unknown[] }
  | { op: "batch"; operations: Operation[] };

/** A value or a key cannot be sent to (or stored in) the manager. */
export class UnsendableValueError extends InvalidOptionError {
  override name = "UnsendableValueError";
}

/** The manager's owner cannot be reached (it was shut down, or its process ended). */
export class ManagerUnavailableError extends Error {
  override name = "ManagerUnavailableError";
}

/** The marker a Manager becomes when it is sent to a worker. */
export interface ManagerReference {
  __khManager: string;
}

/** True for the marker of {@link ManagerReference}. */
export function isManagerReference(value: unknown): value is ManagerReference {
  return typeof value === "object" && value !== null && typeof (value as ManagerReference).__khManager === "string";
}

/** What owner and proxies have in common: every method returns a promise. */
export interface ManagerLike<V> {
  /** A copy of the value at `key`, or undefined. Changing the copy changes nothing until you `set` it. */
  get(key: Key): Promise<V | undefined>;
  /** Stores a copy of `value` at `key`. @throws UnsendableValueError naming the part that cannot be sent. */
  set(key: Key, value: V): Promise<void>;
  /** Removes `key`; true if it was there. */
  delete(key: Key): Promise<boolean>;
  has(key: Key): Promise<boolean>;
  keys(): Promise<string[]>;
  /** Copies of every [key, value]. */
  entries(): Promise<[string, V][]>;
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
  /** Runs several get/set/delete/has operations as one message (faster; all at once at the owner). */
  batch(operations: BatchOperation<V>[]): Promise<unknown[]>;
}

/** One operation of {@link ManagerLike.batch}. */
export type BatchOperation<V> =
  | { op: "get"; key: Key }
  | { op: "set"; key: Key; value: V }
  | { op: "delete"; key: Key }
  | { op: "has"; key: Key };

/**
 * Throws {@link UnsendableValueError} if `value` holds something that cannot
 * be sent as data: a function, a symbol, a cycle, or an object of a class
 * (it would arrive as a plain object without its methods). Allowed: primitives,
 * arrays, plain objects, Map, Set, Date, RegExp, ArrayBuffer and typed arrays.
 *
 * @param where - how to name the value in the message, e.g. `manager["3"]`.
 */
export function checkSendable(value: unknown, where: string, ancestors: object[] = []): void {
  const fail = (what: string): never => {
    throw new UnsendableValueError(where, `Cannot send ${where} to the manager: ${what}. Store data only (numbers, strings, arrays, plain objects, Map, Set, Date).`);
  };
  if (typeof value === "function") fail(`it is a function (${(value as { name?: string }).name || "anonymous"})`);
  if (typeof value === "symbol") fail(`it is a symbol (${String(value)})`);
  if (value === null || typeof value !== "object") return;
  if (ancestors.includes(value)) fail("it contains itself (a cycle)");
  // util.types and prototype shapes, not instanceof: values may come from
  // another realm (a vm context, as under jest, or a deserialised message).
  if (types.isDate(value) || types.isRegExp(value) || types.isAnyArrayBuffer(value) || ArrayBuffer.isView(value)) return;
  const next = [...ancestors, value];
  if (types.isMap(value)) {
    for (const [k, v] of value as Map<unknown, unknown>) {
      checkSendable(k, `${where} (a Map key)`, next);
      checkSendable(v, `${where}.get(${JSON.stringify(String(k))})`, next);
    }
    return;
  }
  if (types.isSet(value)) return [...(value as Set<unknown>)].forEach((v, i) => checkSendable(v, `${where} (Set item ${i})`, next));
  const isArray = Array.isArray(value);
  if (!isArray) {
    const prototype = Object.getPrototypeOf(value) as object | null;
    // a plain object: no prototype, or some realm's Object.prototype (whose own prototype is null)
    const plain = prototype === null || Object.getPrototypeOf(prototype) === null;
    if (!plain) fail(`it is an instance of ${(prototype as { constructor?: { name?: string } }).constructor?.name ?? "a class"}, which would arrive without its class`);
  }
  for (const symbol of Object.getOwnPropertySymbols(value)) fail(`it has a symbol key (${String(symbol)})`);
  // Object.entries: array elements and any extra property set on an array
  for (const [k, v] of Object.entries(value)) checkSendable(v, isArray && /^\d+$/.test(k) ? `${where}[${k}]` : `${where}.${k}`, next);
}

function keyOf(key: unknown): string {
  if (typeof key === "number" && Number.isFinite(key)) return String(key);
  if (typeof key === "string") return key;
  throw new InvalidOptionError("`key`", `Expected a manager key to be a string or a finite number, got ${describeValue(key)}.`);
}

const label = (key: string): string => `manager[${JSON.stringify(key)}]`;

function functionSource(fn: unknown): string {
  if (typeof fn !== "function") throw new InvalidOptionError("`fn`", "Expected `fn` to be a function (current, ...args) => next.");
  const source = Function.prototype.toString.call(fn);
  try {
    new Function(`"use strict"; return (${source});`);
  } catch {
    throw new InvalidOptionError("`fn`", "The update function cannot be sent as source text: write it as `(current, ...args) => next` or `function (...) {}`.");
  }
  return source;
}

/** Writes one message: 4-byte length, then v8-serialised payload. */
function writeFrame(socket: net.Socket, payload: unknown): void {
  const body = v8.serialize(payload);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length);
  socket.write(Buffer.concat([header, body]));
}

/** Splits a byte stream into messages. */
function frameReader(onMessage: (message: unknown) => void): (chunk: Buffer) => void {
  let buffered: Buffer = Buffer.alloc(0);
  return (chunk) => {
    buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
    while (buffered.length >= 4) {
      const length = buffered.readUInt32BE(0);
      if (buffered.length < 4 + length) break;
      const body = buffered.subarray(4, 4 + length);
      buffered = buffered.subarray(4 + length);
      onMessage(v8.deserialize(body));
    }
  };
}

let managerCount = 0;

/**
 * The owner of a shared dict of dicts. Create it in the notebook, pass it in
 * a task's or process's arguments; workers receive a proxy with the same methods.
 *
 * @example
 * const manager = await Manager.start({ 1: { Sequence: [0, 1], CompFinished: false } });
 * await pool.map("lucasSequenceWorker", [[manager.reference(), 1, 1000]]);
 * console.log(await manager.snapshot());
 * await manager.shutdown();
 */
export class Manager<V = unknown> implements ManagerLike<V> {
  readonly #data = new Map<string, V>();
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();
  readonly address: string;
  #open = true;
  readonly #resource = { terminate: () => this.shutdown() };

  private constructor(server: net.Server, address: string) {
    this.#server = server;
    this.address = address;
  }

  /**
   * Starts a manager holding a copy of `initial` (a plain object or a Map).
   * @throws UnsendableValueError if a value cannot be stored, naming its key.
   */
  static async start<V>(initial: Record<string, V> | Map<Key, V> = {}): Promise<Manager<V>> {
    const address =
      process.platform === "win32"
        ? `\\\\.\\pipe\\kh-manager-${process.pid}-${++managerCount}`
        : path.join(os.tmpdir(), `kh-manager-${process.pid}-${++managerCount}.sock`);
    if (process.platform !== "win32") fs.rmSync(address, { force: true });
    const server = net.createServer();
    const manager = new Manager<V>(server, address);
    const entries = initial instanceof Map ? [...initial] : Object.entries(initial);
    for (const [key, value] of entries) await manager.set(key, value);
    server.on("connection", (socket) => manager.#serve(socket));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(address, () => resolve());
    });
    // Idle connections must not keep a finished notebook or test alive.
    server.unref();
    registerResource(manager.#resource);
    return manager;
  }

  /** The marker to pass to Pool tasks and Processes; they turn it into a proxy. */
  reference(): ManagerReference {
    return { __khManager: this.address };
  }

  async get(key: Key): Promise<V | undefined> {
    return this.#apply({ op: "get", key: keyOf(key) }) as V | undefined;
  }
  async set(key: Key, value: V): Promise<void> {
    const k = keyOf(key);
    checkSendable(value, label(k));
    this.#apply({ op: "set", key: k, value });
  }
  async delete(key: Key): Promise<boolean> {
    return this.#apply({ op: "delete", key: keyOf(key) }) as boolean;
  }
  async has(key: Key): Promise<boolean> {
    return this.#apply({ op: "has", key: keyOf(key) }) as boolean;
  }
  async keys(): Promise<string[]> {
    return [...this.#data.keys()];
  }
  async entries(): Promise<[string, V][]> {
    return this.#apply({ op: "entries" }) as [string, V][];
  }
  async size(): Promise<number> {
    return this.#data.size;
  }
  async snapshot(): Promise<Record<string, V>> {
    return Object.fromEntries(await this.entries());
  }
  async update<A extends unknown[]>(key: Key, fn: (current: V | undefined, ...args: A) => V, ...args: A): Promise<V> {
    checkSendable(args, "the update's arguments");
    return this.#apply({ op: "update", key: keyOf(key), source: functionSource(fn), args }) as V;
  }
  async batch(operations: BatchOperation<V>[]): Promise<unknown[]> {
    return this.#apply({ op: "batch", operations: normaliseBatch(operations) }) as unknown[];
  }

  /** Stops serving: workers' proxies then fail with {@link ManagerUnavailableError}. The data stays readable here. */
  async shutdown(): Promise<void> {
    if (!this.#open) return;
    this.#open = false;
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    unregisterResource(this.#resource);
  }

  /** Applies one operation, whole, and returns copies (never live references to the data). */
  #apply(operation: Operation): unknown {
    switch (operation.op) {
      case "get":
        return structuredClone(this.#data.get(operation.key));
      case "set":
        this.#data.set(operation.key, structuredClone(operation.value as V));
        return undefined;
      case "delete":
        return this.#data.delete(operation.key);
      case "has":
        return this.#data.has(operation.key);
      case "keys":
        return [...this.#data.keys()];
      case "size":
        return this.#data.size;
      case "entries":
        return structuredClone([...this.#data]);
      case "update": {
        const fn = new Function(`"use strict"; return (${operation.source});`)() as (current: unknown, ...args: unknown[]) => V;
        const next = fn(structuredClone(this.#data.get(operation.key)), ...operation.args);
        checkSendable(next, label(operation.key));
        this.#data.set(operation.key, structuredClone(next));
        return structuredClone(next);
      }
      case "batch": {
        // Check and copy every value first, so a bad one stops the batch before anything changed.
        const prepared = operation.operations.map((o) => {
          if (o.op !== "set") return o;
          checkSendable(o.value, label(o.key));
          return { ...o, value: structuredClone(o.value) };
        });
        return prepared.map((o) => this.#apply(o));
      }
    }
  }

  #serve(socket: net.Socket): void {
    this.#sockets.add(socket);
    socket.on("close", () => this.#sockets.delete(socket));
    socket.on("error", () => socket.destroy()); // a worker that died mid-message: drop its partial frame
    socket.on(
      "data",
      frameReader((message) => {
        const { id, operation } = message as { id: number; operation: Operation };
        try {
          writeFrame(socket, { id, ok: true, value: this.#apply(operation) });
        } catch (error) {
          const e = error instanceof Error ? error : new Error(`a non-Error value was thrown: ${String(error)}`);
          writeFrame(socket, { id, ok: false, error: { name: e.name, message: e.message, option: (e as InvalidOptionError).option } });
        }
      }),
    );
  }
}

function normaliseBatch<V>(operations: BatchOperation<V>[]): Operation[] {
  if (!Array.isArray(operations)) throw new InvalidOptionError("`operations`", "Expected `operations` to be an array.");
  return operations.map((o) => {
    if (o.op === "set") return { op: "set", key: keyOf(o.key), value: o.value };
    if (o.op === "get" || o.op === "delete" || o.op === "has") return { op: o.op, key: keyOf(o.key) };
    throw new InvalidOptionError("`operations`", `Unknown batch operation ${describeValue((o as { op: unknown }).op)}: use get, set, delete or has.`);
  });
}

/**
 * A worker's handle on a {@link Manager}: the same methods, each one message
 * to the owner. Workers get one automatically for a manager in their arguments.
 */
export class ManagerProxy<V = unknown> implements ManagerLike<V> {
  #socket?: net.Socket;
  #nextId = 1;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(readonly address: string) {}

  async get(key: Key): Promise<V | undefined> {
    return (await this.#call({ op: "get", key: keyOf(key) })) as V | undefined;
  }
  async set(key: Key, value: V): Promise<void> {
    const k = keyOf(key);
    checkSendable(value, label(k));
    await this.#call({ op: "set", key: k, value });
  }
  async delete(key: Key): Promise<boolean> {
    return (await this.#call({ op: "delete", key: keyOf(key) })) as boolean;
  }
  async has(key: Key): Promise<boolean> {
    return (await this.#call({ op: "has", key: keyOf(key) })) as boolean;
  }
  keys(): Promise<string[]> {
    return this.#call({ op: "keys" }) as Promise<string[]>;
  }
  entries(): Promise<[string, V][]> {
    return this.#call({ op: "entries" }) as Promise<[string, V][]>;
  }
  size(): Promise<number> {
    return this.#call({ op: "size" }) as Promise<number>;
  }
  async snapshot(): Promise<Record<string, V>> {
    return Object.fromEntries(await this.entries());
  }
  async update<A extends unknown[]>(key: Key, fn: (current: V | undefined, ...args: A) => V, ...args: A): Promise<V> {
    checkSendable(args, "the update's arguments");
    return (await this.#call({ op: "update", key: keyOf(key), source: functionSource(fn), args })) as V;
  }
  async batch(operations: BatchOperation<V>[]): Promise<unknown[]> {
    const normalised = normaliseBatch(operations);
    for (const o of normalised) if (o.op === "set") checkSendable(o.value, label(o.key));
    return (await this.#call({ op: "batch", operations: normalised })) as unknown[];
  }

  /** Closes the connection (it is also closed when the worker ends). */
  close(): void {
    this.#socket?.destroy();
    this.#socket = undefined;
  }

  #connect(): net.Socket {
    if (this.#socket) return this.#socket;
    const socket = net.createConnection(this.address);
    socket.unref(); // a waiting request holds the worker open through its promise, not the socket
    socket.on("data", frameReader((message) => {
      const { id, ok, value, error } = message as { id: number; ok: boolean; value?: unknown; error?: { name: string; message: string; option?: string } };
      const waiter = this.#pending.get(id);
      if (!waiter) return;
      this.#pending.delete(id);
      if (ok) waiter.resolve(value);
      else {
        const e = error!.name === "UnsendableValueError" ? new UnsendableValueError(error!.option ?? "value", error!.message) : new Error(error!.message);
        if (!(e instanceof UnsendableValueError)) e.name = error!.name;
        waiter.reject(e);
      }
    }));
    const failAll = (why: string): void => {
      for (const waiter of this.#pending.values()) waiter.reject(new ManagerUnavailableError(`The manager at ${this.address} is unavailable: ${why}.`));
      this.#pending.clear();
      this.#socket = undefined;
    };
    socket.on("error", (error) => failAll(error.message));
    socket.on("close", () => failAll("the connection closed"));
    this.#socket = socket;
    return socket;
  }

  #call(operation: Operation): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      // keep the worker alive while a request is out
      const socket = this.#connect();
      socket.ref();
      try {
        writeFrame(socket, { id, operation });
      } catch (error) {
        this.#pending.delete(id); // never sent: nothing will answer it
        reject(error as Error);
      }
    }).finally(() => {
      if (this.#pending.size === 0) this.#socket?.unref();
    });
  }
}

/** Turns a {@link ManagerReference} (from arguments) into a proxy. */
export function connectManager<V = unknown>(reference: ManagerReference): ManagerProxy<V> {
  if (!isManagerReference(reference)) throw new InvalidOptionError("`reference`", "Expected the value of `manager.reference()`.");
  return new ManagerProxy<V>(reference.__khManager);
}
