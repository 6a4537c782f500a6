/**
 * The cluster pool's pieces that need no Redis: what a worker host accepts as
 * a job (named tasks only), error names carried through `failedReason`, Redis
 * URLs and their passwords, the worker command line, the throughput model,
 * the delay proxy (on 127.0.0.1), the runner's Redis plan, and failing fast
 * when nothing listens.
 */
import { spawnSync } from "node:child_process";
import net from "node:net";
import path from "node:path";
import {
  CLUSTER_TASKS,
  ClusterPool,
  InvalidOptionError,
  RedisUnavailableError,
  TaskSourceRefusedError,
  UnknownTaskError,
  checkJobData,
  crossing,
  hostsAtCeiling,
  liveResourceCount,
  predictThroughput,
  redactUrl,
  redisUrlFromEnv,
  startDelayProxy,
} from "kernel-helpers";
import { parseWorkerArgs } from "kernel-helpers/dist/cluster/worker-cli";
import { parseFailedReason, reportableError } from "kernel-helpers/dist/cluster/protocol";
import { parseRedisUrl, withCredentials } from "kernel-helpers/dist/cluster/redis-url";
import { WORKER_CLI } from "kernel-helpers/dist/cluster/local-hosts";
import { planRedis } from "../../scripts/runner/setup-plan";
import { needsRedis } from "../../scripts/runner/redis";
import { rejectionOf, thrownBy } from "../test-helpers";

describe("what a worker host accepts as a job", () => {
  test("a named task with argument lists is accepted", () => {
    expect(checkJobData({ task: "leibnizPi", calls: [[10], [20]] })).toEqual({ task: "leibnizPi", calls: [[10], [20]] });
  });

  test.each([
    ["an unknown name", { task: "rmEverything", calls: [[]] }],
    ["a name from Object.prototype", { task: "constructor", calls: [[]] }],
    ["__proto__", { task: "__proto__", calls: [[]] }],
    ["a task that needs a local queue", { task: "sumRandomNumbersToQueue", calls: [[]] }],
    ["no task at all", { calls: [[]] }],
    ["an extra field", { task: "echo", calls: [[1]], env: {} }],
    ["calls that are not argument lists", { task: "echo", calls: [1] }],
    ["an array instead of an object", [["echo"]]],
  ])("%s is refused with UnknownTaskError", (_, data) => {
    expect(thrownBy(() => checkJobData(data))).toBeInstanceOf(UnknownTaskError);
  });

  test.each([
    ["a source field", { task: "echo", calls: [[1]], source: "() => process.exit(1)" }],
    ["a code field", { code: "require('child_process').execSync('id')", calls: [] }],
    ["an arrow function as the name", { task: "(x) => x * 2", calls: [[1]] }],
    ["a function expression as the name", { task: "function () { return 1 }", calls: [[]] }],
    ["a call as the name", { task: "process.exit(0)", calls: [[]] }],
  ])("%s is refused with TaskSourceRefusedError", (_, data) => {
    const error = thrownBy(() => checkJobData(data));
    expect(error).toBeInstanceOf(TaskSourceRefusedError);
    expect((error as Error).message).toMatch(/named tasks only/);
  });

  test("the cluster's tasks are library tasks with JSON arguments, no queue or manager tasks", () => {
    expect(Object.keys(CLUSTER_TASKS)).toEqual(expect.arrayContaining(["leibnizPi", "monteCarloPi", "echo", "spin"]));
    expect(Object.keys(CLUSTER_TASKS)).not.toEqual(expect.arrayContaining(["lucasSequenceWorker"]));
  });

  test("an error's class name travels in front of its message and is read back", () => {
    const reported = reportableError(new RangeError("too big"));
    expect(reported.message).toBe("RangeError: too big");
    expect(parseFailedReason(reported.message)).toEqual({ name: "RangeError", message: "too big" });
    expect(parseFailedReason("plain words")).toEqual({ name: "Error", message: "plain words" });
  });
});

