/**
 * A cluster for a notebook in one call: the Redis named by REDIS_URL or one
 * started here, and enough worker hosts, using those already serving (on
 * this or other machines) and starting the rest here.
 */
import type { Redis } from "ioredis";
import { checkInteger } from "../primitives/validate";
import { registerResource, unregisterResource } from "../primitives/cleanup";
import { HOST_STALE_MS, HOSTS_KEY, type HostInfo } from "./protocol";
import { connectRedis, redactUrl } from "./redis-url";
import { startRedis, type RedisServer } from "./redis-server";
import { startWorkerHosts, type LocalWorkerHosts } from "./local-hosts";

/** Options of {@link openCluster}. */
export interface OpenClusterOptions {
  /** A Redis to use (`redis://:PASSWORD@HOST:PORT`); empty or undefined: start one on this machine. */
  redisUrl?: string;
  /** Worker hosts wanted. Default 1. */
  hosts?: number;
  /** Jobs each host started here runs at a time. Default 1. */
  concurrency?: number;
}

/** The live hosts that serve every announced queue. */
export async function announcedHosts(client: Redis): Promise<HostInfo[]> {
  const entries = Object.values(await client.hgetall(HOSTS_KEY)).map((json) => JSON.parse(json) as HostInfo);
  return entries.filter((h) => h.announced && Date.now() - h.seenAtMs < HOST_STALE_MS);
}

/** What {@link openCluster} set up. `stop()` stops what it started, and nothing else. */
export class Cluster {
  /** @internal */
  constructor(
    /** The Redis URL, password included: give it to pools and hosts, do not print it. */
    readonly url: string,
    /** The Redis started here, or null when REDIS_URL named one. */
    readonly redis: RedisServer | null,
    /** The hosts started here, or null when enough were already serving. */
    readonly localHosts: LocalWorkerHosts | null,
    /** Hosts that were already serving. */
    readonly existingHosts: HostInfo[],
  ) {
    registerResource(this);
  }

  /** The Redis address with the password hidden. */
  get address(): string {
    return redactUrl(this.url);
  }

  /** One line on where Redis is and which hosts serve. */
  describe(): string {
    const where = this.redis ? `a Redis started here (${this.address}, password made for this run)` : `the Redis at ${this.address}`;
    const started = this.localHosts?.hosts.length ?? 0;
    return `Using ${where}; worker hosts: ${this.existingHosts.length} already serving, ${started} started here.`;
  }

  /** Stops the hosts and the Redis started here. Safe to call twice. */
  async stop(): Promise<void> {
    await this.localHosts?.stop();
    await this.redis?.stop();
    unregisterResource(this);
  }

  /** The same as {@link Cluster.stop}, for `terminateAll()`. */
  async terminate(): Promise<void> {
    await this.stop();
  }
}

/**
 * Finds or starts Redis and makes sure at least `hosts` worker hosts serve it.
 * @throws RedisUnavailableError (as a rejection), with what to do, when the
 *   REDIS_URL Redis cannot be used or no redis-server can be started here.
 * @example const cluster = await openCluster({ redisUrl: process.env.REDIS_URL, hosts: 2 });
 */
export async function openCluster(options: OpenClusterOptions = {}): Promise<Cluster> {
  const wanted = checkInteger("`hosts`", options.hosts ?? 1, { min: 0, max: 256 });
  const redis = options.redisUrl ? null : await startRedis();
  const url = options.redisUrl || redis!.url;
  let existing: HostInfo[] = [];
  let localHosts: LocalWorkerHosts | null = null;
  try {
    const client = await connectRedis(url);
    try {
      existing = await announcedHosts(client);
    } finally {
      client.disconnect();
    }
    const missing = Math.max(0, wanted - existing.length);
    if (missing > 0) localHosts = await startWorkerHosts({ redis: url, count: missing, concurrency: options.concurrency ?? 1 });
  } catch (error) {
    await redis?.stop();
    throw error;
  }
  return new Cluster(url, redis, localHosts, existing);
}
