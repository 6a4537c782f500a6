/**
 * Entry script of every pool worker, thread or process. It registers two
 * methods with workerpool: `runTask` (one call) and `runChunk` (many calls of
 * the same task, for `map`/`starmap`). A task is either a named task from
 * ../tasks or the source text of an inline function.
 */
import workerpool from "workerpool";
import { tasks } from "../tasks";
import type { TaskSpec } from "../task-spec";
import { decodeArgs } from "../process-protocol";

type AnyTask = (...args: unknown[]) => unknown;

// Compiling the same inline source for every call would throw away V8's
// optimised code for it; cache by source so hot loops stay hot.
const compiled = new Map<string, AnyTask>();

function resolveTask(spec: TaskSpec): AnyTask {
  if (spec.kind === "named") {
    const task = (tasks as Record<string, AnyTask>)[spec.name];
    if (!task) throw new Error(`Unknown task "${spec.name}"`);
    return task;
  }
  let fn = compiled.get(spec.source);
  if (!fn) {
    fn = new Function(`"use strict"; return (${spec.source});`)() as AnyTask;
    compiled.set(spec.source, fn);
  }
  return fn;
}

async function runChunk(spec: TaskSpec, argsList: unknown[][]): Promise<unknown[]> {
  const task = resolveTask(spec);
  const results: unknown[] = [];
  for (const args of argsList) results.push(await task(...(decodeArgs(args, refuseQueue) as unknown[])));
  return results;
}

function refuseQueue(): never {
  throw new Error("Queues cannot be used in Pool tasks");
}

workerpool.worker({
  runTask: (spec: TaskSpec, args: unknown[]) => resolveTask(spec)(...(decodeArgs(args, refuseQueue) as unknown[])),
  runChunk,
});
