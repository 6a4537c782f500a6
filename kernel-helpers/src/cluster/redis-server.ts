/**
 * A project-local Redis for a notebook, a test or the runner: Debian's (or
 * any) `redis-server`, started as a child on a free port of 127.0.0.1 with a
 * password made for this run, never as a system service. It stops with its
 * owner, even when the owner is killed.
 */
import { fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { InvalidOptionError } from "../primitives/errors";
import { registerResource, unregisterResource } from "../primitives/cleanup";
import { checkChoice } from "../primitives/validate";
import { RedisUnavailableError } from "./errors";
import { connectRedis } from "./redis-url";

/** What survives a restart: nothing (`"none"`), or every write, logged to disk once a second (`"aof"`). */
export type Persistence = "none" | "aof";

/** Options of {@link startRedis}. */
export interface RedisServerOptions {
  /**
   * `"none"` (default): the data lives in memory only, and a restart loses every queue.
   * `"aof"`: `appendonly yes`, `appendfsync everysec`; a restart replays the log, so
   * at most the last second of writes is lost.
   */
  persistence?: Persistence;
  /** The address to listen on. Default `"127.0.0.1"`: only this machine can connect. */
  bind?: string;
  /** The port. Default: a free one. */
  port?: number;
  /** The password. Default: 24 random bytes, new for each start. */
  password?: string;
}

const SEARCH_DIRS = ["/usr/bin", "/usr/sbin", "/usr/local/bin", "/opt/homebrew/bin", "/opt/local/bin"];

/** The `redis-server` on PATH (or in the usual places), or null. */
export function findRedisServer(): string | null {
  const dirs = [...(process.env["PATH"] ?? "").split(path.delimiter).filter(Boolean), ...SEARCH_DIRS];
  for (const dir of dirs) {
    const candidate = path.join(dir, "redis-server");
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** The exact ways to get a Redis, as the text shown when none can be started. */
export function redisInstallHint(): string {
  return [
    "Install redis-server (any Redis >= 6.2 works), then run again:",
    "  Debian/Ubuntu:  sudo apt-get install -y redis-server   (npm run notebooks does this itself when run as root)",
    "  macOS:          brew install redis",
    "Or use a Redis you already have: REDIS_URL=redis://:PASSWORD@HOST:6379 npm run notebooks",
  ].join("\n");
}

/** A free TCP port on `host`, as the OS hands it out. */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A running `redis-server` started by {@link startRedis}. `url` carries the
 * password: pass it to {@link ClusterPool.connect} and to worker hosts.
 */
export class RedisServer {
  readonly #binary: string;
  readonly #configFile: string;
  #watchdog: ReturnType<typeof fork> | null = null;
  #pid: number | null = null;
  #exited: Promise<void> = Promise.resolve();
  #log = "";

  /** @internal use {@link startRedis} */
  constructor(
    binary: string,
    /** The folder with its config and its data (private to this user). */
    readonly dir: string,
    readonly host: string,
    readonly port: number,
    readonly password: string,
    readonly persistence: Persistence,
  ) {
    this.#binary = binary;
    this.#configFile = path.join(dir, "redis.conf");
    const lines = [
      `port ${port}`, `bind ${host}`, "protected-mode yes", `requirepass ${password}`, `dir ${dir}`,
      'save ""', `appendonly ${persistence === "aof" ? "yes" : "no"}`, "appendfsync everysec",
      "daemonize no", 'logfile ""', "maxmemory-policy noeviction",
    ];
    // the password is in this file, not on a command line other users could read with `ps`
    fs.writeFileSync(this.#configFile, lines.join("\n") + "\n", { mode: 0o600 });
  }

  /** `redis://:PASSWORD@HOST:PORT`. */
  get url(): string {
    return `redis://:${encodeURIComponent(this.password)}@${this.host}:${this.port}`;
  }

  /** The redis-server's process id while it runs, else null. */
  get pid(): number | null {
    return this.#pid;
  }

  /** @internal Starts redis-server and waits until it answers PING (10 s at most). */
  async launch(): Promise<this> {
    const watchdog = fork(path.join(__dirname, "redis-watchdog.js"), [this.#binary, this.#configFile], {
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    this.#watchdog = watchdog;
    this.#log = "";
    const keep = (chunk: Buffer): void => void (this.#log = (this.#log + chunk.toString()).slice(-4_000));
    watchdog.stdout?.on("data", keep);
    watchdog.stderr?.on("data", keep);
    let exitedEarly = false;
    this.#exited = new Promise((resolve) => {
      watchdog.on("message", (message: { kind: string; pid?: number }) => {
        if (message.kind === "pid" && message.pid) this.#pid = message.pid;
        if (message.kind === "exit") this.#pid = null;
      });
      watchdog.on("exit", () => {
        exitedEarly = true;
        this.#pid = null;
        resolve();
      });
    });
    registerResource(this);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && !exitedEarly) {
      if (/Ready to accept connections/.test(this.#log)) {
        const client = await connectRedis(this.url).catch(() => null);
        if (client) {
          client.disconnect();
          return this;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await this.stop({ keepData: true });
    throw new RedisUnavailableError(`redis-server (${this.#binary}) did not start on ${this.host}:${this.port}:\n${this.#log.trim().split("\n").slice(-8).join("\n")}`);
  }

  /** Kills redis-server at once (SIGKILL), as a crash would: for the fault lessons. The data folder stays. */
  async kill(): Promise<void> {
    if (this.#pid !== null) process.kill(this.#pid, "SIGKILL");
    await this.#exited;
  }

  /**
   * Starts redis-server again on the same port with the same password and data
   * folder. With `persistence: "aof"` it replays its log, so queued jobs come back.
   */
  async restart(): Promise<void> {
    await this.kill();
    await this.launch();
  }

  /** Stops redis-server (SIGTERM, then SIGKILL after 3 s) and deletes its folder. Safe to call twice. */
  async stop(options: { keepData?: boolean } = {}): Promise<void> {
    if (this.#pid !== null) {
      process.kill(this.#pid, "SIGTERM");
      const timer = setTimeout(() => this.#pid !== null && process.kill(this.#pid, "SIGKILL"), 3_000);
      await this.#exited;
      clearTimeout(timer);
    }
    this.#watchdog?.kill();
    this.#watchdog = null;
    unregisterResource(this);
    if (!options.keepData) fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** The same as {@link RedisServer.stop}; lets `terminateAll()` stop it. */
  async terminate(): Promise<void> {
    await this.stop();
  }

  /** The last lines redis-server printed (for error reports). */
  get log(): string {
    return this.#log;
  }
}

/**
 * Starts a private redis-server: on 127.0.0.1 (unless `bind` says otherwise),
 * a free port, a random password, its data in a new temporary folder that
 * only you can read. `terminateAll()` and the kernel's shutdown stop it too.
 *
 * @throws RedisUnavailableError (as a rejection) with the exact install
 *   commands when no redis-server is installed, or with its log when it fails.
 * @example const redis = await startRedis({ persistence: "aof" }); ... await redis.stop();
 */
export async function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  const persistence = checkChoice("`persistence`", options.persistence ?? "none", ["none", "aof"] as const);
  const binary = findRedisServer();
  if (!binary) throw new RedisUnavailableError(`No redis-server on this machine.\n${redisInstallHint()}`);
  const host = options.bind ?? "127.0.0.1";
  if (options.password !== undefined && !/^[\x21-\x7e]{8,}$/.test(options.password)) {
    throw new InvalidOptionError("password", "Expected `password` to be at least 8 printable characters without spaces.");
  }
  const password = options.password ?? randomBytes(24).toString("base64url");
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = options.port ?? (await freePort(host));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kh-redis-"));
    fs.chmodSync(dir, 0o700);
    try {
      return await new RedisServer(binary, dir, host, port, password, persistence).launch();
    } catch (error) {
      fs.rmSync(dir, { recursive: true, force: true });
      lastError = error;
      // another process took the free port between our check and Redis' bind: try another
      if (options.port !== undefined || !/Address already in use/i.test(String((error as Error).message))) break;
    }
  }
  throw lastError;
}
