/**
 * `Manager`: a dict of dicts with one owner, shared with workers, like
 * Python's `multiprocessing.Manager().dict()`.
 *
 * The owner (the notebook's process) keeps the data and serves it on a local
 * socket (a Unix socket, or a named pipe on Windows); any thread or process
 * connects with a proxy (manager-proxy.ts). Every operation is one message,
 * handled whole during one turn of the owner's event loop, so each is all or
 * nothing: a worker that dies mid-message leaves a partial frame that is dropped.
 *
 * Private, as Python's managers are with their `authkey`: the socket is in a
 * folder only this user can enter (private-socket.ts), and a connection must
 * prove it holds the manager's random key (a challenge, manager-channel.ts)
 * before anything it sends is read as a request.
 *
 * THE CAVEAT (as in Python): a value read through `get` is a copy. Changing
 * the copy changes nothing in the manager until you assign it back with
 * `set`. And read-modify-write from several workers loses updates unless it
 * runs at the owner: use `update(key, fn)`.
 */
import net from "node:net";
import { registerResource, unregisterResource } from "./cleanup";
import { ProtocolError } from "./errors";
import { compileSource } from "../transport/compile-source";
import { FrameReader, writeFrame } from "../transport/frames";
import { answerRequest, type ChannelRequest } from "../transport/owner-channel";
import { authenticatePeer, newChannelKey } from "../transport/manager-channel";
import {
  checkValue,
  functionSource,
  isPlainPrimitive,
  keyOf,
  label,
  malformedRequest,
  normaliseBatch,
  type BatchOperation,
  type Key,
  type ManagerLike,
  type ManagerReference,
  type Operation,
} from "./manager-protocol";
import { PrivateSocket } from "../transport/private-socket";
import { holdManager } from "../transport/manager-lane-owner";

export { ManagerUnavailableError, isManagerReference } from "./manager-protocol";
export type { BatchOperation, Key, ManagerLike, ManagerReference } from "./manager-protocol";
export { ManagerProxy, connectManager } from "../transport/manager-proxy";
export { UnsafeAddressError } from "../transport/private-socket";

/** How many connection errors a manager keeps for {@link Manager.connectionErrors}. */
const KEPT_ERRORS = 20;

/** A copy that shares nothing with `value` (the store's, or the caller's): a primitive is its own. */
const copyOf = <T>(value: T): T => (isPlainPrimitive(value) ? value : structuredClone(value));

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
  readonly #server = net.createServer();
  readonly #sockets = new Set<net.Socket>();
  readonly #place: PrivateSocket;
  readonly #key = newChannelKey();
  readonly #connectionErrors: ProtocolError[] = [];
  #open = true;
  readonly #resource = { terminate: () => this.shutdown() };
  /** Ends its reach through the lanes of this process's workers (manager-lane-owner.ts). */
  #release: () => void = () => undefined;

  private constructor(place: PrivateSocket) {
    this.#place = place;
  }

  /** Where proxies connect (see {@link ManagerReference}). */
  get address(): string {
    return this.#place.address;
  }

  /**
   * Starts a manager holding a copy of `initial` (a plain object or a Map).
   * It listens on a local socket that only this user can open, in a folder of
   * its own, and serves only proxies that prove they hold its secret key.
   * @throws UnsendableValueError if a value cannot be stored, naming its key.
   * @throws UnsafeAddressError if something other than its own socket turned up at its private address.
   */
  static async start<V>(initial: Record<string, V> | Map<Key, V> = {}): Promise<Manager<V>> {
    const manager = new Manager<V>(PrivateSocket.create(`kh-manager-${process.pid}-${++managerCount}`));
    try {
      const entries = initial instanceof Map ? [...initial] : Object.entries(initial);
      for (const [key, value] of entries) await manager.set(key, value);
      manager.#server.on("connection", (socket) => manager.#serve(socket));
      await manager.#place.listen(manager.#server);
      manager.#release = holdManager(manager.address, manager.#key, (operation) => manager.#apply(operation));
    } catch (error) {
      manager.#place.remove();
      throw error;
    }
    // Idle connections must not keep a finished notebook or test alive.
    manager.#server.unref();
    registerResource(manager.#resource);
    return manager;
  }

  /**
   * The marker to pass to Pool tasks and Processes; they turn it into a proxy.
   * It carries the secret key (to the worker, through the pool's or process's
   * own channel; the key itself never crosses the manager's socket).
   */
  reference(): ManagerReference {
    return { __khManager: this.address, key: this.#key.toString("hex") };
  }

  /**
   * Connections the owner closed because their peer broke the protocol (a
   * wrong or cut-short answer to the key challenge, garbage, a truncated or
   * oversized frame, a malformed request), most recent last (at most 20 are
   * kept). The owner and the other connections carry on.
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
    this.#release();
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#place.remove();
    unregisterResource(this.#resource);
  }

  /** Applies one operation, whole, and returns copies (never live references to the data). */
  #apply(operation: Operation): unknown {
    switch (operation.op) {
      case "get":
        return copyOf(this.#data.get(operation.key));
      case "set":
        this.#data.set(operation.key, copyOf(operation.value as V));
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
        return copyOf([...this.#data]);
      case "update": {
        const next = compileSource(operation.source)(copyOf(this.#data.get(operation.key)), ...operation.args) as V;
        checkValue(next, label(operation.key));
        this.#data.set(operation.key, copyOf(next));
        return copyOf(next);
      }
      case "batch": {
        // Check and copy every value first, so a bad one stops the batch before anything changed.
        const prepared = operation.operations.map((o) => {
          if (o.op !== "set") return o;
          checkValue(o.value, () => label(o.key));
          return { ...o, value: copyOf(o.value) };
        });
        return prepared.map((o) => (o.op === "set" ? void this.#data.set(o.key, o.value as V) : this.#apply(o)));
      }
    }
  }

  #noteError(error: ProtocolError): void {
    this.#connectionErrors.push(error);
    if (this.#connectionErrors.length > KEPT_ERRORS) this.#connectionErrors.shift();
  }

  #serve(socket: net.Socket): void {
    this.#sockets.add(socket);
    socket.on("close", () => this.#sockets.delete(socket));
    socket.on("error", () => socket.destroy()); // a worker that died mid-message: its partial frame is dropped
    // Until the peer proves it holds the key, the handshake alone reads from this
    // socket: the request handler below does not exist for it before then.
    authenticatePeer(socket, this.#key, {
      onAuthenticated: (rest) => this.#serveRequests(socket, rest),
      onRefused: (error) => this.#noteError(error),
    });
  }

  /** Answers the requests of a peer that has proved it holds the key. */
  #serveRequests(socket: net.Socket, alreadyReceived: Buffer): void {
    const refuse = (error: ProtocolError): void => {
      reader.stop(); // nothing after the bad frame is applied, even if it arrived in the same chunk
      this.#noteError(error);
      socket.destroy();
    };
    const reader = new FrameReader((message) => {
      const problem = malformedRequest(message);
      if (problem) return refuse(new ProtocolError(`Manager: a connection sent a malformed request (${problem}); it was closed.`));
      const { id, operation } = message as ChannelRequest<Operation>;
      answerRequest(id, () => this.#apply(operation), (answer) => writeFrame(socket, answer, "the answer"));
    }, refuse);
    socket.on("data", (chunk: Buffer) => reader.push(chunk));
    socket.on("end", () => reader.end());
    if (alreadyReceived.length > 0) reader.push(alreadyReceived);
  }
}
