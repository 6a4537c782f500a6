/**
 * "Fill a queue, start N processes, collect, join" as one call: the plumbing
 * that notebook 02 writes out by hand to teach it, for the notebooks that
 * use the pattern rather than teach it.
 */
import { Process, type ModuleTarget } from "../primitives/process";
import { collectResults } from "../primitives/collect-results";
import { Queue } from "../primitives/queue";
import { progress } from "../measuring/progress";
import type { Backend } from "../primitives/pool";
import type { TaskName } from "../tasks";
import { checkInteger } from "../primitives/validate";

/** Options of {@link runQueueWorkers}. */
export interface QueueWorkersOptions<I, R> {
  /** The work items, put on the input queue in this order before any worker starts. */
  items: readonly I[];
  /** How many workers to start (an integer ≥ 1). */
  workers: number;
  /** What each worker runs: a named task, a self-contained function or a module target, as for {@link Process}. */
  target: TaskName | ((...args: never[]) => unknown) | ModuleTarget;
  /** The target's arguments for worker `index` (0-based); pass the queues where the target expects them. */
  args: (index: number, input: Queue<I>, output: Queue<R>) => unknown[];
  /** `"process"` (default) or `"thread"`. */
  backend?: Backend;
  /** Results to read. Default: one per item. */
  expected?: number;
  /** The workers' names. Default `Process-1`, `Process-2`, ... */
  name?: (index: number) => string;
  /** A progress line counting the results, with this label. Default: none. */
  label?: string;
  /** Give up if no result arrives for this long (rejects with QueueEmpty). Default: no limit. */
  timeoutMs?: number;
}

/** What {@link runQueueWorkers} returns. */
export interface QueueWorkersRun<R> {
  /** The results, in the order they arrived. */
  results: R[];
  /** From the first worker's start to the last worker's end, ms (filling the input queue not included). */
  elapsedMs: number;
}

/**
 * Puts `items` on an input queue, starts `workers` Processes on it, reads the
 * results from an output queue as they arrive (failing at once if a worker
 * fails, see {@link collectResults}), then joins every worker. A worker still
 * running after a failure is killed, so nothing is left behind.
 *
 * @example
 * const { results, elapsedMs } = await runQueueWorkers({
 *   items: tasks, workers: 2, target: "nestedPoolJob",
 *   args: (i, input, output) => [`Process-${i + 1}`, input, output, { subtasks: 8, poolWorkers: 2 }],
 * });
 */
export async function runQueueWorkers<I, R>(options: QueueWorkersOptions<I, R>): Promise<QueueWorkersRun<R>> {
  const count = checkInteger("`workers`", options.workers, { min: 1, max: 4096 });
  const expected = checkInteger("`expected`", options.expected ?? options.items.length, { min: 0 });
  const input = new Queue<I>("input");
  const output = new Queue<R>("output");
  for (const item of options.items) await input.put(item);
  const bar = options.label === undefined ? null : progress(options.label, expected);
  const start = performance.now();
  const workers = Array.from({ length: count }, (_, i) =>
    new Process({ target: options.target, args: options.args(i, input, output), backend: options.backend, name: options.name?.(i) }).start(),
  );
  try {
    const results = await collectResults(output, expected, workers, { timeoutMs: options.timeoutMs, onResult: () => bar?.tick() });
    await Promise.all(workers.map((w) => w.join()));
    return { results, elapsedMs: performance.now() - start };
  } catch (error) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw error;
  } finally {
    bar?.done();
  }
}
