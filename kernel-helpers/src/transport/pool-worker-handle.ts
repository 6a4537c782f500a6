/**
 * One pool worker, a thread or a child process, behind one small interface:
 * send a message, hear its answers and its exit, keep it from (or let it stop)
 * holding the process open, and stop it now.
 *
 * Why stopping is a kill, not a request: a worker busy in a loop does not read
 * its messages, so asking it to exit waits until the loop ends (workerpool
 * waited up to a second, then killed). `Worker.terminate()` interrupts the
 * thread's JavaScript where it stands; SIGKILL ends the process. Python's
 * `terminate()` is immediate too.
 *
 * Why idle workers are unref'd: a plain Node script exits when nothing is
 * left to wait for, but an open worker thread or IPC channel counts as
 * something. Python's pool workers are daemons, so a script that never closes
 * its pool still exits; here a worker holds the process open only while it
 * has a task. A child process notices its parent has gone (its IPC channel
 * closes) and exits, so none is left behind.
 */
import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import { Worker } from "node:worker_threads";
import type { Backend } from "../primitives/pool-options";
import { DualChannel } from "./dual-channel";
import { poolMessageCarriesBytes } from "./wire";
import type { Duplex } from "node:stream";
import { QueueClient } from "./queue-service";
import type { WorkerExit } from "./task-failure";
import { childLane, openThreadLane } from "./manager-lane-owner";

/** The worker entry script, next to this module once compiled (never relative to the notebook's folder). */
const WORKER_SCRIPT = path.join(__dirname, "workers", "pool-worker.js");

export type { WorkerExit } from "./task-failure";

/** A running worker. */
export interface PoolWorkerHandle {
  /** Sends one message (`transfer`: ArrayBuffers to move, threads only). */
  send(message: unknown, transfer?: ArrayBuffer[]): void;
  /**
   * Tells the worker not to start these jobs it was sent (cancelled while
   * sent ahead): a `{ drop }` message in line behind them, which the worker
   * reads before its next job (workers/pool-worker.ts).
   */
  drop(ids: number[]): void;
  /** True while the worker should keep this process alive (it has a task); false when idle. */
  keepAlive(busy: boolean): void;
  /** Stops the worker now, whatever it is doing; resolves once it has exited. */
  kill(): Promise<void>;
}

/** What a worker reports to its owner. */
export interface WorkerEvents {
  message(message: unknown): void;
  exit(exit: WorkerExit): void;
}

/** Forwards a child process's output to this process's stream, which is where tslab captures a cell's output. */
function forward(stream: NodeJS.ReadableStream | null | undefined, to: "stdout" | "stderr"): void {
  stream?.on("data", (chunk: Buffer | string) => process[to].write(chunk));
}

/**
 * Starts a worker of `backend`. It is idle (not holding the process open) until `keepAlive(true)`.
 *
 * A Queue in a task's arguments reaches the worker as a proxy (queue-proxy.ts);
 * its requests are answered here, on behalf of this worker (a QueueClient:
 * queue-service.ts), and never reach `events`. What a task took from a plain
 * queue is done once the task answers; what the worker holds when it ends
 * (a joinable queue's items not marked done, or any item if it crashed or
 * was stopped in the middle of a task) becomes the queue's orphans.
 */
export function startPoolWorker(backend: Backend, events: WorkerEvents): PoolWorkerHandle {
  const queues = new QueueClient(`a ${backend} pool worker`, backend === "process");
  let busy = false;
  let stoppedWhileIdle: boolean | undefined;
  const answer = (message: unknown): void => worker.send(message);
  const worker: PoolWorkerHandle = (backend === "thread" ? startThread : startProcess)({
    message: (message) => {
      if (queues.take(message, answer)) return;
      queues.workDone(); // messages are in order: this job's requests were all served before its answer
      events.message(message);
    },
    exit: (exit) => {
      queues.ended(stoppedWhileIdle === true);
      events.exit(exit);
    },
  });
  return {
    send: worker.send,
    drop: worker.drop,
    keepAlive: (nowBusy) => {
      busy = nowBusy;
      worker.keepAlive(nowBusy);
    },
    kill: () => {
      stoppedWhileIdle ??= !busy;
      return worker.kill();
    },
  };
}

