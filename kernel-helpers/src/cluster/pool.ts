/**
 * `ClusterPool`: the vocabulary of {@link Pool} (applyAsync/get, map,
 * starmap, close/join, terminate) over a BullMQ queue in Redis, served by
 * worker hosts on any number of machines.
 */
import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import type { Queue, QueueEvents } from "bullmq";
import { AsyncResult, type MapOptions } from "../primitives/pool";
import { PoolClosedError, PoolStateError, TaskCancelledError, InvalidOptionError } from "../primitives/errors";
import { registerResource, unregisterResource } from "../primitives/cleanup";
import { inspectSendable, UnsendableValueError } from "../transport/sendable";
import { checkInteger } from "../primitives/validate";
import { NoWorkerHostsError, RedisUnavailableError, TaskSourceRefusedError } from "./errors";
import { ANNOUNCED_QUEUES_KEY, CLUSTER_TASKS, HOST_STALE_MS, HOSTS_KEY, QUEUE_PREFIX, type ClusterTaskName, type ClusterTasks, type HostInfo, type JobEnvelope } from "./protocol";
import { closeWithin, connectRedis, connectionOptions, redactUrl } from "./redis-url";
import { JobTracker, type JobRecord } from "./tracker";
import { loadBullmq, QUEUE_NAME } from "./worker-host";

/** Options of {@link ClusterPool.connect}. */
export interface ClusterPoolOptions {
  /** The Redis URL, with its password: `redis://:PASSWORD@HOST:PORT` (`rediss://` for TLS). */
  redis: string;
  /** The queue's name. Default: a new one for each pool (`kh-<time>-<random>`), so runs never mix. */
  queue?: string;
  /**
   * Announce the queue so that every worker host serves it (default true).
   * `false`: only hosts started with `--queue <name>` serve it.
   */
  announce?: boolean;
  /** After Redis has been unreachable this long (ms), jobs still out reject with RedisUnavailableError. Default 15,000. */
  outageMs?: number;
  /**
   * After jobs have waited this long (ms) with no worker host serving the
   * queue, they reject with NoWorkerHostsError instead of waiting forever.
   * Default 60,000; 0 waits forever (hosts may come later).
   */
  noHostsMs?: number;
}

/** Arguments of a task worker hosts run. */
export type ClusterTaskArgs<K extends ClusterTaskName> = Parameters<ClusterTasks[K]>;
/** Result of a task worker hosts run. */
export type ClusterTaskResult<K extends ClusterTaskName> = Awaited<ReturnType<ClusterTasks[K]>>;

type State = "running" | "closed" | "joined" | "terminated";
const ANNOUNCE_EVERY_MS = 5_000;
const ANNOUNCE_TTL_MS = 20_000;

/** A new queue name: the time, for people reading Redis, and randomness, for uniqueness. */
function uniqueQueueName(): string {
  return `kh-${new Date().toISOString().replace(/\D/g, "").slice(0, 14)}-${randomBytes(4).toString("hex")}`;
}

/**
 * A pool whose workers are worker hosts reached through Redis. Named tasks
 * only: a job carries a task name and JSON arguments, never code.
 *
 * @example
 * const pool = await ClusterPool.connect({ redis: process.env.REDIS_URL! });
 * await pool.waitForHosts(2);
 * const pis = await pool.map("leibnizPi", [1e7, 2e7]);
 * pool.close();
 * await pool.join();
 */
export class ClusterPool {
  /** The queue this pool's jobs go through. */
  readonly queueName: string;
  /** The Redis address, password hidden. */
  readonly redisAddress: string;
  #state: State = "running";
  readonly #client: Redis;
  readonly #queue: Queue;
  readonly #events: QueueEvents;
  readonly #tracker: JobTracker;
  readonly #announce: boolean;
  readonly #timers: NodeJS.Timeout[] = [];
  #sequence = 0;
  #batch: { id: string; task: string; calls: unknown[][] }[] = [];
  #downSinceMs: number | null = null;
  #noHostsSinceMs: number | null = null;

