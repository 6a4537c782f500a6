/**
 * Worker hosts started on this machine, as child processes running the same
 * command you would run on another machine (`kernel-helpers-worker`). A
 * notebook starts them to have a cluster to measure, kills one to show a
 * host failing, and stops them all at the end (they also stop when their
 * owner dies).
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { registerResource, unregisterResource } from "../primitives/cleanup";
import { checkInteger } from "../primitives/validate";
import { InvalidOptionError } from "../primitives/errors";
import { parseRedisUrl } from "./redis-url";

/** Options of {@link startWorkerHosts}. */
export interface LocalHostsOptions {
  /** The Redis URL (with its password); handed to each host in its environment, not on its command line. */
  redis: string;
  /** How many hosts. Default 1. */
  count?: number;
  /** Jobs each host runs at a time. Default 1. */
  concurrency?: number;
  /** Serve only this queue (a private pool's). Default: every announced queue. */
  queue?: string;
  /** Run tasks on the hosts' own event loops (the blocked-event-loop lesson). Default false. */
  inProcess?: boolean;
  /** A job's lock, in ms (see the hosts' --lock-ms). */
  lockDurationMs?: number;
  /** How often hosts look for stalled jobs, in ms. */
  stalledIntervalMs?: number;
  /** How often a job may stall before it fails. */
  maxStalledCount?: number;
  /**
   * A command to start each host under, e.g. `["ip", "netns", "exec", "ns1"]`
   * (a function receives the host's index). Default: none.
   */
  launcher?: string[] | ((index: number) => string[]);
}

/** One host started by {@link startWorkerHosts}. */
export interface LocalHost {
  index: number;
  /** `hostname:pid`, as recorded on the jobs it runs. */
  id: string;
  pid: number;
  /** False once it has exited. */
  alive: boolean;
}

/** The path of the compiled `kernel-helpers-worker` script. */
export const WORKER_CLI = path.join(__dirname, "worker-cli.js");

/** The hosts started by one {@link startWorkerHosts} call. */
export class LocalWorkerHosts {
  readonly hosts: LocalHost[] = [];
  readonly #children: ChildProcess[] = [];
  readonly #exits: Promise<void>[] = [];
  readonly #outputs: (() => string)[] = [];

  /** @internal */
  add(child: ChildProcess, host: LocalHost, exited: Promise<void>, output: () => string): void {
    this.#children.push(child);
    this.hosts.push(host);
    this.#exits.push(exited);
    this.#outputs.push(output);
  }

  /** Process ids of the hosts. */
  get pids(): number[] {
    return this.hosts.map((h) => h.pid);
  }

  /** What host `index` printed (its last lines). */
  output(index: number): string {
    return this.#outputs[index]?.() ?? "";
  }

  /**
   * Kills one host at once (default SIGKILL, like a machine losing power) and
   * waits until it is gone. The jobs it held stay locked until their lock expires.
   */
  async kill(index: number, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const child = this.#children[index];
    if (!child) throw new InvalidOptionError("index", `There is no host ${index}: there are ${this.hosts.length}.`);
    if (this.hosts[index]!.alive) child.kill(signal);
    await this.#exits[index];
  }

  /** Stops every host: SIGTERM (running jobs finish), SIGKILL after `graceMs`. Safe to call twice. */
  async stop(graceMs = 5_000): Promise<void> {
    this.#children.forEach((child, i) => this.hosts[i]!.alive && child.kill("SIGTERM"));
    const timer = setTimeout(() => this.#children.forEach((child, i) => this.hosts[i]!.alive && child.kill("SIGKILL")), graceMs);
    await Promise.all(this.#exits);
    clearTimeout(timer);
    unregisterResource(this);
  }

  /** Stops every host now (SIGKILL after 1 s); used by `terminateAll()`. */
  async terminate(): Promise<void> {
    await this.stop(1_000);
  }
}

function hostArgs(options: LocalHostsOptions): string[] {
  const args = ["--concurrency", String(options.concurrency ?? 1)];
  if (options.queue !== undefined) args.push("--queue", options.queue);
  if (options.inProcess) args.push("--in-process");
  if (options.lockDurationMs !== undefined) args.push("--lock-ms", String(options.lockDurationMs));
  if (options.stalledIntervalMs !== undefined) args.push("--stalled-interval-ms", String(options.stalledIntervalMs));
  if (options.maxStalledCount !== undefined) args.push("--max-stalled", String(options.maxStalledCount));
  return args;
}

/** Starts one host and resolves once it says it is ready (20 s at most). */
function startOne(hosts: LocalWorkerHosts, index: number, options: LocalHostsOptions): Promise<void> {
  const launcher = typeof options.launcher === "function" ? options.launcher(index) : (options.launcher ?? []);
  const command = [...launcher, process.execPath, WORKER_CLI, ...hostArgs(options)];
  const child = spawn(command[0]!, command.slice(1), {
    // the password travels in the environment, which other users cannot read
    env: { ...process.env, REDIS_URL: options.redis, REDIS_PASSWORD: "" },
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  let output = "";
  const keep = (chunk: Buffer): void => void (output = (output + chunk.toString()).slice(-8_000));
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const host: LocalHost = { index, id: "", pid: child.pid ?? -1, alive: true };
  const exited = new Promise<void>((resolve) => child.on("close", () => ((host.alive = false), resolve())));
  hosts.add(child, host, exited, () => output);
  return new Promise((resolve, reject) => {
    const fail = (why: string): void => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`Worker host ${index} ${why}:\n${output.trim()}`));
    };
    const timer = setTimeout(() => fail("did not get ready within 20 s"), 20_000);
    child.on("error", (error) => fail(`could not be started (${error.message})`));
    child.on("exit", (code, signal) => !host.id && fail(`exited before it was ready (${signal ?? `exit status ${code}`})`));
    child.stdout!.on("data", () => {
      const ready = /^worker host (\S+) ready/m.exec(output);
      if (ready && !host.id) {
        host.id = ready[1]!;
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

/**
 * Starts `count` worker hosts on this machine and waits until each is
 * connected to Redis. `terminateAll()` and the kernel's shutdown stop them too.
 *
 * @throws Error (as a rejection) with the host's own output when one fails to start; the others are stopped.
 * @example const hosts = await startWorkerHosts({ redis: redis.url, count: 2 }); ... await hosts.stop();
 */
export async function startWorkerHosts(options: LocalHostsOptions): Promise<LocalWorkerHosts> {
  parseRedisUrl(options.redis);
  const count = checkInteger("`count`", options.count ?? 1, { min: 0, max: 256 });
  checkInteger("`concurrency`", options.concurrency ?? 1, { min: 1, max: 1024 });
  const hosts = new LocalWorkerHosts();
  registerResource(hosts);
  const started = await Promise.allSettled(Array.from({ length: count }, (_, i) => startOne(hosts, i, options)));
  const failure = started.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failure) {
    await hosts.terminate();
    throw failure.reason;
  }
  return hosts;
}