function startThread(events: WorkerEvents): PoolWorkerHandle {
  // Node pipes the thread's output to process.stdout/stderr itself (through their
  // write(), which tslab replaces), without holding the process open; reading
  // it ourselves (`stdout: true`) would ref the worker's port for its lifetime.
  // its lane to the managers held here (manager-lane-owner.ts)
  const lane = openThreadLane();
  // bumped after each `drop` message, so that a thread busy with jobs in a row looks at its messages (pool-worker.ts)
  const dropCount = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(WORKER_SCRIPT, { workerData: { khManagerLane: lane.ends, khDropCount: dropCount }, transferList: lane.transfer });
  let uncaught: Error | undefined;
  worker.on("message", events.message);
  worker.on("error", (error) => (uncaught ??= error));
  const exited = new Promise<void>((resolve) => {
    worker.once("exit", (code) => {
      lane.close();
      events.exit({ code, signal: null, ...(uncaught ? { error: uncaught } : {}) });
      resolve();
    });
  });
  worker.unref();
  return {
    send: (message, transfer) => worker.postMessage(message, transfer),
    drop: (ids) => {
      worker.postMessage({ drop: ids });
      Atomics.add(dropCount, 0, 1);
    },
    keepAlive: (busy) => (busy ? worker.ref() : worker.unref()),
    kill: async () => {
      await worker.terminate();
      await exited;
    },
  };
}

/** Options a child inherits from this process: the heap limit only (like workerpool), not a debugger port or jest's flags. */
const childExecArgv = (): string[] => process.execArgv.filter((arg) => arg.startsWith("--max-old-space-size"));

function startProcess(events: WorkerEvents): PoolWorkerHandle {
  // JSON on the IPC channel (what JSON cannot carry travels in v8's format inside it: see wire.ts),
  // and messages that carry bytes on a socket of their own, file descriptor 4 (dual-channel.ts);
  // file descriptors 5 and 6 are its lane to the managers held here and the lane's bell (manager-lane-owner.ts)
  const lane = childLane(5);
  const child: ChildProcess = fork(WORKER_SCRIPT, lane.args, { stdio: ["ignore", "pipe", "pipe", "ipc", "pipe", ...lane.stdio], execArgv: childExecArgv() });
  lane.serve(child);
  forward(child.stdout, "stdout");
  forward(child.stderr, "stderr");
  const bulk = child.stdio[4] as Duplex & { ref?(): void; unref?(): void };
  const channel = new DualChannel({
    sendIpc: (envelope) => {
      if (child.connected) child.send(envelope);
    },
    bulk,
    carriesBytes: poolMessageCarriesBytes,
    deliver: events.message,
    // only our own worker script writes there: garbage means it is broken, and it is stopped like a crash
    onError: () => child.kill("SIGKILL"),
    peer: "a pool worker",
  });
  child.on("message", (envelope) => channel.fromIpc(envelope));
  let failure: Error | undefined;
  const exited = new Promise<void>((resolve) => {
    const report = (exit: WorkerExit): void => {
      events.exit(exit);
      resolve();
    };
    child.once("exit", (code, signal) => report({ code, signal, ...(failure ? { error: failure } : {}) }));
    // a send on a closed channel reports here, before the exit; a failed spawn never exits
    child.on("error", (error) => {
      failure ??= error;
      if (child.pid === undefined) report({ code: null, signal: null, error });
    });
  });
  const handles = (): { ref(): void; unref(): void }[] =>
    [child, child.channel, child.stdout, child.stderr, bulk].filter((h): h is NonNullable<typeof h> & { ref(): void; unref(): void } => !!h && typeof (h as { ref?: unknown }).ref === "function");
  const keepAlive = (busy: boolean): void => {
    for (const handle of handles()) busy ? handle.ref() : handle.unref();
  };
  keepAlive(false);
  return {
    send: (message) => {
      if (child.connected) channel.send(message as object);
    },
    drop: (ids) => {
      if (child.connected) channel.send({ drop: ids });
    },
    keepAlive,
    kill: async () => {
      // an unref'd child would let this process end before its exit arrives, leaving the caller's await unsettled
      keepAlive(true);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}