describe("Redis URLs", () => {
  test("the password is hidden in messages", () => {
    expect(redactUrl("redis://:s3cret@127.0.0.1:6379")).toBe("redis://:***@127.0.0.1:6379");
    expect(redactUrl("rediss://worker:s3cret@cache.example:6380/0")).toBe("rediss://worker:***@cache.example:6380/0");
    expect(redactUrl("redis://127.0.0.1:6379")).toBe("redis://127.0.0.1:6379");
  });

  test.each(["http://127.0.0.1:6379", "127.0.0.1:6379", "redis://", "not a url"])("%s is refused with InvalidOptionError", (url) => {
    expect(thrownBy(() => parseRedisUrl(url))).toBeInstanceOf(InvalidOptionError);
  });

  test("the REDIS_URL knob is checked, names the variable and hides the password", () => {
    const saved = process.env["REDIS_URL"];
    try {
      delete process.env["REDIS_URL"];
      expect(redisUrlFromEnv()).toBe("");
      process.env["REDIS_URL"] = "rediss://:pw@cache.example:6380";
      expect(redisUrlFromEnv()).toBe("rediss://:pw@cache.example:6380");
      process.env["REDIS_URL"] = "http://:s3cret@h:1";
      const error = thrownBy(() => redisUrlFromEnv());
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect((error as InvalidOptionError).option).toBe("REDIS_URL");
      expect((error as Error).message).not.toContain("s3cret");
    } finally {
      if (saved === undefined) delete process.env["REDIS_URL"];
      else process.env["REDIS_URL"] = saved;
    }
  });

  test("credentials are added with URL encoding", () => {
    expect(withCredentials("redis://127.0.0.1:6379", "p@ss:word", "alice")).toBe("redis://alice:p%40ss%3Aword@127.0.0.1:6379");
  });
});

describe("the worker command line", () => {
  const env = {};
  test("reads --redis and --concurrency, and sandboxes tasks by default", () => {
    expect(parseWorkerArgs(["--redis", "redis://:pw@127.0.0.1:7000", "--concurrency", "4"], env)).toEqual({
      redis: "redis://:pw@127.0.0.1:7000", concurrency: 4, sandboxed: true,
    });
  });

  test("takes REDIS_URL and REDIS_PASSWORD from the environment", () => {
    const options = parseWorkerArgs(["--queue", "q1"], { REDIS_URL: "redis://127.0.0.1:7000", REDIS_PASSWORD: "from-env" });
    expect(options).toEqual({ redis: "redis://:from-env@127.0.0.1:7000", queue: "q1", sandboxed: true });
  });

  test("reads the lesson's knobs", () => {
    expect(parseWorkerArgs(["--redis", "redis://h:1", "--in-process", "--lock-ms", "1000", "--stalled-interval-ms", "500", "--max-stalled", "0"], env))
      .toEqual({ redis: "redis://h:1", sandboxed: false, lockDurationMs: 1000, stalledIntervalMs: 500, maxStalledCount: 0 });
  });

  test.each([
    [["--concurrency", "0", "--redis", "redis://h:1"], /--concurrency/],
    [["--concurrency", "1.5", "--redis", "redis://h:1"], /--concurrency/],
    [["--redis", "http://h:1"], /--redis/],
    [[], /--redis/],
    [["--redis", "redis://h:1", "--bogus"], /bogus/],
  ])("%j is refused, naming the option", (argv, pattern) => {
    const error = thrownBy(() => parseWorkerArgs(argv, env));
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as Error).message).toMatch(pattern);
  });

  test("the installed command prints its help, and exits with status 2 on a bad option", () => {
    const help = spawnSync(process.execPath, [WORKER_CLI, "--help"], { encoding: "utf8" });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/kernel-helpers-worker \[--redis URL\] \[--concurrency N\]/);
    const bad = spawnSync(process.execPath, [WORKER_CLI, "--concurrency", "zero"], { encoding: "utf8", env: { PATH: process.env["PATH"] } });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--concurrency/);
  });

  test("package.json installs it as kernel-helpers-worker, through a shim that exists before the build", () => {
    const root = path.dirname(require.resolve("kernel-helpers/package.json"));
    const pkg = require("kernel-helpers/package.json") as { bin: Record<string, string> };
    const shim = path.resolve(root, pkg.bin["kernel-helpers-worker"]!);
    expect(shim).toBe(path.join(root, "bin", "kernel-helpers-worker.js"));
    const help = spawnSync(shim, ["--help"], { encoding: "utf8" });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: kernel-helpers-worker/);
  });
});

