/**
 * Three worker hosts on "separate machines": each in a network namespace of
 * its own, with Redis and the producer in two more, all joined by a bridge
 * in a sixth. One host is killed (SIGKILL) while it holds a job; every result
 * must arrive, and the re-run must be counted.
 *
 * Safety rule: traffic goes only to 127.0.0.0/8 or to the namespaces made
 * here, and every client runs INSIDE a namespace (from the root namespace, a
 * namespace address would leave the machine by the default route). So the
 * subnet is blackholed in the root namespace before any namespace exists,
 * and the route goes with the namespaces in a `finally`. Each run claims its
 * subnet with a lock file naming its pid; a later run removes what a dead
 * run left behind (namespaces, route, lock).
 *
 * Needs root and `ip netns`; elsewhere it is skipped with the reason printed.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { startWorkerHosts, type LocalWorkerHosts } from "kernel-helpers";
import { probePid } from "../test-helpers";

const KERNEL_HELPERS = path.dirname(require.resolve("kernel-helpers/package.json"));
const LOCK_DIR = "/tmp";
const lockFile = (octet: number): string => path.join(LOCK_DIR, `kh-netns-10.213.${octet}.lock`);

function ip(...args: string[]): { ok: boolean; out: string } {
  const r = spawnSync("ip", args, { encoding: "utf8" });
  return { ok: r.status === 0, out: (r.stdout ?? "") + (r.stderr ?? "") };
}

/** Why this machine cannot run the test, or null. */
function unsupported(): string | null {
  if (process.getuid?.() !== 0) return "not root (network namespaces need root)";
  if (!ip("netns", "list").ok) return "no `ip netns` (install iproute2)";
  if (!fs.existsSync("/usr/bin/redis-server") && spawnSync("sh", ["-c", "command -v redis-server"]).status !== 0) return "no redis-server";
  return null;
}

const namespacesOf = (prefix: string): string[] =>
  ip("netns", "list").out.split("\n").map((l) => l.split(" ")[0]!).filter((n) => n.startsWith(prefix));
const blackholes = (): string[] => ip("route", "show", "type", "blackhole").out.split("\n").filter(Boolean);

/** Kills what runs in a namespace, deletes it. Idempotent. */
function deleteNamespace(name: string): void {
  for (const pid of ip("netns", "pids", name).out.split(/\s+/).filter((p) => /^\d+$/.test(p))) {
    try {
      process.kill(Number(pid), "SIGKILL");
    } catch {
      // gone already
    }
  }
  ip("netns", "del", name);
}

/** Removes one run's namespaces, route and lock. Idempotent, and safe on a half-built run. */
function teardown(octet: number): void {
  for (const name of namespacesOf(`kh${octet}-`)) deleteNamespace(name);
  ip("route", "del", "blackhole", `10.213.${octet}.0/24`);
  fs.rmSync(lockFile(octet), { force: true });
}

/** Cleans up after runs whose process is gone (killed mid-test), then claims a free subnet. */
function claimSubnet(): number {
  for (const file of fs.readdirSync(LOCK_DIR).filter((f) => /^kh-netns-10\.213\.\d+\.lock$/.test(f))) {
    const owner = Number(fs.readFileSync(path.join(LOCK_DIR, file), "utf8"));
    if (probePid(owner) !== "alive") teardown(Number(/10\.213\.(\d+)\./.exec(file)![1]));
  }
  for (let octet = 1 + (process.pid % 200); octet < 255; octet++) {
    try {
      fs.writeFileSync(lockFile(octet), String(process.pid), { flag: "wx" });
      return octet;
    } catch {
      // another live run holds it
    }
  }
  throw new Error("no free 10.213.x.0/24 subnet for the namespaces");
}

/** The namespaces: a bridge, and one per member, each with an address on the subnet. */
function build(octet: number, members: Record<string, number>): void {
  const net = `10.213.${octet}`;
  // first: nothing for this subnet may leave the root namespace
  const route = ip("route", "add", "blackhole", `${net}.0/24`);
  if (!route.ok) throw new Error(`cannot add the blackhole route for ${net}.0/24: ${route.out}`);
  const bridge = `kh${octet}-br`;
  const must = (...args: string[]): void => {
    const r = ip(...args);
    if (!r.ok) throw new Error(`ip ${args.join(" ")}: ${r.out}`);
  };
  must("netns", "add", bridge);
  must("-n", bridge, "link", "add", "name", "br0", "type", "bridge");
  must("-n", bridge, "link", "set", "br0", "up");
  for (const [member, host] of Object.entries(members)) {
    const ns = `kh${octet}-${member}`;
    must("netns", "add", ns);
    must("-n", ns, "link", "add", "name", "eth0", "type", "veth", "peer", "name", member, "netns", bridge);
    must("-n", bridge, "link", "set", member, "master", "br0", "up");
    must("-n", ns, "addr", "add", `${net}.${host}/24`, "dev", "eth0");
    must("-n", ns, "link", "set", "eth0", "up");
    must("-n", ns, "link", "set", "lo", "up");
  }
}

