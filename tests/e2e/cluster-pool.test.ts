/**
 * The cluster pool against a real Redis that the test starts (127.0.0.1, a
 * password made for the run) and worker hosts started as separate processes:
 * results complete and in order, errors named, both refusals of a worker
 * host (unknown task, function source) for jobs written straight into
 * Redis, a client without the password refused, and nothing left running.
 * No assertion on timings.
 */
import { spawnSync } from "node:child_process";
import net from "node:net";
import { Queue, QueueEvents } from "bullmq";
import IORedis from "ioredis";
import {
  ClusterPool,
  JobFailedError,
  NoWorkerHostsError,
  PoolClosedError,
  PoolStateError,
  RedisUnavailableError,
  TaskCancelledError,
  TaskSourceRefusedError,
  UnsendableValueError,
  leibnizPi,
  liveResourceCount,
  startRedis,
  startWorkerHosts,
  type LocalWorkerHosts,
  type RedisServer,
} from "kernel-helpers";
import { WORKER_CLI } from "kernel-helpers/dist/cluster/local-hosts";
import { probePid, rejectionOf, thrownBy } from "../test-helpers";

let redis: RedisServer;
let hosts: LocalWorkerHosts;
let pool: ClusterPool;

beforeAll(async () => {
  redis = await startRedis();
  hosts = await startWorkerHosts({ redis: redis.url, count: 2 });
  pool = await ClusterPool.connect({ redis: redis.url });
  await pool.waitForHosts(2);
}, 60_000);

afterAll(async () => {
  await pool?.terminate();
  await hosts?.stop();
  await redis?.stop();
});

describe("results", () => {
  test("applyAsync/get returns each task's value", async () => {
    const handles = [10_000, 20_000, 30_000].map((n) => pool.applyAsync("leibnizPi", [n]));
    expect(await Promise.all(handles.map((h) => h.get()))).toEqual([10_000, 20_000, 30_000].map((n) => leibnizPi(n)));
    expect(handles.every((h) => h.ready() && h.successful())).toBe(true);
  });

  test.each([undefined, 1, 7])("map returns every result in input order (chunkSize %s)", async (chunkSize) => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    const seen: number[] = [];
    const results = await pool.map("echo", items, { ...(chunkSize ? { chunkSize } : {}), onProgress: (done) => seen.push(done) });
    expect(results).toEqual(items);
    expect(seen.at(-1)).toBe(50);
  });

  test("starmap spreads each argument list", async () => {
    expect(await pool.starmap("leibnizPiById", [[7, 100], [8, 1000]])).toEqual([[7, leibnizPi(100)], [8, leibnizPi(1000)]]);
  });

  test("each job is recorded with the host that ran it, once", async () => {
    const before = pool.records.length;
    await pool.map("whoAmI", [null, null, null, null] as never[], { chunkSize: 1 });
    const mine = pool.records.slice(before);
    expect(mine).toHaveLength(4);
    expect(mine.every((r) => r.outcome === "completed" && r.attempt === 1)).toBe(true);
    expect(new Set(mine.map((r) => r.host)).size).toBeGreaterThanOrEqual(1);
    expect(mine.every((r) => hosts.hosts.some((h) => h.id === r.host))).toBe(true);
  });
});

describe("errors are named", () => {
  test("a task that throws on its host rejects with JobFailedError carrying the host's error name", async () => {
    const error = await rejectionOf(pool.applyAsync("leibnizPi", [-1]).get());
    expect(error).toBeInstanceOf(JobFailedError);
    expect((error as JobFailedError).workerErrorName).toBe("InvalidOptionError");
    expect((error as JobFailedError).workerMessage).toMatch(/`terms`/);
  });

  test("jobs that no worker host serves reject with NoWorkerHostsError instead of waiting forever", async () => {
    const lonely = await ClusterPool.connect({ redis: redis.url, announce: false, noHostsMs: 1_000 });
    try {
      expect(await rejectionOf(lonely.waitForHosts(1, 300))).toBeInstanceOf(NoWorkerHostsError);
      const error = await rejectionOf(lonely.applyAsync("echo", [1]).get());
      expect(error).toBeInstanceOf(NoWorkerHostsError);
      expect((error as Error).message).toContain(`--queue ${lonely.queueName}`);
    } finally {
      await lonely.terminate();
    }
  });

  test("a function is refused before anything is sent", () => {
    expect(thrownBy(() => pool.applyAsync((() => 1) as never, [] as never))).toBeInstanceOf(TaskSourceRefusedError);
  });

  test("arguments JSON would change are refused, naming the path", () => {
    const error = thrownBy(() => pool.applyAsync("echo", [new Map([[1, 2]])]));
    expect(error).toBeInstanceOf(UnsendableValueError);
    expect((error as Error).message).toMatch(/as JSON/);
  });
});