  private constructor(options: ClusterPoolOptions, queueName: string, client: Redis) {
    const { Queue, QueueEvents } = loadBullmq();
    const connection = connectionOptions(options.redis);
    this.queueName = queueName;
    this.redisAddress = redactUrl(options.redis);
    this.#client = client;
    this.#announce = options.announce ?? true;
    this.#queue = new Queue(queueName, {
      connection, prefix: QUEUE_PREFIX,
      streams: { events: { maxLen: 200_000 } },
      defaultJobOptions: { attempts: 1, removeOnComplete: false, removeOnFail: false },
    });
    // short blocking reads: after Redis dies, BullMQ's read watchdog (the block time plus 1 s) is what still runs
    this.#events = new QueueEvents(queueName, { connection, prefix: QUEUE_PREFIX, lastEventId: "0-0", blockingTimeout: 1_000 });
    this.#tracker = new JobTracker(client, queueName);
    const outageMs = options.outageMs ?? 15_000;
    // both reconnect by themselves; outages are handled below
    this.#queue.on("error", () => undefined);
    this.#events.on("error", () => undefined);
    this.#events.on("completed", ({ jobId, returnvalue }) => this.#tracker.completed(jobId, returnvalue as unknown as JobEnvelope));
    this.#events.on("failed", ({ jobId, failedReason }) => this.#tracker.failed(jobId, failedReason));
    this.#events.on("stalled", () => void (this.#tracker.stalls += 1));
    client.on("error", () => undefined);
    client.on("close", () => void (this.#downSinceMs ??= Date.now()));
    client.on("ready", () => void (this.#downSinceMs = null));
    this.#timers.push(setInterval(() => {
      if (this.#downSinceMs !== null && Date.now() - this.#downSinceMs > outageMs) {
        this.#tracker.rejectAll(() => new RedisUnavailableError(`Redis at ${this.redisAddress} has been unreachable for over ${outageMs / 1000} s; the job's result cannot arrive.`), "lost");
      }
    }, 500));
    const noHostsMs = options.noHostsMs ?? 60_000;
    if (noHostsMs > 0) this.#timers.push(setInterval(() => void this.#checkHosts(noHostsMs).catch(() => undefined), 1_000));
    if (this.#announce) this.#timers.push(setInterval(() => void this.#announceQueue().catch(() => undefined), ANNOUNCE_EVERY_MS));
    for (const timer of this.#timers) timer.unref();
  }

  /**
   * Connects to Redis and opens a queue for this pool. Fails within seconds
   * (RedisUnavailableError) when Redis cannot be reached or the password is wrong.
   */
  static async connect(options: ClusterPoolOptions): Promise<ClusterPool> {
    if (options.queue !== undefined && !QUEUE_NAME.test(options.queue)) {
      throw new InvalidOptionError("queue", `Expected \`queue\` to be 1-100 letters, digits, "_", "." or "-", got ${JSON.stringify(options.queue)}.`);
    }
    if (options.outageMs !== undefined) checkInteger("`outageMs`", options.outageMs, { min: 100, max: 3_600_000 });
    if (options.noHostsMs !== undefined) checkInteger("`noHostsMs`", options.noHostsMs, { min: 0, max: 86_400_000 });
    const client = await connectRedis(options.redis);
    const pool = new ClusterPool(options, options.queue ?? uniqueQueueName(), client);
    registerResource(pool);
    try {
      await Promise.all([pool.#queue.waitUntilReady(), pool.#events.waitUntilReady()]);
      if (pool.#announce) await pool.#announceQueue();
    } catch (error) {
      await pool.terminate();
      throw error;
    }
    return pool;
  }

  /** `"running"`, `"closed"` (no new tasks), `"joined"` or `"terminated"`. */
  get state(): State {
    return this.#state;
  }

  /** How each finished job went: host, attempt, timings (see {@link JobRecord}). */
  get records(): readonly JobRecord[] {
    return this.#tracker.records;
  }

  /** How many times a job was taken back from a host that stopped renewing its lock (and run again). */
  get stalls(): number {
    return this.#tracker.stalls;
  }

  /**
   * Submits one task and returns at once with a handle; `await handle.get()` for the result.
   * @param task - the name of a task worker hosts run (`"leibnizPi"`, ...). Functions are refused.
   * @param args - its arguments: JSON data only (they travel through Redis).
   * @throws PoolClosedError after close() or terminate(); UnsendableValueError for arguments JSON cannot carry;
   *   TaskSourceRefusedError for a function; InvalidOptionError for an unknown name.
   * @example const h = pool.applyAsync("leibnizPi", [5_000_000]); await h.get();
   */
  applyAsync<K extends ClusterTaskName>(task: K, args: ClusterTaskArgs<K>): AsyncResult<ClusterTaskResult<K>> {
    this.#assertRunning();
    this.#checkTask(task);
    if (!Array.isArray(args)) throw new TypeError("Expected `args` to be an array of the task's arguments.");
    this.#checkJson(args, "args");
    return new AsyncResult(this.#submit(task, [args]).then((envelope) => envelope.results[0] as ClusterTaskResult<K>));
  }

  /**
   * Applies a one-argument task to every item; resolves with the results in
   * input order. Items travel in chunks, one job per chunk (default: like
   * Python, `ceil(items / (4 · slots))`, slots being the hosts' total concurrency).
   */
  map<K extends ClusterTaskName>(task: K, items: readonly ClusterTaskArgs<K>[0][], options: MapOptions = {}): Promise<ClusterTaskResult<K>[]> {
    return this.#mapCalls(task, () => items.map((item) => [item]), "items", options) as Promise<ClusterTaskResult<K>[]>;
  }

  /** Like {@link ClusterPool.map}, with each item an argument list spread into the task. */
  starmap<K extends ClusterTaskName>(task: K, argsList: readonly ClusterTaskArgs<K>[], options: MapOptions = {}): Promise<ClusterTaskResult<K>[]> {
    return this.#mapCalls(task, () => argsList.map((args, i) => {
      if (!Array.isArray(args)) throw new TypeError(`Expected every item of \`argsList\` to be an array of arguments; argsList[${i}] is not.`);
      return args as unknown[];
    }), "argsList", options) as Promise<ClusterTaskResult<K>[]>;
  }

  /** Stops accepting tasks; those submitted still run. Call {@link ClusterPool.join} next. */
  close(): void {
    if (this.#state === "running") this.#state = "closed";
  }

  /**
   * Waits until every submitted job has settled, then removes the queue from
   * Redis and closes every connection.
   * @throws PoolStateError (as a rejection) if the pool is still running: call `close()` first.
   */
  async join(): Promise<void> {
    if (this.#state === "running") throw new PoolStateError("Pool is still running: call close() before join() (as in Python).");
    while (this.#tracker.size > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    if (this.#state === "closed") {
      await this.#shutdown();
      this.#state = "joined";
    }
  }

  /** Stops now: jobs still out reject with TaskCancelledError, the queue is removed, connections close. */
  async terminate(): Promise<void> {
    if (this.#state === "terminated" || this.#state === "joined") return;
    this.#state = "terminated";
    this.#tracker.rejectAll((task) => new TaskCancelledError(task), "cancelled");
    await this.#shutdown();
  }

  /** The live worker hosts serving this pool's queue (heard from in the last 5 s). */
  async hosts(): Promise<HostInfo[]> {
    const entries = Object.values(await this.#client.hgetall(HOSTS_KEY)).map((json) => JSON.parse(json) as HostInfo);
    return entries.filter((h) => Date.now() - h.seenAtMs < HOST_STALE_MS && h.queues.includes(this.queueName));
  }

  /**
   * Waits until at least `count` worker hosts serve this queue.
   * @returns the hosts. @throws NoWorkerHostsError (as a rejection) after `timeoutMs` (default 20 s), saying how many there are.
   */
  async waitForHosts(count: number, timeoutMs = 20_000): Promise<HostInfo[]> {
    checkInteger("`count`", count, { min: 0, max: 100_000 });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hosts = await this.hosts();
      if (hosts.length >= count) return hosts;
      if (Date.now() > deadline) {
        throw new NoWorkerHostsError(`Only ${hosts.length} of ${count} worker hosts serve queue ${this.queueName} after ${timeoutMs / 1000} s. Start one: ${this.#startCommand()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** The jobs running now and the host holding each. */
  async running(): Promise<{ jobId: string; host: string }[]> {
    const jobs = await this.#queue.getActive();
    return jobs.map((job) => ({ jobId: String(job.id), host: job.processedBy ?? "?" }));
  }

  /** CPU time Redis has used since it started (its `INFO cpu`, user + system), in ms. */
  async redisCpuMs(): Promise<number> {
    const info = await this.#client.info("cpu");
    const read = (name: string): number => Number(new RegExp(`^${name}:([\\d.]+)`, "m").exec(info)?.[1] ?? 0);
    return (read("used_cpu_user") + read("used_cpu_sys")) * 1000;
  }

  #assertRunning(): void {
    if (this.#state !== "running") throw new PoolClosedError(`Pool not running (it is ${this.#state}): create a new ClusterPool to submit more tasks.`);
  }

  #checkTask(task: unknown): void {
    if (typeof task === "function") {
      throw new TaskSourceRefusedError("A cluster pool runs named tasks only: a function would travel as source text, and worker hosts refuse to run code sent through Redis. Use a task name, e.g. \"leibnizPi\".");
    }
    if (typeof task !== "string" || !Object.prototype.hasOwnProperty.call(CLUSTER_TASKS, task)) {
      throw new InvalidOptionError("task", `Unknown task ${JSON.stringify(task)}. Worker hosts run: ${Object.keys(CLUSTER_TASKS).join(", ")}.`);
    }
  }

  #checkJson(value: unknown, where: string): void {
    if (!inspectSendable(value, where, { to: "a worker host", sharedMemory: false })) {
      throw new UnsendableValueError(where, `Cannot send ${where} to a worker host: jobs travel through Redis as JSON, which would change it ` +
        "(Map, Set, typed arrays, BigInt, NaN, -0, undefined, Date...). Send numbers, strings, booleans, null, arrays and plain objects.");
    }
  }

  async #mapCalls(task: ClusterTaskName, toCalls: () => unknown[][], where: string, options: MapOptions): Promise<unknown[]> {
    this.#assertRunning();
    this.#checkTask(task);
    const calls = toCalls();
    calls.forEach((args, i) => this.#checkJson(args, `${where}[${i}]`));
    const slots = (await this.hosts().catch(() => [])).reduce((sum, h) => sum + h.concurrency, 0) || 1;
    const chunkSize = options.chunkSize === undefined
      ? Math.max(1, Math.ceil(calls.length / (4 * slots)))
      : checkInteger("`chunkSize`", options.chunkSize, { min: 1 });
    let done = 0;
    const parts: Promise<unknown[]>[] = [];
    for (let i = 0; i < calls.length; i += chunkSize) {
      const chunk = calls.slice(i, i + chunkSize);
      parts.push(this.#submit(task, chunk).then((envelope) => {
        done += chunk.length;
        options.onProgress?.(done, calls.length);
        return envelope.results;
      }));
    }
    return (await Promise.all(parts)).flat();
  }

  /** Registers a job, then adds it with the others submitted in the same turn of the event loop (one round trip). */
  #submit(task: string, calls: unknown[][]): Promise<JobEnvelope> {
    const id = `j${++this.#sequence}`;
    const result = this.#tracker.expect(id, task, calls.length);
    if (this.#batch.length === 0) setImmediate(() => void this.#flush());
    this.#batch.push({ id, task, calls });
    return result;
  }

  async #flush(): Promise<void> {
    const batch = this.#batch;
    this.#batch = [];
    try {
      await this.#queue.addBulk(batch.map(({ id, task, calls }) => ({ name: task, data: { task, calls }, opts: { jobId: id } })));
      this.#tracker.added(batch.map((job) => job.id));
    } catch (error) {
      const why = new RedisUnavailableError(`The job could not be added to Redis at ${this.redisAddress}: ${(error as Error).message}`);
      for (const job of batch) this.#tracker.reject(job.id, why, "lost");
    }
  }

  /** Rejects the jobs still out once no host has served the queue for `limitMs`, so nothing waits forever. */
  async #checkHosts(limitMs: number): Promise<void> {
    if (this.#tracker.size === 0 || this.#client.status !== "ready") {
      this.#noHostsSinceMs = null;
      return;
    }
    if ((await this.hosts()).length > 0) {
      this.#noHostsSinceMs = null;
      return;
    }
    this.#noHostsSinceMs ??= Date.now();
    if (Date.now() - this.#noHostsSinceMs < limitMs) return;
    this.#tracker.rejectAll((task, jobId) => new NoWorkerHostsError(
      `Job ${jobId} (task "${task}") cannot run: no worker host has served queue ${this.queueName} for ${limitMs / 1000} s. Start one: ${this.#startCommand()}`), "lost");
  }

  /** The command that starts a host for this queue. */
  #startCommand(): string {
    return `REDIS_URL=<url> npx kernel-helpers-worker --concurrency 1${this.#announce ? "" : ` --queue ${this.queueName}`}`;
  }

  async #announceQueue(): Promise<void> {
    await this.#client.zadd(ANNOUNCED_QUEUES_KEY, Date.now() + ANNOUNCE_TTL_MS, this.queueName);
  }

  async #shutdown(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    this.#tracker.stop();
    const reachable = this.#client.status === "ready";
    if (reachable) {
      await this.#client.zrem(ANNOUNCED_QUEUES_KEY, this.queueName).catch(() => undefined);
      await this.#queue.obliterate({ force: true }).catch(() => undefined);
    }
    // with Redis gone, a graceful close would wait for it forever
    const graceMs = reachable ? 2_000 : 0;
    await Promise.allSettled([
      // close(), not disconnect(), when forced too: it also ends the event loop's retries
      closeWithin(() => this.#events.close(), () => this.#events.close(), graceMs),
      closeWithin(() => this.#queue.close(), () => this.#queue.disconnect(), graceMs),
      closeWithin(() => this.#client.quit(), () => this.#client.disconnect(), graceMs),
    ]);
    unregisterResource(this);
  }
}
