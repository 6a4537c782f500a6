/**
 * Tasks for hand-made workers (notebooks 02 and 04): they take queues, like
 * the original's functions, because a process cannot return a value.
 */
import { QueueEmpty, type QueueLike } from "../queue";
import { checkInteger } from "../validate";
import { sumRandomNumbers } from "./random";

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

/**
 * The original's job loop: take values from `input` without waiting until the
 * queue is empty (`QueueEmpty`); for each value `v`, sum `v · unit` random
 * numbers and put `[[jobId, v], sum]` on `output`.
 *
 * @returns how many values this job took.
 */
export async function sumRandomNumbersJob(
  jobId: number,
  unit: number,
  input: QueueLike<number>,
  output: QueueLike<[[number, number], number]>,
): Promise<number> {
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
    await output.put([[jobId, value], sumRandomNumbers(value * unit)]);
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
  const startMs = performance.timeOrigin + performance.now();
  const sum = sumRandomNumbers(count);
  return { job, subtask, sum, pid: process.pid, threadId, startMs, endMs: performance.timeOrigin + performance.now() };
}
