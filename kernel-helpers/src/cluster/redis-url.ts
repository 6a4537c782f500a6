/**
 * Redis addresses: reading `redis://` and `rediss://` (TLS) URLs, hiding
 * their password in messages, the connection options every client of the
 * cluster uses, and a check that fails within seconds when Redis cannot be
 * used.
 */
import type { Redis } from "ioredis";
import { InvalidOptionError } from "../primitives/errors";
import { RedisUnavailableError } from "./errors";

/** How long a first connection may take before Redis counts as unreachable. */
export const CONNECT_TIMEOUT_MS = 3_000;

/**
 * Checks a Redis URL and returns it parsed.
 * @throws InvalidOptionError naming `option` for anything but `redis://` or `rediss://` with a host.
 */
export function parseRedisUrl(url: string, option = "redis"): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidOptionError(option, `Expected \`${option}\` to be a URL like redis://:PASSWORD@127.0.0.1:6379, got ${JSON.stringify(redactUrl(url))}.`);
  }
  if ((parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") || !parsed.hostname) {
    throw new InvalidOptionError(option, `Expected \`${option}\` to start with redis:// (or rediss:// for TLS) and name a host, got ${JSON.stringify(redactUrl(url))}.`);
  }
  return parsed;
}

/** The URL with its password replaced by `***`, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/^(\w+:\/\/[^:/@]*:)[^@]*@/, "$1***@");
}

/** The URL with `password` (and `username`, if given) set. */
export function withCredentials(url: string, password: string, username = ""): string {
  const parsed = parseRedisUrl(url);
  parsed.username = encodeURIComponent(username);
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}

/** The connection settings shared by every client of the cluster (see {@link connectionOptions}). */
export interface ConnectionSettings {
  url: string;
  connectTimeout: number;
  maxRetriesPerRequest: null;
  retryStrategy: (times: number) => number;
}

/**
 * Connection options for every client of the cluster: reconnect within a
 * second (ioredis' default back-off, as BullMQ sets it, grows to 20 s), give
 * up a first connection after {@link CONNECT_TIMEOUT_MS}, and no per-command
 * retry limit (BullMQ's blocking commands need that).
 */
export function connectionOptions(url: string): ConnectionSettings {
  parseRedisUrl(url);
  return {
    url,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: null,
    retryStrategy: (times: number) => Math.min(100 * times, 1_000),
  };
}

/** Loads ioredis on first use (it and BullMQ cost 0.2 s to load, which other notebooks need not pay). */
export function loadIORedis(): typeof import("ioredis").default {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require("ioredis") as typeof import("ioredis")).default;
}

/** Why a connection failed, in words, from ioredis' error. */
function describeFailure(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  if (/WRONGPASS|invalid username-password/i.test(text)) return "the password (or user name) is wrong";
  if (/NOAUTH|Authentication required/i.test(text)) return "it requires a password and none was given";
  if (/ECONNREFUSED/.test(text)) return "nothing listens there (connection refused)";
  if (/ETIMEDOUT|timed out|timeout/i.test(text)) return `no answer within ${CONNECT_TIMEOUT_MS / 1000} s`;
  if (/ENOTFOUND|EAI_AGAIN/.test(text)) return "the host name does not resolve";
  if (/ECONNRESET|EPIPE/.test(text)) return "the server closed the connection (if it expects TLS, use rediss://)";
  return text;
}

/**
 * Connects a plain client for the cluster's own bookkeeping, failing within
 * a few seconds with a named error instead of retrying for minutes.
 * @throws RedisUnavailableError naming the address (password hidden) and the reason.
 */
export async function connectRedis(url: string): Promise<Redis> {
  const IORedis = loadIORedis();
  const { url: _url, ...options } = connectionOptions(url);
  const client = new IORedis(url, { ...options, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: () => null });
  // ioredis rejects connect() with "Connection is closed"; the cause came as an error event before
  let cause: unknown;
  client.on("error", (error: unknown) => void (cause ??= error));
  let timer: NodeJS.Timeout | undefined;
  const silence = new Promise<never>((_, reject) => {
    // a server that accepts connections but never answers (not Redis, or stuck) must not hang us
    timer = setTimeout(() => reject(new Error(`timed out: no answer to PING within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS);
  });
  try {
    await Promise.race([client.connect().then(() => client.ping()), silence]);
  } catch (error) {
    // disconnect() on a stream that is already closed leaves a 2 s timer behind (ioredis)
    if (client.status !== "end") client.disconnect();
    const reason = describeFailure(cause ?? error);
    throw new RedisUnavailableError(
      `Redis at ${redactUrl(url)} cannot be used: ${reason}. Check the address and password ` +
        "(REDIS_URL=redis://:PASSWORD@HOST:PORT), or leave REDIS_URL unset to start one on this machine.",
      reason,
    );
  } finally {
    clearTimeout(timer);
  }
  // from now on, reconnect like every other client of the cluster
  client.options.retryStrategy = connectionOptions(url).retryStrategy;
  client.options.enableOfflineQueue = true;
  client.options.maxRetriesPerRequest = null;
  return client;
}

/**
 * The notebook knob for a Redis: the URL in environment variable `name`
 * (default REDIS_URL), checked, or `""` when it is unset or empty (meaning:
 * start one here).
 * @throws InvalidOptionError naming the variable, with the password hidden, for anything but a redis:// or rediss:// URL.
 * @example const REDIS_URL = redisUrlFromEnv(); // "" or "redis://:PASSWORD@HOST:PORT"
 */
export function redisUrlFromEnv(name = "REDIS_URL"): string {
  const url = (process.env[name] ?? "").trim();
  if (url) parseRedisUrl(url, name);
  return url;
}

/**
 * Closes a connection gracefully, or forces it after `ms` (at once with 0,
 * never with Infinity): a client waiting to reconnect to a Redis that is gone
 * would otherwise wait forever for its goodbye (QUIT), and keep its process
 * alive. The forced close is not awaited past half a second: BullMQ's
 * `disconnect()` stops the reconnecting at once but may never resolve for a
 * socket that is already closed.
 */
export async function closeWithin(close: () => Promise<unknown>, force: () => unknown, ms: number): Promise<void> {
  if (!Number.isFinite(ms)) {
    await close().catch(() => undefined);
    return;
  }
  const within = async (work: Promise<unknown>, limitMs: number): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), limitMs)));
    const done = await Promise.race([work.then(() => true, () => true), late]);
    clearTimeout(timer);
    return done;
  };
  if (ms > 0 && (await within(close(), ms))) return;
  await within(Promise.resolve().then(force), 500);
}
