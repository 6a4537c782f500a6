/**
 * Entry script of every pool worker, thread or process. It answers two kinds
 * of message from its pool (see pool-scheduler.ts):
 * - `{ init, args }`, first, when the pool has an initializer: run it once;
 *   if it fails, say so (`{ initError }`) and run nothing else;
 * - `{ id, spec, argsList, back }`: run the task once per argument list and
 *   answer `{ id, results, ms }` or `{ id, error, ms }` (ms: the time it took);
 * - `{ batch: [...] }`: several of those, run one after the other, each
 *   answered on its own;
 * - `{ drop: ids }`: jobs it was sent and must not start (cancelled while
 *   sent ahead); they get no answer.
 * A task is a named task from ../tasks or the source text of a function.
 */
import net from "node:net";
import { isMainThread, parentPort, workerData } from "node:worker_threads";
import { DualChannel } from "../dual-channel";
import type { TaskSpec } from "../task-spec";
import { workerTask } from "./worker-task";
import { decodeArgs } from "../process-protocol";
import { WorkerQueues } from "../worker-queues";
import { inspectSendable } from "../sendable";
import { fromJsonWire, poolMessageCarriesBytes, toByteWire } from "../wire";
import { describeValue } from "../../primitives/validate";
import { detachBuffers, transferableBuffers } from "../transfer";
import { toReported } from "../task-failure";
import { packNumbers, toNumberArray, unpackNumbers } from "../number-chunks";
import { joinParentLane } from "../manager-lane-peer";

// managers held by the pool's process or thread are reached on this worker's lane to it (manager-lane-peer.ts)
joinParentLane();

// named tasks are looked up (loaded when first asked for), source text compiled once per text (compile-source.ts)
const resolveTask = workerTask;

// A child process (the main thread of its own process) cannot share memory
// with the notebook, and talks to it over Node's JSON channel and, for
// messages that carry bytes, a socket on file descriptor 4 (dual-channel.ts).
const inChildProcess = isMainThread;
const sendOptions = { to: "the notebook", sharedMemory: !inChildProcess };

const channel = inChildProcess
  ? new DualChannel({
      sendIpc: (envelope) => void process.send!(envelope),
      bulk: new net.Socket({ fd: 4, readable: true, writable: true }),
      carriesBytes: poolMessageCarriesBytes,
      deliver: (message) => onMessage(message as InitMessage | TaskMessage | BatchMessage),
      // only the pool writes there: garbage means the pool is gone or broken
      onError: () => process.exit(70),
      peer: "the pool",
    })
  : undefined;

const reply: (message: unknown, transfer?: ArrayBuffer[]) => void = channel
  ? (message) => channel.send(message as object)
  : (message, transfer) => parentPort!.postMessage(message, transfer);

// A Queue in a task's arguments (or the initializer's) arrives as a proxy whose requests the pool answers (queue-proxy.ts)
const queues = new WorkerQueues((message) => reply(message), inChildProcess);

/**
 * Runs the task on each argument list and returns the message that answers
 * with the list of results (in a child process: as JSON when JSON carries
 * them exactly, else in v8's format), and the buffers it moves. A result that
 * cannot travel back (a function, a class instance...) fails the task with
 * UnsendableValueError naming its path, instead of arriving as `undefined` or
 * a plain object. With `back` (the Pool's `transfer` option), the results'
 * ArrayBuffers are handed back instead of copied (threads), or detached here
 * after encoding (processes), so that the task's own copy is gone on both
 * backends.
 */
async function runChunk(spec: TaskSpec, argsList: unknown[], back: boolean): Promise<{ results: unknown; transfer?: ArrayBuffer[] }> {
  const task = resolveTask(spec);
  const results: unknown[] = [];
  let jsonSafe = true;
  for (let i = 0; i < argsList.length; i++) {
    const args = decodeArgs(fromJsonWire(argsList[i]), queues.proxy) as unknown[];
    let result = task(...args);
    if (isThenable(result)) result = await result;
    if (!keepResult(results, result, i, argsList.length)) jsonSafe = false;
  }
  if (!back) return { results: inChildProcess ? toByteWire(results, jsonSafe) : results };
  const buffers = transferableBuffers(results);
  if (!inChildProcess) return { results, transfer: buffers };
  const wire = toByteWire(results, jsonSafe);
  detachBuffers(buffers, "the result");
  return { results: wire };
}

