/**
 * A worker host: the process that takes jobs from Redis and runs them. One
 * per machine (or several), each started with one command
 * (`npx kernel-helpers-worker --redis URL --concurrency N`, see
 * worker-cli.ts). It serves every queue a {@link ClusterPool} announces, or
 * one queue named at start, with BullMQ workers whose tasks run as
 * sandboxed processors (worker threads), so the host's own event loop stays
 * free to renew the locks of the jobs it holds.
 */
import os from "node:os";
import path from "node:path";
import type { Redis } from "ioredis";
import type { Job, Worker } from "bullmq";
import { checkInteger } from "../primitives/validate";
import { InvalidOptionError } from "../primitives/errors";
import { ANNOUNCED_QUEUES_KEY, HOSTS_KEY, QUEUE_PREFIX, hostId, reportableError, runJob, type HostInfo, type JobEnvelope } from "./protocol";
import { closeWithin, connectRedis, connectionOptions, redactUrl } from "./redis-url";

/** Options of {@link WorkerHost.start}. */
export interface WorkerHostOptions {
  /** The Redis URL, with its password: `redis://:PASSWORD@HOST:PORT` (`rediss://` for TLS). */
  redis: string;
  /** Jobs run at a time, per queue. Default 1; one per core of the host is usual. */
  concurrency?: number;
  /** Serve only this queue. Default: every queue a cluster pool announces. */
  queue?: string;
  /**
   * Run tasks in worker threads (default true). `false` runs them on the
   * host's own event loop: a long task then blocks lock renewal and the job
   * stalls. Only for showing that.
   */
  sandboxed?: boolean;
  /** How long a job's lock lasts without renewal, in ms. Default 10,000 (BullMQ's: 30,000). */
  lockDurationMs?: number;
  /** How often the host looks for stalled jobs (whose lock expired), in ms. Default 5,000. */
  stalledIntervalMs?: number;
  /** How often a job may stall and be re-run before it fails. Default 1 (BullMQ's). */
  maxStalledCount?: number;
  /** Called with each line the host has to say (queues served, failed jobs). Default: nothing. */
  log?: (line: string) => void;
}

/** A queue name the host accepts from an announcement: no key separators, no odd characters. */
export const QUEUE_NAME = /^[A-Za-z0-9_.-]{1,100}$/;
const DISCOVERY_MS = 250;
const HEARTBEAT_MS = 1_000;

/** Loads BullMQ on first use (0.1 s to load). */
export function loadBullmq(): typeof import("bullmq") {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("bullmq") as typeof import("bullmq");
}

/**
 * A running worker host. Start one with {@link WorkerHost.start}; stop it
 * with {@link WorkerHost.close}, which lets the jobs it holds finish.
 */
export class WorkerHost {
  /** `hostname:pid`: recorded on every job it runs. */
  readonly id = hostId(os.hostname(), process.pid);
  readonly concurrency: number;
  readonly sandboxed: boolean;
  readonly #options: WorkerHostOptions;
  readonly #client: Redis;
  readonly #workers = new Map<string, Worker>();
  readonly #timers: NodeJS.Timeout[] = [];
  #closing: Promise<void> | null = null;

  private constructor(options: WorkerHostOptions, client: Redis) {
    this.#options = options;
    this.#client = client;
    this.concurrency = options.concurrency ?? 1;
    this.sandboxed = options.sandboxed ?? true;
  }

