import { checkInteger } from "../primitives/validate";

/** Tiny tasks for measuring overhead and for tests. */

/** Returns its argument unchanged: a task with no work, to time round trips. */
export function echo<T>(value: T): T {
  return value;
}

/**
 * Waits `ms` milliseconds without using the CPU, then returns `value`.
 * Useful for showing ordering and close/join behaviour.
 */
export function sleep<T>(ms: number, value: T): Promise<T> {
  checkInteger("`ms`", ms, { min: 0, max: 2 ** 31 - 1 });
  return new Promise((resolve) => setTimeout(() => resolve(value), ms));
}

/** Busy-waits `ms` milliseconds on the CPU (unlike {@link sleep}), then returns `ms`. */
export function spin(ms: number): number {
  checkInteger("`ms`", ms, { min: 0, max: 2 ** 31 - 1 });
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // keep the core busy on purpose
  }
  return ms;
}

/** Describes the worker that runs it: process id and thread id. */
export function whoAmI(): { pid: number; threadId: number } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { threadId } = require("node:worker_threads") as typeof import("node:worker_threads");
  return { pid: process.pid, threadId };
}
