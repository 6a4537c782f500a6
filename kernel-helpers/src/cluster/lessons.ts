/**
 * The measurements of notebook 06 as functions, so that its cells show what
 * is measured and what it means: throughput with CPU accounting, a private
 * set of hosts for one experiment, finding a host that holds a job, and
 * Redis restarted while jobs run.
 */
import { InvalidOptionError } from "../primitives/errors";
import { checkInteger } from "../primitives/validate";
import { ClusterPool } from "./pool";
import { startWorkerHosts, type LocalHostsOptions, type LocalWorkerHosts } from "./local-hosts";
import { startRedis, type Persistence } from "./redis-server";
import { connectRedis } from "./redis-url";
import { median } from "../measuring/stats";
import type { ClusterTaskArgs } from "./pool";
import type { ClusterTaskName } from "./protocol";

/** What {@link measureJobs} found. */
export interface JobsMeasurement {
  jobs: number;
  elapsedMs: number;
  jobsPerSecond: number;
  /** Wall time per job: elapsed / jobs. */
  msPerJob: number;
  /** Redis CPU (user + system) per job, from its `INFO cpu`. */
  redisCpuMsPerJob: number;
  /** This process's CPU per job (adding jobs, reading results). */
  clientCpuMsPerJob: number;
  /** How long the task itself ran on its host, per job (the rest of `msPerJob` is the job's cost). */
  taskMsPerJob: number;
}

/**
 * Runs `jobs` jobs of one task through `pool`, one call per job, all
 * submitted at once, and measures the rate and what each job cost Redis and
 * this process in CPU time. `warmup` untimed jobs go first (default 5), so
 * that the hosts' worker threads have started and their connections are warm.
 * @example await measureJobs(pool, "echo", [0], 1000)
 */
export async function measureJobs<K extends ClusterTaskName>(
  pool: ClusterPool, task: K, args: ClusterTaskArgs<K>, jobs: number, options: { warmup?: number } = {},
): Promise<JobsMeasurement> {
  checkInteger("`jobs`", jobs, { min: 1, max: 10_000_000 });
  const warmup = checkInteger("`warmup`", options.warmup ?? 5, { min: 0, max: 10_000 });
  if (warmup > 0) await pool.starmap(task, Array.from({ length: warmup }, () => args), { chunkSize: 1 });
  const redisBefore = await pool.redisCpuMs();
  const cpuBefore = process.cpuUsage();
  const recordsBefore = pool.records.length;
  const started = performance.now();
  await pool.starmap(task, Array.from({ length: jobs }, () => args), { chunkSize: 1 });
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const redisCpuMs = (await pool.redisCpuMs()) - redisBefore;
  const ran = pool.records.slice(recordsBefore).map((r) => (r.finishedAtMs ?? 0) - (r.startedAtMs ?? 0));
  return {
    jobs, elapsedMs, jobsPerSecond: (jobs * 1000) / elapsedMs, msPerJob: elapsedMs / jobs,
    redisCpuMsPerJob: redisCpuMs / jobs, clientCpuMsPerJob: (cpu.user + cpu.system) / 1000 / jobs,
    taskMsPerJob: ran.reduce((sum, ms) => sum + ms, 0) / Math.max(1, ran.length),
  };
}

/** Options of {@link withPrivateHosts}: the hosts' own, plus where the pool and the hosts find Redis. */
export interface PrivateHostsOptions extends Omit<LocalHostsOptions, "queue"> {
  /** The Redis URL the hosts use, when it differs from `redis` (e.g. through a delay proxy). */
  hostRedis?: string;
}

/**
 * Starts `count` hosts that serve one new, unannounced queue, and a pool on
 * it, so that an experiment controls exactly which hosts run its jobs (hosts
 * serving announced queues do not see it). Runs `body`, then stops the pool
 * and the hosts, whatever happens.
 */
export async function withPrivateHosts<T>(options: PrivateHostsOptions, body: (pool: ClusterPool, hosts: LocalWorkerHosts) => Promise<T>): Promise<T> {
  const pool = await ClusterPool.connect({ redis: options.redis, announce: false });
  let hosts: LocalWorkerHosts | null = null;
  try {
    hosts = await startWorkerHosts({ ...options, redis: options.hostRedis ?? options.redis, queue: pool.queueName });
    await pool.waitForHosts(hosts.hosts.length);
    const result = await body(pool, hosts);
    pool.close();
    await pool.join();
    return result;
  } finally {
    await pool.terminate();
    await hosts?.stop(1_000);
  }
}

/**
 * The round trip to Redis at `url` (e.g. through a delay proxy): the median
 * of `count` PINGs one after the other, in ms.
 */
export async function redisRoundTripMs(url: string, count = 21): Promise<number> {
  const client = await connectRedis(url);
  try {
    const samples: number[] = [];
    for (let i = 0; i < count; i++) {
      const started = performance.now();
      await client.ping();
      samples.push(performance.now() - started);
    }
    return median(samples);
  } finally {
    client.disconnect();
  }
}

/** Waits until a job of `pool` is running, and returns it with the host holding it (20 s at most). */
export async function jobInProgress(pool: ClusterPool, timeoutMs = 20_000): Promise<{ jobId: string; host: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [running] = await pool.running();
    if (running) return running;
    if (Date.now() > deadline) throw new InvalidOptionError("timeoutMs", `No job of queue ${pool.queueName} started within ${timeoutMs} ms: are hosts serving it?`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** What {@link restartDuringJobs} saw. */
export interface RestartOutcome {
  persistence: Persistence;
  jobs: number;
  /** Jobs whose result arrived. */
  completed: number;
  /** Jobs Redis no longer had after the restart (JobLostError). */
  lost: number;
  /** Jobs that ended otherwise (failed, stalled). */
  failed: number;
  /** Completed jobs that had to be started more than once. */
  reRun: number;
  /** How long Redis was down, ms. */
  downMs: number;
}

/**
 * Starts a private Redis with the given persistence and `hosts` hosts,
 * submits `jobs` jobs of `jobMs` ms (spin), kills Redis once a few have
 * finished, starts it again, and counts what came back.
 * @throws RedisUnavailableError (as a rejection) when no redis-server can be started here.
 */
export async function restartDuringJobs(options: { persistence: Persistence; jobs: number; jobMs: number; hosts?: number }): Promise<RestartOutcome> {
  const redis = await startRedis({ persistence: options.persistence });
  try {
    return await withPrivateHosts({ redis: redis.url, count: options.hosts ?? 2, lockDurationMs: 1_000, stalledIntervalMs: 500 }, async (pool) => {
      const handles = Array.from({ length: options.jobs }, () => pool.applyAsync("spin", [options.jobMs]));
      while (handles.filter((h) => h.ready()).length < Math.max(1, Math.floor(options.jobs / 10))) await new Promise((resolve) => setTimeout(resolve, 5));
      const down = performance.now();
      await redis.kill();
      await redis.restart();
      const downMs = performance.now() - down;
      const outcomes = await Promise.all(handles.map((h) => h.get().then(() => "completed", (e: Error) => e.name)));
      const count = (what: string): number => outcomes.filter((o) => o === what).length;
      return {
        persistence: options.persistence, jobs: options.jobs, completed: count("completed"), lost: count("JobLostError"),
        failed: options.jobs - count("completed") - count("JobLostError"),
        reRun: pool.records.filter((r) => r.outcome === "completed" && r.attempt > 1).length, downMs,
      };
    });
  } finally {
    await redis.stop();
  }
}
