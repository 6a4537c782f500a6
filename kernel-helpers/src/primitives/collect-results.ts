/**
 * Reading the results a group of {@link Process} workers put on a queue,
 * while watching the workers, so that a crash is reported at once.
 */
import type { Process, ProcessFailedError } from "./process";
import { ownerSide, type Queue } from "./queue";
import { checkInteger } from "./validate";

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
  const failure = new Promise<never>((_, reject) => {
    for (const p of processes) p.join().catch(reject);
  });
  failure.catch(() => undefined); // a failure after we are done is the caller's join() to report
  const items: T[] = [];
  try {
    while (items.length < count) {
      const item = await Promise.race([queue.get({ timeoutMs: options.timeoutMs }), failure]);
      items.push(item);
      options.onResult?.(item, items.length);
    }
  } catch (error) {
    ownerSide.abandonOwnerGets(queue as Queue<unknown>); // the get still waiting must not swallow a later item
    throw error;
  }
  return items;
}
