/**
 * Tasks for hand-made workers (notebooks 02 and 04): they take queues, like
 * the original's functions, because a process cannot return a value.
 */
import { QueueEmpty, type QueueLike } from "../primitives/queue-api";
import { checkInteger } from "../primitives/validate";
import { monteCarloPi, sumRandomNumbers } from "./random";

/**
 * Sums `count` uniform random numbers and puts `[id, sum]` on `output`
 * (the original's one-task-per-process function).
 *
 * @param id - identifies the task in the results.
 * @param count - how many numbers to sum.
 * @param output - where the result goes.
 */
export async function sumRandomNumbersToQueue(id: number, count: number, output: QueueLike<[number, number]>): Promise<void> {
  await output.put([id, sumRandomNumbers(count)]);
}

/** When a piece of work ran: wall-clock milliseconds since the epoch, comparable across processes. */
export interface WhenRan {
  startMs: number;
  endMs: number;
}

/** What {@link sumRandomNumbersJob} puts on its output queue: `[[job id, value], sum, when it ran]`. */
export type JobSum = [key: [jobId: number, value: number], sum: number, when: WhenRan];

/** Now, in wall-clock milliseconds since the epoch, with sub-millisecond precision. */
const wallClockMs = (): number => performance.timeOrigin + performance.now();

/**
 * The original's job loop: take values from `input` without waiting until the
 * queue is empty (`QueueEmpty`); for each value `v`, sum `v · unit` random
 * numbers and put `[[jobId, v], sum, { startMs, endMs }]` on `output` (the
 * times let a notebook draw who ran what when).
 *
 * @returns how many values this job took.
 */
export async function sumRandomNumbersJob(jobId: number, unit: number, input: QueueLike<number>, output: QueueLike<JobSum>): Promise<number> {
  checkInteger("`unit`", unit, { min: 0 });
  let taken = 0;
  for (;;) {
    let value: number;
    try {
      value = await input.getNowait();
    } catch (error) {
      if (error instanceof QueueEmpty) return taken;
      throw error;
    }
    taken++;
    const startMs = wallClockMs();
    const sum = sumRandomNumbers(value * unit);
    await output.put([[jobId, value], sum, { startMs, endMs: wallClockMs() }]);
  }
}

/** One sub-task's result with where and when it ran (for nesting traces). */
export interface TracedSum {
  /** The job (process worker) that asked for it. */
  job: string;
  /** Index of the sub-task within its task. */
  subtask: number;
  sum: number;
  /** Process and thread of the pool worker that ran it. */
  pid: number;
  threadId: number;
  /** Wall-clock start and end, milliseconds since the epoch (comparable across processes). */
  startMs: number;
  endMs: number;
}

/** Sums `count` random numbers and says which worker did it, and when. */
export function sumRandomNumbersTraced(job: string, subtask: number, count: number): TracedSum {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { threadId } = require("node:worker_threads") as typeof import("node:worker_threads");
  const startMs = wallClockMs();
  const sum = sumRandomNumbers(count);
  return { job, subtask, sum, pid: process.pid, threadId, startMs, endMs: wallClockMs() };
}

/** One task of the nesting notebook: a size, and optionally a fixed weight (else drawn at random from 1, 2, 3). */
export interface NestedTask {
  index: number;
  size: number;
  weight?: number;
}

/** What {@link nestedPoolJob} reports per task. */
export interface NestedResult {
  index: number;
  size: number;
  weight: number;
  /** Mean of the sub-task sums scaled back to about `size`: mean · 2 / weight. */
  normalised: number;
  /** (normalised - size) / size. */
  relativeDeviation: number;
  /** The job (process worker) that ran the task, and its pid. */
  job: string;
  jobPid: number;
  /** Where and when each sub-task ran. */
  trace: TracedSum[];
}

/** Options of {@link nestedPoolJob}. */
export interface NestedJobOptions {
  /** Sub-tasks per task. */
  subtasks: number;
  /** Workers in this job's own pool. */
  poolWorkers: number;
  /** Backend of this job's pool. Default "thread". */
  poolBackend?: "thread" | "process";
}

