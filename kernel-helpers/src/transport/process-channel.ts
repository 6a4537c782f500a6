/**
 * The message channel between a {@link Process} (its owner's side,
 * {@link startProcessWorker}) and its worker (the entry script's side,
 * owner-link.ts's `connectToOwner`): for a child process, frames (frames.ts) on a pipe
 * of its own, file descriptor 3; for a worker thread, its message port. What
 * travels on it is process-protocol.ts's start and failure messages and the
 * owner channel's queue requests and answers (owner-channel.ts).
 *
 * Why not Node's IPC channel for a child: Node parses IPC messages inside its
 * own internals, where bytes that are not a message throw an uncaught
 * exception in the owner (the notebook's kernel). A FrameReader reports them
 * instead, and the owner stops that child.
 */
import { spawn, type ChildProcess } from "node:child_process";
import type { Duplex } from "node:stream";
import { Worker } from "node:worker_threads";
import type { ProtocolError } from "../primitives/errors";
import { FrameReader, writeFrame } from "./frames";
import type { Backend } from "../primitives/pool-options";
import type { FromWorker, ToWorker } from "./process-protocol";
import { childLane, openThreadLane } from "./manager-lane-owner";

/** What the owner hears from a worker. */
export interface ProcessWorkerEvents {
  /** A message; `send` writes to the same worker (it throws for a message too large to send). */
  message(message: unknown, send: (message: ToWorker) => void): void;
  /** A child broke the framing (garbage, an oversized or truncated frame): stop it. */
  broken(error: ProtocolError): void;
  /** An error a thread did not catch (a child reports its own in a message). */
  threadError(error: Error): void;
  exit(code: number | null, signal: NodeJS.Signals | null): void;
}

/** Starts the worker entry script `entry` as a child process or a thread; its output goes to this process's streams. */
export function startProcessWorker(backend: Backend, entry: string, events: ProcessWorkerEvents): { child?: ChildProcess; thread?: Worker } {
  if (backend === "thread") {
    // its lane to the managers held here (manager-lane-owner.ts)
    const lane = openThreadLane();
    const thread = new Worker(entry, { stdout: true, stderr: true, workerData: { khManagerLane: lane.ends }, transferList: lane.transfer });
    thread.stdout.on("data", (d: Buffer) => process.stdout.write(d));
    thread.stderr.on("data", (d: Buffer) => process.stderr.write(d));
    const send = (message: ToWorker): void => thread.postMessage(message);
    thread.on("message", (m) => events.message(m, send));
    thread.on("error", events.threadError);
    thread.on("exit", (code) => {
      lane.close();
      events.exit(code, null);
    });
    return { thread };
  }
  // file descriptors 4 and 5 are its lane to the managers held here and the lane's bell (manager-lane-owner.ts)
  const lane = childLane(4);
  const child = spawn(process.execPath, [...process.execArgv, entry, ...lane.args], { stdio: ["ignore", "pipe", "pipe", "pipe", ...lane.stdio] });
  lane.serve(child);
  // Forward output to this process's streams, where tslab captures it for the notebook.
  child.stdout?.on("data", (d: Buffer) => process.stdout.write(d));
  child.stderr?.on("data", (d: Buffer) => process.stderr.write(d));
  const channel = child.stdio[3] as Duplex;
  const send = (message: ToWorker): void => {
    if (!channel.destroyed) writeFrame(channel, message, "the message");
  };
  const reader = new FrameReader((m) => events.message(m, send), events.broken);
  channel.on("data", (chunk: Buffer) => reader.push(chunk));
  channel.on("error", () => undefined); // the child died: reported through "exit"
  child.on("exit", (code, signal) => events.exit(code, signal));
  child.on("error", () => undefined); // reported through "exit"
  return { child };
}
