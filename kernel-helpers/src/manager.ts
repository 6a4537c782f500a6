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
import { randomBytes, timingSafeEqual } from "node:crypto";
import { registerResource, unregisterResource } from "./cleanup";
import { InvalidOptionError, ProtocolError } from "./errors";
import { checkSendable, UnsendableValueError } from "./sendable";
import { FrameReader, writeFrame } from "./frames";
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

/** The manager's owner cannot be reached (it was shut down, or its process ended). */
export class ManagerUnavailableError extends Error {
  override name = "ManagerUnavailableError";
}

/** The marker a Manager becomes when it is sent to a worker. */
export interface ManagerReference {
  /** Where the owner listens: a Unix socket in a private (0700) folder, or a named pipe on Windows. */
  __khManager: string;
  /** The secret a proxy must present first, as Python's `authkey`; anyone without it is turned away. */
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

/** The manager's values travel over a socket (copied, never shared), so the same rules as for a worker, without shared memory. */
function checkValue(value: unknown, where: string): void {
  checkSendable(value, where, { to: "the manager", sharedMemory: false });
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
  /** Where proxies connect (see {@link ManagerReference}). */
  readonly address: string;
  readonly #key: Buffer;
  readonly #folder: string | undefined;
  readonly #connectionErrors: ProtocolError[] = [];
  #open = true;
  readonly #resource = { terminate: () => this.shutdown() };

  private constructor(server: net.Server, address: string, key: Buffer, folder: string | undefined) {
    this.#server = server;
    this.address = address;
    this.#key = key;
    this.#folder = folder;
  }

  /**
   * Starts a manager holding a copy of `initial` (a plain object or a Map).
   * It listens on a local socket that only this user can open, in a folder of
   * its own, and answers only proxies that present its secret key.
   * @throws UnsendableValueError if a value cannot be stored, naming its key.
   */
  static async start<V>(initial: Record<string, V> | Map<Key, V> = {}): Promise<Manager<V>> {
    const serial = ++managerCount;
    const folder = process.platform === "win32" ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), `kh-manager-${process.pid}-${serial}-`));
    const address = folder === undefined ? `\\\\.\\pipe\\kh-manager-${process.pid}-${serial}-${randomBytes(8).toString("hex")}` : path.join(folder, "manager.sock");
    const server = net.createServer();
    const manager = new Manager<V>(server, address, randomBytes(32), folder);
    try {
      const entries = initial instanceof Map ? [...initial] : Object.entries(initial);
      for (const [key, value] of entries) await manager.set(key, value);
      server.on("connection", (socket) => manager.#serve(socket));
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(address, () => resolve());
      });
    } catch (error) {
      manager.#removeFolder();
      throw error;
    }
    // Idle connections must not keep a finished notebook or test alive.
    server.unref();
    registerResource(manager.#resource);
    return manager;
  }

  /** The marker to pass to Pool tasks and Processes; they turn it into a proxy. It carries the secret key. */
  reference(): ManagerReference {
    return { __khManager: this.address, key: this.#key.toString("hex") };
  }

  /**
   * Connections the owner closed because their peer broke the protocol
   * (garbage, a truncated or oversized frame, a wrong key), most recent last
   * (at most 20 are kept). The owner and the other connections carry on.
   */
  get connectionErrors(): readonly ProtocolError[] {
    return this.#connectionErrors;
  }

  async get(key: Key): Promise<V | undefined> {
    return this.#apply({ op: "get", key: keyOf(key) }) as V | undefined;
  }
  async set(key: Key, value: V): Promise<void> {
    const k = keyOf(key);
    checkValue(value, label(k));
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
    checkValue(args, "the update's arguments");
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
    this.#removeFolder();
    unregisterResource(this.#resource);
  }

  #removeFolder(): void {
    if (this.#folder) fs.rmSync(this.#folder, { recursive: true, force: true });
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
        checkValue(next, label(operation.key));
        this.#data.set(operation.key, structuredClone(next));
        return structuredClone(next);
      }
      case "batch": {
        // Check and copy every value first, so a bad one stops the batch before anything changed.
        const prepared = operation.operations.map((o) => {
          if (o.op !== "set") return o;
          checkValue(o.value, label(o.key));
          return { ...o, value: structuredClone(o.value) };
        });
        return prepared.map((o) => this.#apply(o));
      }
    }
  }

  #serve(socket: net.Socket): void {
    this.#sockets.add(socket);
    let authenticated = false;
    const refuse = (error: ProtocolError): void => {
      this.#connectionErrors.push(error);
      if (this.#connectionErrors.length > 20) this.#connectionErrors.shift();
      socket.destroy();
    };
    const reader = new FrameReader((message) => {
      if (!authenticated) {
        authenticated = hasKey(message, this.#key);
        if (!authenticated) refuse(new ProtocolError("Manager: a connection did not present the manager's key first; it was closed."));
        return;
      }
      const problem = malformedRequest(message);
      if (problem) return refuse(new ProtocolError(`Manager: a connection sent a malformed request (${problem}); it was closed.`));
      const { id, operation } = message as { id: number; operation: Operation };
      try {
        writeFrame(socket, { id, ok: true, value: this.#apply(operation) }, "the answer");
      } catch (error) {
        const e = error instanceof Error ? error : new Error(`a non-Error value was thrown: ${String(error)}`);
        writeFrame(socket, { id, ok: false, error: { name: String(e.name), message: String(e.message), option: (e as InvalidOptionError).option } });
      }
    }, refuse);
    socket.on("data", (chunk: Buffer) => reader.push(chunk));
    socket.on("end", () => reader.end());
    socket.on("close", () => this.#sockets.delete(socket));
    socket.on("error", () => socket.destroy()); // a worker that died mid-message: its partial frame is dropped
  }
}

/** True if the first message is `{ key }` with this manager's key (compared in constant time). */
function hasKey(message: unknown, key: Buffer): boolean {
  const given = (message as { key?: unknown } | null)?.key;
  if (typeof given !== "string" || !/^[0-9a-f]{64}$/.test(given)) return false;
  return timingSafeEqual(Buffer.from(given, "hex"), key);
}

const OPERATIONS = new Set(["get", "set", "delete", "has", "keys", "entries", "size", "update", "batch"]);
const BATCH_OPERATIONS = new Set(["get", "set", "delete", "has"]);

/** What is wrong with a request from a proxy, or undefined if it is well formed. */
function malformedRequest(message: unknown): string | undefined {
  const m = message as { id?: unknown; operation?: Record<string, unknown> } | null;
  if (typeof m !== "object" || m === null || !Number.isSafeInteger(m.id)) return "no integer id";
  const o = m.operation;
  if (typeof o !== "object" || o === null || !OPERATIONS.has(o.op as string)) return "an unknown operation";
  if ("key" in o && typeof o.key !== "string") return "a key that is not a string";
  if (["get", "set", "delete", "has", "update"].includes(o.op as string) && typeof o.key !== "string") return "a missing key";
  if (o.op === "update" && (typeof o.source !== "string" || !Array.isArray(o.args))) return "an update without source and arguments";
  if (o.op === "batch") {
    if (!Array.isArray(o.operations)) return "a batch without operations";
    for (const b of o.operations as unknown[]) {
      const item = b as { op?: unknown; key?: unknown } | null;
      if (typeof item !== "object" || item === null || !BATCH_OPERATIONS.has(item.op as string) || typeof item.key !== "string") {
        return "a batch with a malformed operation";
      }
    }
  }
  return undefined;
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

  readonly #key: string;

  /**
   * @param address - where the manager listens (`reference.__khManager`).
   * @param key - the manager's secret (`reference.key`); usually you call {@link connectManager} instead.
   */
  constructor(
    readonly address: string,
    key: string,
  ) {
    this.#key = key;
  }

  async get(key: Key): Promise<V | undefined> {
    return (await this.#call({ op: "get", key: keyOf(key) })) as V | undefined;
  }
  async set(key: Key, value: V): Promise<void> {
    const k = keyOf(key);
    checkValue(value, label(k));
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
    checkValue(args, "the update's arguments");
    return (await this.#call({ op: "update", key: keyOf(key), source: functionSource(fn), args })) as V;
  }
  async batch(operations: BatchOperation<V>[]): Promise<unknown[]> {
    const normalised = normaliseBatch(operations);
    for (const o of normalised) if (o.op === "set") checkValue(o.value, label(o.key));
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
    const failAll = (error: Error): void => {
      for (const waiter of this.#pending.values()) waiter.reject(error);
      this.#pending.clear();
      if (this.#socket === socket) this.#socket = undefined;
    };
    const unavailable = (why: string): void => failAll(new ManagerUnavailableError(`The manager at ${this.address} is unavailable: ${why}.`));
    const reader = new FrameReader(
      (message) => {
        const { id, ok, value, error } = (message ?? {}) as { id?: number; ok?: boolean; value?: unknown; error?: { name?: string; message?: string; option?: string } };
        const waiter = typeof id === "number" ? this.#pending.get(id) : undefined;
        if (!waiter) return;
        this.#pending.delete(id!);
        if (ok) return waiter.resolve(value);
        const name = String(error?.name ?? "Error");
        const text = String(error?.message ?? "the manager reported an error without a message");
        const e = name === "UnsendableValueError" ? new UnsendableValueError(error?.option ?? "value", text) : new Error(text);
        if (!(e instanceof UnsendableValueError)) e.name = name;
        waiter.reject(e);
      },
      (error) => {
        failAll(error);
        socket.destroy();
      },
    );
    socket.on("data", (chunk: Buffer) => reader.push(chunk));
    socket.on("error", (error) => unavailable(error.message));
    socket.on("close", () => unavailable("the connection closed (was the manager shut down?)"));
    writeFrame(socket, { key: this.#key });
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
        writeFrame(socket, { id, operation }, "the request");
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
  return new ManagerProxy<V>(reference.__khManager, reference.key);
}
