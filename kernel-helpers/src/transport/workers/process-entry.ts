/**
 * Entry script of a {@link Process} worker, child process or worker thread.
 * It waits for the start message, builds queue proxies for the queues in the
 * arguments, runs the target, and ends: normally when the target's promise
 * settles with success, with exit code 1 (after reporting the error) if it throws.
 */
import path from "node:path";
import { connectToOwner } from "../owner-link";
import { workerTask } from "./worker-task";
import { decodeArgs, type FromWorker, type TargetSpec, type ToWorker } from "../process-protocol";
import { WorkerQueues } from "../worker-queues";
import { joinParentLane } from "../manager-lane-peer";

// managers held by the owner's process or thread are reached on this worker's lane to it (manager-lane-peer.ts)
joinParentLane();

type AnyFunction = (...args: unknown[]) => unknown;

/** True once the target has returned: the owner closing the channel then is expected. */
let finished = false;

// A child process talks to its owner in frames on a pipe of its own, a thread on its message port (process-channel.ts, owner-link.ts).
// A child whose owner went away (kernel killed, pipe closed, a broken stream) has no one to report to: it stops.
const owner = connectToOwner(
  (message) => onMessage(message),
  () => {
    if (!finished) process.exit(1);
  },
);
const send = owner.send;

/** Proxies for the queues in the arguments; their requests' answers come back with the request's id (owner-channel.ts). */
const queues = new WorkerQueues((message) => send(message as FromWorker));

function resolveTarget(target: TargetSpec): AnyFunction {
  if (target.kind !== "module") return workerTask(target);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loaded = require(path.resolve(target.path)) as Record<string, unknown>;
  const fn = loaded[target.exportName];
  if (typeof fn !== "function") throw new Error(`${target.path} has no exported function "${target.exportName}"`);
  return fn as AnyFunction;
}

/** How long a failing worker waits for the owner to take back lent queue items before it reports anyway. */
const GIVE_BACK_WAIT_MS = 1_000;
let failing = false;

/** Reports the target's failure (the first one) and exits. */
function fail(error: unknown): void {
  if (failing) return;
  failing = true;
  const e = error instanceof Error ? error : new Error(String(error));
  const report = { name: String(e.name), message: String(e.message), stack: e.stack === undefined ? undefined : String(e.stack) };
  // Let the message leave before exiting: the pipe and postMessage are asynchronous.
  const reportAndExit = (): void => send({ kind: "failed", error: report }, () => setTimeout(() => process.exit(1), owner.isChild ? 0 : 50));
  // lent queue items it did not take go back first, once any top-up on its way is in (queue-ahead.ts)
  const returned = queues.settle()?.catch(() => undefined);
  if (!returned) return reportAndExit();
  void Promise.race([returned, new Promise((resolve) => setTimeout(resolve, GIVE_BACK_WAIT_MS))]).then(reportAndExit);
}

async function start(message: Extract<ToWorker, { kind: "start" }>): Promise<void> {
  try {
    const fn = resolveTarget(message.target);
    const args = decodeArgs(message.args, queues.proxy) as unknown[];
    await fn(...args);
    await queues.settle(); // its quiet puts went in, or the target fails with their error (queue-proxy.ts)
  } catch (error) {
    fail(error);
    return;
  }
  // Done, as Python's process is when its target returns: close the channel,
  // give buffered output a moment to leave, then end even if the target left
  // timers or handles open (which would otherwise keep the worker alive).
  finished = true;
  owner.close();
  setTimeout(() => process.exit(0), 100).unref();
}

function onMessage(message: ToWorker): void {
  if (message.kind === "start") {
    void start(message);
    return;
  }
  queues.take(message);
}

process.on("exit", () => queues.flush()); // puts held back (worker-queues.ts) leave even if the target calls process.exit()
process.on("uncaughtException", fail);
process.on("unhandledRejection", fail);
send({ kind: "ready" });
