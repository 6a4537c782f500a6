/**
 * libuv's threadpool, measured: Node runs some of its own asynchronous work
 * (crypto.pbkdf2, zlib, file system calls, dns.lookup) on a small pool of
 * native threads, `UV_THREADPOOL_SIZE` of them (4 by default), while the
 * main thread stays free. The size is read once, when the pool is first
 * used, so it can only be changed for a new process.
 */
import { execFile } from "node:child_process";
import { checkInteger } from "../primitives/validate";

/** libuv's default threadpool size. */
export const DEFAULT_THREADPOOL_SIZE = 4;

/**
 * The threadpool size of this process: `UV_THREADPOOL_SIZE` as it was set
 * when the process started (libuv clamps it to 1..1024), else 4.
 */
export function threadpoolSize(): number {
  const text = process.env["UV_THREADPOOL_SIZE"];
  const value = text === undefined ? NaN : Number.parseInt(text, 10);
  return Number.isFinite(value) && value > 0 ? Math.min(value, 1024) : DEFAULT_THREADPOOL_SIZE;
}

/** Options of {@link pbkdf2InFreshNode}. */
export interface Pbkdf2Options {
  /** UV_THREADPOOL_SIZE of the new process. */
  threadpoolSize: number;
  /** crypto.pbkdf2 calls started at once. */
  calls: number;
  /** Iterations per call (the work of one call grows with it). */
  iterations: number;
}

/** The program the new process runs: start every call at once, print the time until the last one answered. */
const PROGRAM = `
const crypto = require("node:crypto");
const [calls, iterations] = process.argv.slice(1).map(Number);
crypto.pbkdf2Sync("warm-up", "salt", 1, 64, "sha512");
const start = performance.now();
let left = calls;
for (let i = 0; i < calls; i++) {
  crypto.pbkdf2("password", "salt" + i, iterations, 64, "sha512", () => {
    if (--left === 0) console.log(JSON.stringify({ elapsedMs: performance.now() - start }));
  });
}`;

/**
 * Starts a new Node process with `UV_THREADPOOL_SIZE` set, starts `calls`
 * crypto.pbkdf2 calls there at once, and resolves with the milliseconds until
 * the last one answered, as that process measured them (its start-up is not
 * counted).
 *
 * @example await pbkdf2InFreshNode({ threadpoolSize: 1, calls: 4, iterations: 50_000 })
 */
export function pbkdf2InFreshNode(options: Pbkdf2Options): Promise<number> {
  const size = checkInteger("`threadpoolSize`", options.threadpoolSize, { min: 1, max: 1024 });
  const calls = checkInteger("`calls`", options.calls, { min: 1, max: 10_000 });
  const iterations = checkInteger("`iterations`", options.iterations, { min: 1, max: 100_000_000 });
  const env = { ...process.env, UV_THREADPOOL_SIZE: String(size) };
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["-e", PROGRAM, String(calls), String(iterations)], { env, timeout: 120_000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`the pbkdf2 process failed: ${error.message}\n${stderr}`));
      try {
        resolve((JSON.parse(stdout) as { elapsedMs: number }).elapsedMs);
      } catch {
        reject(new Error(`the pbkdf2 process printed no timing: ${JSON.stringify(stdout)} ${stderr}`));
      }
    });
  });
}
