/**
 * Entry script of every pool worker, thread or process. It registers two
 * methods with workerpool: `runTask` (one call) and `runChunk` (many calls of
 * the same task, for `map`/`starmap`). A task is either a named task from
 * ../tasks or the source text of an inline function.
 */
import { isMainThread } from "node:worker_threads";
import workerpool from "workerpool";
import { tasks } from "../tasks";
import type { TaskSpec } from "../task-spec";
import { decodeArgs } from "../process-protocol";
import { inspectSendable } from "../sendable";
import { fromJsonWire, toJsonWire } from "../wire";
import { describeValue } from "../validate";
import { detachBuffers, transferableBuffers } from "../transfer";

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

// A child process (the main thread of its own process) cannot share memory
// with the notebook, and talks to it over workerpool's JSON channel (see wire.ts).
const inChildProcess = isMainThread;
const sendOptions = { to: "the notebook", sharedMemory: !inChildProcess };

/**
 * Runs the task on each argument list and answers with the list of results
 * (in a child process: as JSON when JSON carries them exactly, else in v8's
 * format). A result that cannot travel back (a function, a class
 * instance...) fails the task with UnsendableValueError naming its path,
 * instead of arriving as `undefined` or a plain object. With `transfer` (the
 * Pool's `transfer` option), the results' ArrayBuffers are handed back
 * instead of copied (threads), or detached here after encoding (processes),
 * so that the task's own copy is gone on both backends. Whatever the task
 * throws is reported as an Error made of strings only, so that reporting it
 * can never fail (a thrown function or an error carrying one would otherwise
 * break the worker's reply).
 */
async function runChunk(spec: TaskSpec, argsList: unknown[], transfer = false): Promise<unknown> {
  try {
    const task = resolveTask(spec);
    const results: unknown[] = [];
    let jsonSafe = true;
    for (let i = 0; i < argsList.length; i++) {
      const args = decodeArgs(fromJsonWire(argsList[i]), refuseQueue) as unknown[];
      const result = await task(...args);
      const where = argsList.length === 1 ? "the result" : `the result for item ${i} of the chunk`;
      if (!inspectSendable(result, where, sendOptions)) jsonSafe = false;
      results.push(result);
    }
    if (!transfer) return inChildProcess ? toJsonWire(results, jsonSafe) : results;
    const buffers = transferableBuffers(results);
    if (!inChildProcess) return new workerpool.Transfer(results, buffers);
    const wire = toJsonWire(results, jsonSafe);
    detachBuffers(buffers, "the result");
    return wire;
  } catch (error) {
    throw reportable(error);
  }
}

function reportable(error: unknown): Error {
  if (error instanceof Error) {
    const plain = new Error(String(error.message));
    plain.name = String(error.name);
    plain.stack = String(error.stack ?? `${error.name}: ${error.message}`);
    return plain;
  }
  const plain = new Error(`the task threw ${typeof error === "symbol" ? String(error) : describeValue(error)}, not an Error`);
  plain.name = "NonErrorThrown";
  return plain;
}

function refuseQueue(): never {
  throw new Error("Queues cannot be used in Pool tasks");
}

workerpool.worker({
  // one call: answered like a chunk of one, as a list (Pool takes the first result)
  runTask: (spec: TaskSpec, args: unknown, transfer?: boolean) => runChunk(spec, [args], transfer),
  runChunk,
});