describe("the throughput model", () => {
  const costs = { overheadMs: 1, redisMsPerJob: 0.1, clientMsPerJob: 0.25 };
  test("few hosts limit throughput; past the ceiling, the busier central thread does", () => {
    expect(predictThroughput(costs, { hosts: 4, workMs: 9 })).toEqual({ jobsPerSecond: 400, limitedBy: "hosts" });
    expect(predictThroughput(costs, { hosts: 100, workMs: 9 })).toEqual({ jobsPerSecond: 4000, limitedBy: "client" });
    expect(predictThroughput({ ...costs, clientMsPerJob: 0.05 }, { hosts: 1000, workMs: 9, slotsPerHost: 2 }).limitedBy).toBe("redis");
  });

  test("the ceiling is reached at (work + overhead) / (slots × central cost) hosts", () => {
    expect(hostsAtCeiling(costs, { workMs: 9 })).toBeCloseTo(40);
    expect(hostsAtCeiling(costs, { workMs: 9, slotsPerHost: 4 })).toBeCloseTo(10);
  });

  test("a curve's crossing of a level is interpolated on a log axis", () => {
    expect(crossing([1, 10, 100], [0.2, 0.5, 2], 1)).toBeCloseTo(10 ** (1 + 0.5 / 1.5));
    expect(crossing([1, 10], [1.2, 2], 1)).toBe(1);
    expect(crossing([1, 10], [0.1, 0.2], 1)).toBeNull();
  });
});

describe("the delay proxy", () => {
  test("carries bytes in order, each direction later by its delay", async () => {
    const echo = net.createServer((socket) => socket.pipe(socket)).listen(0, "127.0.0.1");
    await new Promise((resolve) => echo.once("listening", resolve));
    const proxy = await startDelayProxy({ target: { port: (echo.address() as net.AddressInfo).port }, delayMs: 25 });
    try {
      const socket = net.connect(proxy.port, "127.0.0.1");
      let received = "";
      const started = performance.now();
      const done = new Promise<number>((resolve) => socket.on("data", (d) => {
        received += d.toString();
        if (received.length >= 30) resolve(performance.now() - started);
      }));
      for (let i = 0; i < 10; i++) socket.write(`${i}${i}${i}`);
      const roundTripMs = await done;
      socket.destroy();
      expect(received).toBe(Array.from({ length: 10 }, (_, i) => `${i}${i}${i}`).join(""));
      // a lower bound only: the proxy must hold each direction at least its delay
      expect(roundTripMs).toBeGreaterThanOrEqual(2 * 25 - 1);
      expect(proxy.url("redis://:pw@10.0.0.1:6379")).toBe(`redis://:pw@127.0.0.1:${proxy.port}`);
    } finally {
      await proxy.close();
      echo.close();
    }
  });
});

describe("failing fast", () => {
  test("a pool pointed where nothing listens rejects with RedisUnavailableError naming the reason", async () => {
    const closed = net.createServer().listen(0, "127.0.0.1");
    await new Promise((resolve) => closed.once("listening", resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await rejectionOf(ClusterPool.connect({ redis: `redis://:pw@127.0.0.1:${port}` }));
    expect(error).toBeInstanceOf(RedisUnavailableError);
    expect((error as RedisUnavailableError).reason).toMatch(/connection refused/);
    expect((error as Error).message).toContain(`redis://:***@127.0.0.1:${port}`);
    expect(liveResourceCount()).toBe(0);
  });
});

describe("the runner's Redis step", () => {
  const machine = { redisServer: null, redisUrl: null, isRoot: false, hasAptGet: true };
  test.each([
    [{}, false, "skip"],
    [{ redisUrl: "redis://h:1" }, true, "external"],
    [{ redisServer: "/usr/bin/redis-server" }, true, "present"],
    [{ isRoot: true }, true, "apt"],
    [{}, true, "instructions"],
    [{ isRoot: true, hasAptGet: false }, true, "instructions"],
  ])("%j, Redis wanted: %s → %s", (found, withRedis, expected) => {
    expect(planRedis({ ...machine, ...found }, { withRedis })).toBe(expected);
  });

  test("notebook 06 says it needs Redis, and 01 does not", () => {
    const dir = path.join(__dirname, "..", "..", "notebooks");
    const six = require("node:fs").readdirSync(dir).find((f: string) => f.startsWith("06-"));
    expect(needsRedis(path.join(dir, six))).toBe(true);
    expect(needsRedis(path.join(dir, "01-pool.ipynb"))).toBe(false);
  });
});
