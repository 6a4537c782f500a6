/**
 * The worker's side of process-channel.ts's channel, in a module of its own so
 * that a starting worker loads only what it needs, not the owner's side
 * (child_process, crypto, the manager lanes): a child process's start-up is
 * paid at every Process start.
 */
import net from "node:net";
import { isMainThread, parentPort } from "node:worker_threads";
import { FrameReader, writeFrame } from "./frames";
import type { FromWorker, ToWorker } from "./process-protocol";

/** The worker's end of the channel. */
export interface OwnerConnection {
  /** Sends `message`; `written` runs once it has left (before exiting, so that it is not lost). */
  send(message: FromWorker, written?: () => void): void;
  /** Closes the channel (the worker is done). */
  close(): void;
  /** True in a child process (a pipe, asynchronous), false in a thread (its port). */
  readonly isChild: boolean;
}

/**
 * Connects the worker entry script to its owner: messages from the owner go
 * to `onMessage`. In a child, `ownerGone` runs when the pipe ends or carries
 * a broken stream (the owner went away, or is confused): it has no one left
 * to report to.
 */
export function connectToOwner(onMessage: (message: ToWorker) => void, ownerGone: () => void): OwnerConnection {
  if (!isMainThread) {
    parentPort?.on("message", onMessage);
    return {
      send: (message, written) => {
        parentPort?.postMessage(message);
        written?.();
      },
      close: () => parentPort?.close(),
      isChild: false,
    };
  }
  const channel = new net.Socket({ fd: 3, readable: true, writable: true });
  channel.on("end", ownerGone);
  channel.on("close", ownerGone);
  channel.on("error", ownerGone);
  const reader = new FrameReader((m) => onMessage(m as ToWorker), ownerGone);
  channel.on("data", (chunk: Buffer) => reader.push(chunk));
  return {
    send: (message, written) => {
      if (!channel.destroyed) writeFrame(channel, message, "the message", written);
    },
    close: () => channel.end(),
    isChild: true,
  };
}