/** Runs `code` with node inside namespace `ns`; resolves each JSON line it prints through `onLine`. */
function nodeIn(ns: string, code: string, onLine: (message: Record<string, unknown>) => void): ChildProcess {
  const child = spawn("ip", ["netns", "exec", ns, process.execPath, "-e", code], {
    cwd: KERNEL_HELPERS, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, KH: KERNEL_HELPERS },
  });
  let buffer = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let i = buffer.indexOf("\n"); i >= 0; i = buffer.indexOf("\n")) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      if (line.startsWith("{")) onLine(JSON.parse(line) as Record<string, unknown>);
    }
  });
  child.stderr!.on("data", (chunk: Buffer) => process.stderr.write(`[${ns}] ${chunk.toString()}`));
  return child;
}

const REDIS_CODE = (bind: string): string => `
  const kh = require(process.env.KH);
  kh.startRedis({ bind: ${JSON.stringify(bind)}, port: 6379, persistence: "aof" }).then((redis) => {
    console.log(JSON.stringify({ url: redis.url, pid: redis.pid }));
    process.on("SIGTERM", () => redis.stop().then(() => process.exit(0)));
  }, (error) => { console.error(error.message); process.exit(1); });`;

const PRODUCER_CODE = (url: string, jobs: number, jobMs: number): string => `
  const kh = require(process.env.KH);
  (async () => {
    const pool = await kh.ClusterPool.connect({ redis: ${JSON.stringify(url)} });
    const hosts = await pool.waitForHosts(3);
    const results = pool.map("spin", Array(${jobs}).fill(${jobMs}), { chunkSize: 1 });
    console.log(JSON.stringify({ hosts: hosts.map((h) => h.id), running: await kh.jobInProgress(pool) }));
    const values = await results;
    console.log(JSON.stringify({ values, records: pool.records, stalls: pool.stalls }));
    pool.close();
    await pool.join();
    process.exit(0);
  })().catch((error) => { console.error(error.stack); process.exit(1); });`;

const reason = unsupported();
if (reason) console.log(`cluster-netns.test.ts: skipped: ${reason}`);
const describeIfSupported = reason ? describe.skip : describe;

describeIfSupported("three worker hosts in network namespaces", () => {
  let octet = 0;
  const children: ChildProcess[] = [];
  let hosts: LocalWorkerHosts | null = null;

  afterAll(async () => {
    await hosts?.stop(1_000).catch(() => undefined);
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
    if (octet) teardown(octet);
    // nothing of this run is left
    expect(namespacesOf(`kh${octet}-`)).toEqual([]);
    expect(blackholes().filter((r) => r.includes(`10.213.${octet}.`))).toEqual([]);
    expect(fs.existsSync(lockFile(octet))).toBe(false);
  });

  test("a host killed mid-job: every result arrives, and the re-run is counted", async () => {
    octet = claimSubnet();
    build(octet, { redis: 1, h1: 11, h2: 12, h3: 13, producer: 100 });
    const net = `10.213.${octet}`;
    // from the root namespace the subnet goes nowhere: the kernel refuses to route to it
    expect(blackholes().map((r) => r.trim())).toContain(`blackhole ${net}.0/24`);
    expect(ip("route", "get", `${net}.1`).ok).toBe(false);

    const redisInfo = new Promise<{ url: string; pid: number }>((resolve) => children.push(nodeIn(`kh${octet}-redis`, REDIS_CODE(`${net}.1`), (m) => resolve(m as never))));
    const { url, pid: redisPid } = await redisInfo;
    expect(url).toMatch(new RegExp(`^redis://:[^@]+@${net.replace(/\./g, "\\.")}\\.1:6379$`));

    hosts = await startWorkerHosts({
      redis: url, count: 3, lockDurationMs: 1_000, stalledIntervalMs: 500,
      launcher: (i) => ["ip", "netns", "exec", `kh${octet}-h${i + 1}`],
    });
    const jobs = 12;
    let running!: { jobId: string; host: string };
    const done = new Promise<{ values: number[]; records: { jobId: string; host: string; attempt: number }[]; stalls: number }>((resolve) => {
      children.push(nodeIn(`kh${octet}-producer`, PRODUCER_CODE(url, jobs, 400), (m) => {
        if (m["running"]) {
          running = m["running"] as typeof running;
          const victim = hosts!.hosts.findIndex((h) => h.id === running.host);
          void hosts!.kill(victim);
        } else {
          resolve(m as never);
        }
      }));
    });
    const { values, records, stalls } = await done;

    expect(values).toEqual(Array(jobs).fill(400));
    const victimIndex = hosts.hosts.findIndex((h) => h.id === running.host);
    expect(victimIndex).toBeGreaterThanOrEqual(0);
    expect(probePid(hosts.hosts[victimIndex]!.pid)).toBe("ESRCH");
    const rerun = records.find((r) => r.jobId === running.jobId)!;
    expect(rerun.attempt).toBe(2);
    expect(rerun.host).not.toBe(running.host);
    expect(records.filter((r) => r.attempt > 1).length).toBeGreaterThanOrEqual(1);
    expect(stalls).toBeGreaterThanOrEqual(1);
    // the results came from the hosts in their namespaces, more than one of them
    expect(new Set(records.map((r) => r.host)).size).toBeGreaterThanOrEqual(2);

    children[0]!.kill("SIGTERM");
    await new Promise((resolve) => (children[0]!.exitCode !== null ? resolve(null) : children[0]!.once("exit", resolve)));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(probePid(redisPid)).toBe("ESRCH");
  }, 90_000);
});

test("the namespace test either ran or printed why not", () => {
  expect(reason === null || reason.length > 0).toBe(true);
});
