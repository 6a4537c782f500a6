/**
 * A worker's handle on a {@link Manager}: the same methods, each one request
 * to the owner. In a worker whose parent holds the manager (a pool worker or
 * a Process started from the notebook that made it), requests take the
 * worker's lane to its parent, and the worker waits for each answer as
 * Python's proxy does (manager-lane-peer.ts). Otherwise they go over the
 * manager's socket (owner-channel.ts: one form and one request-id scheme, as
 * a Queue's proxy): the proxy connects on first use, proves it holds the
 * manager's key and checks that the owner holds it too (manager-channel.ts);
 * requests made meanwhile wait, and are sent only then.
 */
import net from "node:net";
import { InvalidOptionError } from "../primitives/errors";
import { encodeFrame, FrameReader } from "./frames";
import { authenticateToOwner, parseChannelKey } from "./manager-channel";
import {
  checkValue,
  functionSource,
  isManagerReference,
  keyOf,
  label,
  ManagerUnavailableError,
  normaliseBatch,
  type BatchOperation,
  type Key,
  type ManagerLike,
  type ManagerReference,
  type Operation,
} from "../primitives/manager-protocol";
import { PendingRequests } from "./owner-channel";
import { callOverLane, routeToManager, type ManagerRoute } from "./manager-lane-peer";

/**
 * A worker's handle on a {@link Manager}: the same methods, each one message
 * to the owner. Workers get one automatically for a manager in their arguments.
 */
export class ManagerProxy<V = unknown> implements ManagerLike<V> {
  #socket?: net.Socket;
  /** Frames waiting for the handshake to finish (empty once it has). */
  #outbox: Buffer[] = [];
  #ready = false;
  /** Requests sent or queued, and the connection each one went to. */
  readonly #pending = new PendingRequests<net.Socket>();
  readonly #key: Buffer;
  readonly #keyText: string;
  /** The lane or the socket, decided at the first request. */
  #route?: ManagerRoute;

  /**
   * @param address - where the manager listens (`reference.__khManager`).
   * @param key - the manager's secret (`reference.key`, 64 hex digits); usually you call {@link connectManager} instead.
   * @throws InvalidOptionError if `key` is not 64 hex digits.
   */
  constructor(
    readonly address: string,
    key: string,
  ) {
    const parsed = parseChannelKey(key);
    if (!parsed) throw new InvalidOptionError("`key`", "Expected a manager's key (64 hex digits, as in `manager.reference().key`).");
    this.#key = parsed;
    this.#keyText = key;
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
    this.#ready = false;
    // Fails the requests given to this connection only: a newer one's are not its to fail.
    const failAll = (error: Error): void => {
      this.#pending.failAll(error, (sentOn) => sentOn === socket);
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      this.#outbox = [];
    };
    const unavailable = (why: string): void => failAll(new ManagerUnavailableError(`The manager at ${this.address} is unavailable: ${why}.`));
    socket.on("error", (error) => unavailable(error.message));
    socket.on("close", () => unavailable("the connection closed (was the manager shut down?)"));
    authenticateToOwner(socket, this.#key, {
      onReady: (alreadyReceived) => {
        const reader = new FrameReader(
          (message) => void this.#pending.settle(message),
          (error) => {
            failAll(error);
            socket.destroy();
          },
        );
        socket.on("data", (chunk: Buffer) => reader.push(chunk));
        if (alreadyReceived.length > 0) reader.push(alreadyReceived);
        this.#ready = true;
        for (const frame of this.#outbox.splice(0)) socket.write(frame);
      },
      onRefused: (why) => failAll(new ManagerUnavailableError(`The manager at ${this.address} ${why}.`)),
    });
    this.#socket = socket;
    return socket;
  }

  #call(operation: Operation): Promise<unknown> {
    try {
      this.#route ??= routeToManager(this.address, this.#keyText);
      if (this.#route !== "socket") return Promise.resolve(callOverLane(this.#route, operation, this.address));
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#pending.request((id) => {
      const frame = encodeFrame({ id, operation }, "the request"); // too large: rejects, nothing sent
      const socket = this.#connect();
      socket.ref(); // keep the worker alive while a request is out
      if (this.#ready) socket.write(frame);
      else this.#outbox.push(frame);
      return socket;
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
