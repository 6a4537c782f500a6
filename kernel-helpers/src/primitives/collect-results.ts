/**
 * Reading the results a group of {@link Process} workers put on a queue,
 * while watching the workers, so that a crash is reported at once.
 */
import type { Process, ProcessFailedError } from "./process";
import { ownerSide, type Queue } from "./queue";
import { checkFunction, checkInteger } from "./validate";
import { checkKnownOptions } from "./known-options";

/** Options of {@link collectResults}. */
export interface CollectOptions<T> {
  /** Give up if no result arrives for this long (rejects with QueueEmpty). Default: no limit. */
  timeoutMs?: number;
  /** Called with each result as it arrives and the count so far (e.g. to tick a progress line). */
  onResult?: (item: T, received: number) => void;
}

/**
 * Reads `count` results from `queue` in arrival order while watching the
 * workers that produce them: if one of them fails, rejects at once with its
 * {@link ProcessFailedError} instead of waiting for a result that will never
 * come. The workers are not joined; call `join()` afterwards as usual.
 * Without `processes` it simply reads `count` results (e.g. from a queue
 * filled in the notebook itself).
 *
 * @example const results = await collectResults(output, tasks.length, workers, { timeoutMs: 60_000 });
 */
export async function collectResults<T>(
  queue: Queue<T>,
  count: number,
  processes: readonly Process[] = [],
  options: CollectOptions<T> = {},
): Promise<T[]> {
  checkInteger("`count`", count, { min: 0 });
  checkKnownOptions(options, ["timeoutMs", "onResult"], "`collectResults`");
  if (options.onResult !== undefined) checkFunction("`onResult`", options.onResult, "`collectResults`");
  // the first worker failure, and how it interrupts a get that waits (one watcher per worker, not one per item)
  let failed: { error: unknown } | undefined;
  let interrupt: ((error: unknown) => void) | undefined;
  for (const p of processes) {
    p.join().catch((error: unknown) => {
      if (failed) return; // a failure after the first (or after we are done) is the caller's join() to report
      failed = { error };
      interrupt?.(error);
    });
  }
  const getOptions = options.timeoutMs === undefined ? undefined : { timeoutMs: options.timeoutMs };
  const items: T[] = [];
  try {
    while (items.length < count) {
      if (failed) throw failed.error;
      const waiting = queue.length > 0;
      const get = queue.get(getOptions);
      // an item waiting is taken at once; a get that waits also ends when a worker fails
      const item = waiting ? await get : await new Promise<T>((resolve, reject) => {
        interrupt = reject;
        get.then(resolve, reject);
      });
      interrupt = undefined;
      items.push(item);
      options.onResult?.(item, items.length);
    }
  } catch (error) {
    ownerSide.abandonOwnerGets(queue as Queue<unknown>); // the get still waiting must not swallow a later item
    throw error;
  }
  return items;
}
