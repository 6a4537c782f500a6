/**
 * The named tasks a pool worker can run. A named task is compiled with the
 * library and loaded by each worker, so, unlike an inline function, it may use
 * imports and helper functions. Add a task here to make it available to
 * `pool.applyAsync("name", args)`; its types flow to the call site.
 */
import { leibnizPi, leibnizPiArrays, leibnizPiById } from "./leibniz";
import { integratePolynomial } from "./integrate";
import { monteCarloPi, sumRandomNumbers } from "./random";
import { echo, sleep, spin, whoAmI } from "./trivial";
import { leibnizPiTensor } from "./vectorised";
import { incrementCounter, incrementSharedCounter, lucasSequenceWorker, managerWrites } from "./shared";
import { registerNamedTasks } from "../transport/task-spec";
import { monteCarloPiJob, nestedPoolJob, poolInsidePoolWorker, sumRandomNumbersJob, sumRandomNumbersToQueue, sumRandomNumbersTraced } from "./jobs";

/** Every named task, by name. */
export const tasks = {
  leibnizPi,
  leibnizPiById,
  leibnizPiArrays,
  leibnizPiTensor,
  integratePolynomial,
  sumRandomNumbers,
  monteCarloPi,
  sumRandomNumbersToQueue,
  sumRandomNumbersJob,
  sumRandomNumbersTraced,
  nestedPoolJob,
  poolInsidePoolWorker,
  monteCarloPiJob,
  lucasSequenceWorker,
  incrementCounter,
  incrementSharedCounter,
  managerWrites,
  echo,
  sleep,
  spin,
  whoAmI,
};

registerNamedTasks(tasks);

/** The table of named tasks. */
export type Tasks = typeof tasks;
/** The name of a task in {@link tasks}. */
export type TaskName = keyof Tasks;