/**
 * The fast path for a chunk of plain numbers (see number-chunks.ts): the task
 * runs on each number, and while every result is a number they are written
 * into one Float64Array that travels back whole. The first other result turns
 * the answer into the usual list (checked as ever) from there on.
 */
async function runNumbers(spec: TaskSpec, wire: unknown): Promise<{ results: unknown; transfer?: ArrayBuffer[] }> {
  const task = resolveTask(spec);
  const items = unpackNumbers(wire)!;
  const out = new Float64Array(items.length);
  for (let i = 0; i < items.length; i++) {
    let result = task(asSmallInteger(items[i]!));
    if (isThenable(result)) result = await result;
    if (typeof result === "number") {
      out[i] = result;
      continue;
    }
    // not a number: the rest goes as a list, checked result by result
    const results: unknown[] = toNumberArray(out.subarray(0, i));
    let jsonSafe = keepResult(results, result, i, items.length);
    for (let k = i + 1; k < items.length; k++) {
      let next = task(asSmallInteger(items[k]!));
      if (isThenable(next)) next = await next;
      if (!keepResult(results, next, k, items.length)) jsonSafe = false;
    }
    return { results: inChildProcess ? toByteWire(results, jsonSafe) : results };
  }
  const { wire: back, transfer } = packNumbers(out, !inChildProcess);
  return { results: back, ...(transfer ? { transfer } : {}) };
}

/**
 * A number read from the chunk's Float64Array, as the task would have got it
 * from a list: an integer that fits in 32 bits as an integer. V8 holds a
 * value read from a Float64Array as a double, and a task's loop bounded by a
 * double (`for (n = 0; n < terms; n++)`) ran 20 % slower than the same loop
 * bounded by an integer (leibnizPi, 30 million terms: 50 against 42 ms). The
 * value is the same number; -0, fractions and large values are left as they are.
 */
function asSmallInteger(x: number): number {
  const i = x | 0;
  return i === x && (i !== 0 || 1 / x > 0) ? i : x;
}

/** True for a promise (or any thenable): only those are awaited, as a microtask per item is a large share of a trivial task. */
function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}

/** Checks that `result` (item `i` of `count`) can travel back and appends it; false when JSON cannot carry it exactly. */
function keepResult(results: unknown[], result: unknown, i: number, count: number): boolean {
  const where = count === 1 ? "the result" : `the result for item ${i} of the chunk`;
  const jsonSafe = inspectSendable(result, where, sendOptions);
  results.push(result);
  return jsonSafe;
}

/** Whatever was thrown, as strings only, so that reporting it can never fail. */
function report(error: unknown): ReturnType<typeof toReported> {
  try {
    return toReported(error, describeValue);
  } catch {
    return { name: "Error", message: "the task threw an error that cannot be described" };
  }
}

interface InitMessage {
  init: TaskSpec;
  args: unknown;
}
interface TaskMessage {
  id: number;
  spec: TaskSpec;
  argsList: unknown[];
  /** A chunk of plain numbers (number-chunks.ts), instead of `argsList`. */
  numbers?: unknown;
  back: boolean;
}

/** Settles once the initializer has run; undefined when the pool has none. */
let initialized: Promise<boolean> | undefined;

async function initialize(message: InitMessage): Promise<boolean> {
  try {
    const args = decodeArgs(fromJsonWire(message.args), queues.proxy) as unknown[];
    await resolveTask(message.init)(...args);
    return true;
  } catch (error) {
    reply({ initError: report(error) });
    return false;
  }
}

