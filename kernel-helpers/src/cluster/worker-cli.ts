#!/usr/bin/env node
/**
 * `kernel-helpers-worker`: starts a worker host from the command line.
 *
 *   npx kernel-helpers-worker --redis redis://HOST:PORT --concurrency N
 *
 * The password comes from the URL (`redis://:PASSWORD@HOST:PORT`), or from
 * REDIS_PASSWORD when the URL has none; REDIS_URL is the default address.
 * Prefer the environment for secrets: a command line is visible to every
 * user of the machine (`ps`).
 */
import { parseArgs } from "node:util";
import { InvalidOptionError } from "../primitives/errors";
import { parseIntegerStrict } from "../primitives/validate";
import { RedisUnavailableError } from "./errors";
import { parseRedisUrl, withCredentials } from "./redis-url";
import { WorkerHost, type WorkerHostOptions } from "./worker-host";

const USAGE = `Usage: kernel-helpers-worker [--redis URL] [--concurrency N] [options]

Runs the named tasks of kernel-helpers for cluster pools, taking jobs from Redis.

  --redis URL              redis://[:PASSWORD@]HOST:PORT, or rediss:// for TLS
                           (default: $REDIS_URL; password: from the URL, else $REDIS_PASSWORD)
  --concurrency N          jobs run at a time (default 1; one per core is usual)
  --queue NAME             serve only this queue (default: every queue a pool announces)
  --lock-ms MS             a job's lock lasts this long without renewal (default 10000)
  --stalled-interval-ms MS how often to look for stalled jobs (default 5000)
  --max-stalled N          how often a job may stall before it fails (default 1)
  --in-process             run tasks on this process's event loop instead of worker
                           threads (for the lesson on blocked event loops only)
  -h, --help               show this help

Stop it with Ctrl-C (SIGINT) or SIGTERM: running jobs finish first; a second signal stops at once.`;

const OPTIONS = {
  redis: { type: "string" },
  concurrency: { type: "string" },
  queue: { type: "string" },
  "lock-ms": { type: "string" },
  "stalled-interval-ms": { type: "string" },
  "max-stalled": { type: "string" },
  "in-process": { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/**
 * Reads the command line into {@link WorkerHostOptions}, or `"help"`.
 * @throws InvalidOptionError naming the option and what it accepts.
 */
export function parseWorkerArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): WorkerHostOptions | "help" {
  const parse = (): ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS }>> => {
    try {
      return parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false });
    } catch (error) {
      throw new InvalidOptionError("arguments", `${(error as Error).message}\n\n${USAGE}`);
    }
  };
  const { values } = parse();
  if (values.help) return "help";
  let redis = values.redis ?? env["REDIS_URL"];
  if (!redis) throw new InvalidOptionError("--redis", `Say where Redis is: --redis redis://HOST:PORT (or set REDIS_URL).\n\n${USAGE}`);
  const parsed = parseRedisUrl(redis, "--redis");
  if (!parsed.password && env["REDIS_PASSWORD"]) redis = withCredentials(redis, env["REDIS_PASSWORD"], decodeURIComponent(parsed.username));
  const integer = (name: string, text: string | undefined, min: number, max: number): number | undefined =>
    text === undefined ? undefined : parseIntegerStrict(`--${name}`, text, { min, max });
  const options: WorkerHostOptions = { redis, sandboxed: !values["in-process"] };
  const concurrency = integer("concurrency", values.concurrency, 1, 1024);
  const lockDurationMs = integer("lock-ms", values["lock-ms"], 100, 3_600_000);
  const stalledIntervalMs = integer("stalled-interval-ms", values["stalled-interval-ms"], 100, 3_600_000);
  const maxStalledCount = integer("max-stalled", values["max-stalled"], 0, 100);
  if (concurrency !== undefined) options.concurrency = concurrency;
  if (lockDurationMs !== undefined) options.lockDurationMs = lockDurationMs;
  if (stalledIntervalMs !== undefined) options.stalledIntervalMs = stalledIntervalMs;
  if (maxStalledCount !== undefined) options.maxStalledCount = maxStalledCount;
  if (values.queue !== undefined) options.queue = values.queue;
  return options;
}

async function main(): Promise<number> {
  let options: WorkerHostOptions | "help";
  try {
    options = parseWorkerArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`kernel-helpers-worker: ${(error as Error).message}`);
    return 2;
  }
  if (options === "help") {
    console.log(USAGE);
    return 0;
  }
  let host: WorkerHost;
  try {
    host = await WorkerHost.start({ ...options, log: (line) => console.log(line) });
  } catch (error) {
    if (!(error instanceof RedisUnavailableError || error instanceof InvalidOptionError)) throw error;
    console.error(`kernel-helpers-worker: ${error.message}`);
    return 1;
  }
  let signals = 0;
  const stop = (why: string): void => {
    signals += 1;
    if (signals > 1) process.exit(130);
    console.log(`${why}: letting running jobs finish, then stopping (send it again to stop now)`);
    void host.close().then(() => process.exit(0));
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  // started by a notebook or the runner (with an IPC channel): leave when that owner is gone
  if (process.channel) process.on("disconnect", () => void host.close(true).then(() => process.exit(0)));
  return -1; // keep running
}

/**
 * Runs the `kernel-helpers-worker` command with this process's arguments: exits
 * on a usage error (status 2), an unusable Redis (1) or `--help` (0); otherwise
 * serves jobs until a signal stops it.
 */
export function runWorkerCli(): void {
  main().then(
    (code) => {
      if (code >= 0) process.exit(code);
    },
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}

// started as `node worker-cli.js` (as startWorkerHosts does); the installed command goes through bin/
if (require.main === module) runWorkerCli();
