/**
 * How a worker (pool-worker.ts, process-entry.ts) turns a task it was sent
 * into a function. The named tasks (../../tasks, which register themselves
 * with task-spec.ts) are loaded the first time one is asked for: loading
 * them took about a fifth of a Process child's JavaScript start-up (a CPU
 * profile on the 2-core VM of this project's measurements), and a worker
 * that runs functions sent as source text or a module's export never needs them.
 */
import { runnableTask, type TaskSpec } from "../task-spec";

let namedTasksLoaded = false;

/** The function of `spec`: a named task (loading them all the first time), or source text compiled once per text. */
export function workerTask(spec: TaskSpec): ReturnType<typeof runnableTask> {
  if (spec.kind === "named" && !namedTasksLoaded) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require("../../tasks");
    namedTasksLoaded = true;
  }
  return runnableTask(spec);
}