/**
 * Jobs received and not started, and those of them the pool cancelled. Jobs
 * run one after the other in microtasks, so a `drop` sent while one ran waits
 * unread behind it: a job that kept the worker busy is followed by a turn of
 * the event loop, where the worker reads what came, before the next one starts.
 * A thread knows a drop came (the pool bumps a shared count); a process looks
 * once it was busy for {@link TURN_AFTER_MS} (its IPC brings the drop in line).
 */
const waiting = new Set<number>();
const dropped = new Set<number>();
const dropCount: Int32Array | undefined = inChildProcess ? undefined : (workerData as { khDropCount?: Int32Array } | null)?.khDropCount;
let dropsSeen = 0;
const TURN_AFTER_MS = 1;
let lastTurn = performance.now();

function turnDue(): boolean {
  if (dropCount) return Atomics.load(dropCount, 0) !== dropsSeen;
  return performance.now() - lastTurn >= TURN_AFTER_MS;
}

/** Lets the event loop read what came: two immediates, as a job that ran in the poll phase gets the check phase next, before any new read. */
async function turn(): Promise<void> {
  if (dropCount) dropsSeen = Atomics.load(dropCount, 0);
  await new Promise<void>((resolve) => setImmediate(resolve));
  await new Promise<void>((resolve) => setImmediate(resolve));
  lastTurn = performance.now();
}

function received(message: TaskMessage): void {
  if (typeof message.id === "number") waiting.add(message.id);
}

function onDrop(ids: unknown): void {
  if (!Array.isArray(ids)) return;
  for (const id of ids) if (waiting.has(id as number)) dropped.add(id as number);
}

async function run(message: TaskMessage): Promise<void> {
  if (turnDue()) await turn();
  waiting.delete(message.id);
  if (dropped.delete(message.id)) return; // cancelled before it started: no answer
  if (initialized && !(await initialized)) return; // the pool stops this worker
  // `ms`: how long the job took here, which tells the pool whether to send this worker jobs ahead
  const start = performance.now();
  try {
    const { results, transfer } =
      message.numbers !== undefined ? await runNumbers(message.spec, message.numbers) : await runChunk(message.spec, message.argsList, message.back);
    const puts = queues.settle(); // the task's quiet queue puts went in, or it fails with their error (queue-proxy.ts)
    if (puts) await puts;
    reply({ id: message.id, results, ms: performance.now() - start }, transfer);
  } catch (error) {
    // lent queue items the task did not take go back before its answer (queue-ahead.ts); the task's own error wins
    await queues.settle()?.catch(() => undefined);
    reply({ id: message.id, error: report(error), ms: performance.now() - start });
  }
}

/** Several jobs sent ahead at once (quick tasks: see pool-scheduler.ts); each is answered on its own. */
interface BatchMessage {
  batch: TaskMessage[];
}

/** Jobs sent and then cancelled: not to be started. */
interface DropMessage {
  drop: unknown;
}

/** The end of the line of jobs: they run one at a time, in the order they came. */
let line: Promise<void> = Promise.resolve();

async function runBatch(batch: TaskMessage[]): Promise<void> {
  for (const message of batch) await run(message);
}

function onMessage(message: InitMessage | TaskMessage | BatchMessage | DropMessage): void {
  lastTurn = performance.now();
  if (queues.take(message)) return; // an answer to a queue request
  if ("drop" in message) onDrop(message.drop);
  else if ("init" in message) initialized = initialize(message);
  else if ("batch" in message) {
    for (const job of message.batch) received(job);
    line = line.then(() => runBatch(message.batch));
  } else {
    received(message);
    line = line.then(() => run(message));
  }
}

process.on("exit", () => queues.flush()); // puts held back (worker-queues.ts) leave even if a task calls process.exit()

if (channel) {
  process.on("message", (envelope) => channel.fromIpc(envelope));
  // the pool's process has gone (or let this worker go): nothing will come
  process.on("disconnect", () => process.exit(0));
} else {
  parentPort!.on("message", onMessage);
}