  /**
   * Connects to Redis (failing within seconds with RedisUnavailableError),
   * then serves the queue or the announced queues until closed.
   * @example const host = await WorkerHost.start({ redis: process.env.REDIS_URL!, concurrency: 2 });
   */
  static async start(options: WorkerHostOptions): Promise<WorkerHost> {
    checkInteger("`concurrency`", options.concurrency ?? 1, { min: 1, max: 1024 });
    for (const key of ["lockDurationMs", "stalledIntervalMs"] as const) {
      if (options[key] !== undefined) checkInteger(`\`${key}\``, options[key], { min: 100, max: 3_600_000 });
    }
    if (options.maxStalledCount !== undefined) checkInteger("`maxStalledCount`", options.maxStalledCount, { min: 0, max: 100 });
    if (options.queue !== undefined && !QUEUE_NAME.test(options.queue)) {
      throw new InvalidOptionError("queue", `Expected \`queue\` to be 1-100 letters, digits, "_", "." or "-", got ${JSON.stringify(options.queue)}.`);
    }
    const host = new WorkerHost(options, await connectRedis(options.redis));
    host.#client.on("error", () => undefined); // ioredis reconnects by itself; errors are logged by the workers
    await host.#heartbeat();
    await host.#discover();
    host.#timers.push(setInterval(() => void host.#heartbeat().catch(() => undefined), HEARTBEAT_MS));
    if (options.queue === undefined) host.#timers.push(setInterval(() => void host.#discover().catch(() => undefined), DISCOVERY_MS));
    host.#log(`worker host ${host.id} ready: Redis ${redactUrl(options.redis)}, concurrency ${host.concurrency}, ` +
      `${host.sandboxed ? "sandboxed (worker threads)" : "in-process (tasks block this host's event loop)"}, ` +
      `serving ${options.queue ?? "every announced queue"}`);
    return host;
  }

  /** The queues served now. */
  queues(): string[] {
    return [...this.#workers.keys()];
  }

  /**
   * Stops taking jobs, lets running ones finish (or abandons them with
   * `force`), removes this host from the list in Redis and disconnects.
   */
  close(force = false): Promise<void> {
    this.#closing ??= (async () => {
      for (const timer of this.#timers) clearInterval(timer);
      // running jobs may take long to finish; but with Redis gone, a graceful close would wait for it forever
      const graceMs = this.#client.status === "ready" ? Infinity : 0;
      await Promise.allSettled([...this.#workers.values()].map((w) => closeWithin(() => w.close(force), () => w.disconnect(), graceMs)));
      this.#workers.clear();
      if (graceMs > 0) await this.#client.hdel(HOSTS_KEY, this.id).catch(() => undefined);
      await closeWithin(() => this.#client.quit(), () => this.#client.disconnect(), Math.min(graceMs, 2_000));
      this.#log(`worker host ${this.id} stopped`);
    })();
    return this.#closing;
  }

  #log(line: string): void {
    this.#options.log?.(line);
  }

  async #heartbeat(): Promise<void> {
    const info: HostInfo = {
      id: this.id, hostname: os.hostname(), pid: process.pid, concurrency: this.concurrency,
      sandboxed: this.sandboxed, queues: this.queues(), announced: this.#options.queue === undefined, seenAtMs: Date.now(),
    };
    await this.#client.hset(HOSTS_KEY, this.id, JSON.stringify(info));
  }

  /** Serves the announced queues that are new, and lets go of those no longer announced. */
  async #discover(): Promise<void> {
    if (this.#closing) return;
    const wanted = this.#options.queue !== undefined
      ? [this.#options.queue]
      : (await this.#client.zrangebyscore(ANNOUNCED_QUEUES_KEY, Date.now(), "+inf")).filter((name) => QUEUE_NAME.test(name));
    for (const name of wanted) if (!this.#workers.has(name)) this.#serve(name);
    for (const [name, worker] of this.#workers) {
      if (!wanted.includes(name)) {
        this.#workers.delete(name);
        this.#log(`queue ${name} is no longer announced: stopped serving it`);
        void worker.close();
      }
    }
  }

  #serve(queue: string): void {
    const { Worker } = loadBullmq();
    const inProcess = async (job: Job): Promise<JobEnvelope> => {
      try {
        return await runJob(job.data, job, this.id);
      } catch (error) {
        throw reportableError(error);
      }
    };
    const worker = new Worker(queue, this.sandboxed ? path.join(__dirname, "processor.js") : inProcess, {
      connection: connectionOptions(this.#options.redis),
      prefix: QUEUE_PREFIX,
      name: this.id,
      concurrency: this.concurrency,
      useWorkerThreads: true,
      lockDuration: this.#options.lockDurationMs ?? 10_000,
      stalledInterval: this.#options.stalledIntervalMs ?? 5_000,
      maxStalledCount: this.#options.maxStalledCount ?? 1,
    });
    worker.on("error", (error) => this.#log(`queue ${queue}: ${error.message}`));
    worker.on("failed", (job, error) => this.#log(`queue ${queue}: job ${job?.id ?? "?"} failed: ${error.message}`));
    this.#workers.set(queue, worker);
    this.#log(`serving queue ${queue}`);
    void this.#heartbeat().catch(() => undefined); // tell pools waiting for hosts at once
  }
}