describe("a worker host runs named tasks only", () => {
  /** Adds one job straight into the pool's queue, as anyone who can write to Redis could, and waits for it. */
  async function rawJob(data: unknown): Promise<string> {
    const connection = { url: redis.url, maxRetriesPerRequest: null };
    const queue = new Queue(pool.queueName, { connection, prefix: "kh:q" });
    const events = new QueueEvents(pool.queueName, { connection, prefix: "kh:q", lastEventId: "0-0" });
    try {
      await events.waitUntilReady();
      const job = await queue.add("raw", data, { attempts: 1 });
      return await job.waitUntilFinished(events, 30_000).then(
        () => "completed",
        (error: Error) => error.message,
      );
    } finally {
      await events.close();
      await queue.close();
    }
  }

  test("a job naming an unknown task fails with UnknownTaskError", async () => {
    expect(await rawJob({ task: "shell", calls: [["rm -rf /"]] })).toMatch(/^UnknownTaskError: Unknown task "shell"/);
  });

  test("a job carrying function source fails with TaskSourceRefusedError", async () => {
    expect(await rawJob({ task: "echo", calls: [[1]], source: "() => process.exit(1)" })).toMatch(/^TaskSourceRefusedError: .*named tasks only/);
    expect(await rawJob({ task: "(x) => require('child_process').execSync(x)", calls: [["id"]] })).toMatch(/^TaskSourceRefusedError/);
  });

  test("both hosts are still alive and serving afterwards", async () => {
    expect(hosts.hosts.map((h) => probePid(h.pid))).toEqual(["alive", "alive"]);
    expect(await pool.map("echo", [1, 2, 3])).toEqual([1, 2, 3]);
  });
});

describe("the password", () => {
  test("Redis listens on 127.0.0.1 only and requires the password", async () => {
    const client = new IORedis(redis.url, { lazyConnect: true });
    try {
      await client.connect();
      expect(await client.config("GET", "bind")).toEqual(["bind", "127.0.0.1"]);
      expect(((await client.config("GET", "requirepass")) as string[])[1]).toBe(redis.password);
    } finally {
      client.disconnect();
    }
  });

  test("a client without the password gets nothing: every command is refused", async () => {
    // plain RESP over a socket: exactly what any program on this machine could send
    const commands = [["KEYS", "*"], ["HGETALL", "kh:hosts"], ["ZRANGE", "kh:queues", "0", "-1"], ["LPUSH", `kh:q:${pool.queueName}:wait`, "x"], ["CONFIG", "GET", "requirepass"]];
    const resp = commands.map((c) => `*${c.length}\r\n${c.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`).join("");
    const socket = net.connect(redis.port, "127.0.0.1");
    let replies = "";
    await new Promise<void>((resolve, reject) => {
      socket.on("data", (d) => (replies += d.toString()) && replies.split("\r\n").filter(Boolean).length >= commands.length && resolve());
      socket.on("error", reject);
      socket.write(resp);
    });
    socket.destroy();
    expect(replies.split("\r\n").filter(Boolean)).toEqual(commands.map(() => "-NOAUTH Authentication required."));
  });

  test("a pool with a wrong password, or none, is refused with RedisUnavailableError", async () => {
    const wrong = await rejectionOf(ClusterPool.connect({ redis: `redis://:not-the-password@127.0.0.1:${redis.port}` }));
    expect(wrong).toBeInstanceOf(RedisUnavailableError);
    expect((wrong as RedisUnavailableError).reason).toMatch(/password/);
    const none = await rejectionOf(ClusterPool.connect({ redis: `redis://127.0.0.1:${redis.port}` }));
    expect((none as RedisUnavailableError).reason).toMatch(/requires a password/);
  });

  test("a worker host with a wrong password exits with status 1 and says why", () => {
    const run = spawnSync(process.execPath, [WORKER_CLI], {
      env: { PATH: process.env["PATH"], REDIS_URL: `redis://:wrong@127.0.0.1:${redis.port}` }, encoding: "utf8", timeout: 30_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/password .*wrong/);
    expect(run.stderr).not.toContain("wrong@");
  });
});

describe("close, join, terminate", () => {
  test("join before close rejects; after close, nothing new is accepted; join removes the queue and disconnects", async () => {
    const own = await ClusterPool.connect({ redis: redis.url });
    const handle = own.applyAsync("sleep", [200, "done"]);
    expect(await rejectionOf(own.join())).toBeInstanceOf(PoolStateError);
    own.close();
    expect(thrownBy(() => own.applyAsync("echo", [1]))).toBeInstanceOf(PoolClosedError);
    await own.join();
    expect(await handle.get()).toBe("done");
    expect(own.state).toBe("joined");
    const client = new IORedis(redis.url);
    try {
      expect(await client.keys(`kh:q:${own.queueName}*`)).toEqual([]);
      expect(await client.zscore("kh:queues", own.queueName)).toBeNull();
    } finally {
      client.disconnect();
    }
  });

  test("terminate cancels jobs still out with TaskCancelledError", async () => {
    const own = await ClusterPool.connect({ redis: redis.url });
    const handles = Array.from({ length: 6 }, () => own.applyAsync("sleep", [2_000, 0]));
    await own.terminate();
    const errors = await Promise.all(handles.map((h) => rejectionOf(h.get())));
    expect(errors.every((e) => e instanceof TaskCancelledError)).toBe(true);
  });
});

test("nothing is left running: hosts and Redis stop, and every pool is unregistered", async () => {
  const pids = [...hosts.pids, redis.pid!];
  pool.close();
  await pool.join();
  await hosts.stop();
  await redis.stop();
  expect(pids.map(probePid)).toEqual(pids.map(() => "ESRCH"));
  expect(liveResourceCount()).toBe(0);
});
