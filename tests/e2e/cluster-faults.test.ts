/**
 * The cluster pool when things break, on 127.0.0.1 with separate host
 * processes: a host killed while it holds a job (the job runs again
 * elsewhere, every result arrives, the re-run is counted), a task that
 * blocks an in-process host's event loop past its lock (named as stalled;
 * the same job on a sandboxed host runs once), and Redis killed and
 * restarted with and without persistence, and Redis gone for good. Short locks (`--lock-ms`) keep
 * each case to seconds; no assertion on timings.
 */
import {
  ClusterPool,
  JobLostError,
  JobStalledError,
  RedisUnavailableError,
  liveResourceCount,
  startRedis,
  startWorkerHosts,
  terminateAll,
  type RedisServer,
} from "kernel-helpers";
import { probePid } from "../test-helpers";

const FAST_LOCKS = { lockDurationMs: 1_000, stalledIntervalMs: 500 };
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `ready` returns something, or fails after `ms`. */
async function until<T>(what: string, ready: () => Promise<T | null | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await ready();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

afterAll(async () => {
  await terminateAll();
  expect(liveResourceCount()).toBe(0);
});

describe("with one Redis", () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis.stop());

  test("a host killed while it holds a job: the job runs again on another host, every result arrives, the re-run is counted", async () => {
    const hosts = await startWorkerHosts({ redis: redis.url, count: 2, ...FAST_LOCKS });
    const pool = await ClusterPool.connect({ redis: redis.url });
    try {
      await pool.waitForHosts(2);
      const results = pool.map("spin", Array(6).fill(400), { chunkSize: 1 });
      const held = await until("a running job", async () => (await pool.running())[0]);
      const victim = hosts.hosts.findIndex((h) => h.id === held.host);
      await hosts.kill(victim);
      expect(await results).toEqual(Array(6).fill(400));
      const rerun = pool.records.find((r) => r.jobId === held.jobId)!;
      expect(rerun.attempt).toBe(2);
      expect(rerun.host).not.toBe(held.host);
      expect(pool.stalls).toBeGreaterThanOrEqual(1);
      expect(pool.records.filter((r) => r.attempt > 1).map((r) => r.jobId)).toContain(held.jobId);
      expect(probePid(hosts.hosts[victim]!.pid)).toBe("ESRCH");
    } finally {
      await pool.terminate();
      await hosts.stop();
    }
  });

  test("a task that blocks an in-process host's event loop past its lock stalls and fails as JobStalledError; sandboxed, it runs once", async () => {
    const pool = await ClusterPool.connect({ redis: redis.url, announce: false, queue: `blocked-${process.pid}` });
    try {
      const inProcess = await startWorkerHosts({ redis: redis.url, count: 1, inProcess: true, queue: pool.queueName, ...FAST_LOCKS });
      const error = await pool.applyAsync("spin", [2_000]).get().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(JobStalledError);
      expect(pool.stalls).toBeGreaterThanOrEqual(1);
      expect(probePid(inProcess.pids[0]!)).toBe("alive"); // nothing died: the loop was only busy
      await inProcess.stop();
      const sandboxed = await startWorkerHosts({ redis: redis.url, count: 1, queue: pool.queueName, ...FAST_LOCKS });
      expect(await pool.applyAsync("spin", [2_000]).get()).toBe(2_000);
      expect(pool.records.at(-1)).toMatchObject({ outcome: "completed", attempt: 1 });
      await sandboxed.stop();
    } finally {
      await pool.terminate();
    }
  });
});

test("Redis gone for good: jobs still out reject with RedisUnavailableError after outageMs instead of waiting forever", async () => {
  const redis = await startRedis();
  const hosts = await startWorkerHosts({ redis: redis.url, count: 1 });
  const pool = await ClusterPool.connect({ redis: redis.url, outageMs: 1_000 });
  try {
    await pool.waitForHosts(1);
    const handles = Array.from({ length: 5 }, () => pool.applyAsync("sleep", [300, 1]));
    await redis.kill();
    const outcomes = await Promise.all(handles.map((h) => h.get().then(() => "ok", (e: Error) => e.name)));
    expect(outcomes.every((o) => o === "ok" || o === RedisUnavailableError.name)).toBe(true);
    expect(outcomes).toContain(RedisUnavailableError.name);
  } finally {
    await pool.terminate();
    await hosts.stop();
    await redis.stop();
  }
});

describe.each(["aof", "none"] as const)("Redis killed and restarted (persistence: %s)", (persistence) => {
  test(persistence === "aof" ? "nothing is lost: every job completes" : "queued jobs are lost, each named by JobLostError; nothing hangs", async () => {
    const redis = await startRedis({ persistence });
    const hosts = await startWorkerHosts({ redis: redis.url, count: 2, ...FAST_LOCKS });
    const pool = await ClusterPool.connect({ redis: redis.url });
    try {
      await pool.waitForHosts(2);
      const handles = Array.from({ length: 40 }, (_, i) => pool.applyAsync("spin", [30 + (i % 3)]));
      await until("some jobs done", async () => handles.filter((h) => h.ready()).length >= 4);
      await redis.kill();
      expect(probePid(hosts.pids[0]!)).toBe("alive");
      await redis.restart();
      const outcomes = await Promise.all(handles.map((h) => h.get().then(() => "ok", (e: Error) => e.name)));
      if (persistence === "aof") {
        expect(outcomes).toEqual(handles.map(() => "ok"));
      } else {
        expect(outcomes.filter((o) => o === JobLostError.name).length).toBeGreaterThan(0);
        expect(outcomes.every((o) => o === "ok" || o === JobLostError.name)).toBe(true);
      }
    } finally {
      await pool.terminate();
      await hosts.stop();
      await redis.stop();
    }
  });
});
