/**
 * A TCP proxy that holds every chunk of data for a fixed time in each
 * direction: the latency of a network between worker hosts and Redis, on one
 * machine. (Linux's `tc netem` would do this in the kernel; a proxy works
 * everywhere, without root.)
 */
import net from "node:net";
import { registerResource, unregisterResource } from "../primitives/cleanup";
import { checkInteger } from "../primitives/validate";
import { parseRedisUrl } from "./redis-url";

/** Options of {@link startDelayProxy}. */
export interface DelayProxyOptions {
  /** Where connections go: the Redis port (host default 127.0.0.1). */
  target: { host?: string; port: number };
  /** Added to each direction, in ms (a round trip gains twice this). */
  delayMs: number;
  /** Where the proxy listens. Default 127.0.0.1 on a free port. */
  listen?: { host?: string; port?: number };
}

/** A running delay proxy. */
export class DelayProxy {
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();

  /** @internal use {@link startDelayProxy} */
  constructor(
    server: net.Server,
    readonly host: string,
    readonly port: number,
    readonly delayMs: number,
  ) {
    this.#server = server;
  }

  /** @internal */
  track(socket: net.Socket): void {
    this.#sockets.add(socket);
    socket.on("close", () => this.#sockets.delete(socket));
  }

  /** `redisUrl` with its host and port replaced by the proxy's (password kept). */
  url(redisUrl: string): string {
    const parsed = parseRedisUrl(redisUrl);
    parsed.hostname = this.host;
    parsed.port = String(this.port);
    return parsed.toString();
  }

  /** Stops listening and cuts every connection. Safe to call twice. */
  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    unregisterResource(this);
  }

  /** The same as {@link DelayProxy.close}, for `terminateAll()`. */
  async terminate(): Promise<void> {
    await this.close().catch(() => undefined);
  }
}

/** Copies `from` to `to`, each chunk `delayMs` later (same-length timers fire in order, so bytes stay in order). */
function pipeDelayed(from: net.Socket, to: net.Socket, delayMs: number): void {
  from.on("data", (chunk) => {
    if (delayMs === 0) to.write(chunk);
    else setTimeout(() => to.writable && to.write(chunk), delayMs);
  });
  from.on("end", () => setTimeout(() => to.end(), delayMs));
  from.on("error", () => to.destroy());
  from.on("close", () => setTimeout(() => to.destroy(), delayMs));
}

/**
 * Starts a proxy in front of `target` that delays each direction by `delayMs`.
 * Point worker hosts at `proxy.url(redisUrl)` to put them "far" from Redis.
 * @example const proxy = await startDelayProxy({ target: { port: redis.port }, delayMs: 1 });
 */
export async function startDelayProxy(options: DelayProxyOptions): Promise<DelayProxy> {
  const delayMs = checkInteger("`delayMs`", options.delayMs, { min: 0, max: 60_000 });
  const targetHost = options.target.host ?? "127.0.0.1";
  const listenHost = options.listen?.host ?? "127.0.0.1";
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.listen?.port ?? 0, listenHost, () => resolve());
  });
  const proxy = new DelayProxy(server, listenHost, (server.address() as net.AddressInfo).port, delayMs);
  server.on("connection", (client) => {
    const upstream = net.connect(options.target.port, targetHost);
    proxy.track(client);
    proxy.track(upstream);
    pipeDelayed(client, upstream, delayMs);
    pipeDelayed(upstream, client, delayMs);
  });
  registerResource(proxy);
  return proxy;
}