/**
 * What the nested-pool tasks use of a Pool, typed here rather than imported
 * from pool.ts: the task table's types would then depend on the Pool's,
 * which depend on the table's (a cycle).
 */
interface InnerPool {
  starmap(task: string, argsList: unknown[][], options: { chunkSize: number }): Promise<unknown[]>;
  terminate(): Promise<void>;
}

/**
 * A pool of this worker's own. The pool module is loaded here, on first use,
 * not at the top: this file is loaded by every worker (with the task table),
 * and most never start a pool of their own.
 */
function innerPool(workers: number, backend: "thread" | "process" = "thread"): InnerPool {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Pool } = require("../primitives/pool") as { Pool: new (options: { workers: number; backend: "thread" | "process" }) => InnerPool };
  return new Pool({ workers, backend });
}

/**
 * The original's nested job: a process worker takes tasks from `input` until
 * it is empty; each task's `subtasks` sub-tasks (sum `weight · size` random
 * numbers each) run on this worker's own pool; a result per task goes to
 * `output`. The pool is opened once per job rather than once per task (the
 * original opens one per task; starting a pool costs its workers' start-up each time: notebook 01 measures it).
 *
 * @returns how many tasks this job ran.
 */
export async function nestedPoolJob(
  job: string,
  input: QueueLike<NestedTask>,
  output: QueueLike<NestedResult>,
  options: NestedJobOptions,
): Promise<number> {
  const subtasks = checkInteger("`subtasks`", options.subtasks, { min: 1, max: 100_000 });
  const pool = innerPool(options.poolWorkers, options.poolBackend);
  let done = 0;
  try {
    for (;;) {
      let task: NestedTask;
      try {
        task = await input.getNowait();
      } catch (error) {
        if (error instanceof QueueEmpty) break;
        throw error;
      }
      const weight = task.weight ?? 1 + Math.floor(Math.random() * 3);
      const args = Array.from({ length: subtasks }, (_, i) => [job, i, weight * task.size] as [string, number, number]);
      const trace = (await pool.starmap("sumRandomNumbersTraced", args, { chunkSize: 1 })) as TracedSum[];
      const normalised = (trace.reduce((s, t) => s + t.sum, 0) / subtasks) * (2 / weight);
      await output.put({
        index: task.index,
        size: task.size,
        weight,
        normalised,
        relativeDeviation: (normalised - task.size) / task.size,
        job,
        jobPid: process.pid,
        trace,
      });
      done++;
    }
  } finally {
    await pool.terminate();
  }
  return done;
}

/**
 * Runs inside a pool worker and starts a pool of its own there, which Python
 * forbids (its pool workers are daemonic and may not have children). Returns
 * who ran what: the outer worker and the inner pool's workers.
 */
export async function poolInsidePoolWorker(innerWorkers: number): Promise<{ outer: { pid: number; threadId: number }; inner: { pid: number; threadId: number }[] }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { threadId } = require("node:worker_threads") as typeof import("node:worker_threads");
  const pool = innerPool(innerWorkers);
  try {
    // One call per inner worker, sent together, so each idle worker takes one.
    const inner = (await pool.starmap("whoAmI", Array.from({ length: innerWorkers }, () => []), { chunkSize: 1 })) as { pid: number; threadId: number }[];
    return { outer: { pid: process.pid, threadId }, inner };
  } finally {
    await pool.terminate();
  }
}

/**
 * Monte Carlo job loop for the benchmarking notebook: takes `[id, points]`
 * from `input` without waiting until the queue is empty, and puts
 * `[id, piEstimate, jobId]` on `output` for each (the job id tells who ran
 * the task, to see how the work was shared).
 *
 * @param jobId - this job's number, put beside each result. Default 0.
 * @returns how many tasks this job ran.
 */
export async function monteCarloPiJob(input: QueueLike<[number, number]>, output: QueueLike<[number, number, number]>, jobId = 0): Promise<number> {
  let done = 0;
  for (;;) {
    let task: [number, number];
    try {
      task = await input.getNowait();
    } catch (error) {
      if (error instanceof QueueEmpty) return done;
      throw error;
    }
    await output.put([task[0], monteCarloPi(task[1]), jobId]);
    done++;
  }
}
