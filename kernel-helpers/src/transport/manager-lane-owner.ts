/**
 * The parent's side of the manager lane (why it exists: manager-lane-peer.ts).
 * Every worker this process or thread starts (a pool worker, a Process) gets
 * a lane of its own; through it the worker asks for operations on the
 * {@link Manager}s held here, and nowhere else.
 *
 * A lane may use a manager only after it has shown that manager's key (as a
 * proxy on the manager's socket must prove it): `open` compares it in
 * constant time and answers a handle, "refused", or "elsewhere" for a
 * manager that is not held here (the worker then uses the socket). The lane
 * itself is private: an inherited socket of the child, or a thread's shared
 * memory; nobody else can write to it.
 *
 * Bytes that are not a request (manager-lane.ts) close the lane; the worker's
 * next call then fails with ManagerUnavailableError. Nothing is thrown here.
 */
import { timingSafeEqual } from "node:crypto";
import type { ChildProcess } from "node:child_process";
import type { Duplex } from "node:stream";
import { MessageChannel, receiveMessageOnPort } from "node:worker_threads";
import { ProtocolError } from "../primitives/errors";
import { malformedRequest, type Operation } from "../primitives/manager-protocol";
import { ANSWER_ON_BELL_BIT, CHILD_LANE_FLAG, decodeRequest, encodeAnswer, INLINE_BYTES, NO_POLL_BIT, RING, SLEEPING, THREAD_LANE, type LaneAnswer, type ThreadLaneEnds } from "./manager-lane";
import { ChunkQueue, MAX_FRAME_BYTES } from "./frames";
import { addLanePoll, mayPoll, pollForNextRequests, readNow } from "./manager-lane-polling";
import { reportChannelError } from "./owner-channel";

/** A manager held here, as the lanes see it. */
interface HeldManager {
  key: Buffer;
  apply(operation: Operation): unknown;
  open: boolean;
}

const byAddress = new Map<string, { handle: number; manager: HeldManager }>();
const byHandle = new Map<number, HeldManager>();
let nextHandle = 1;

/** Makes a manager reachable through the lanes of this process's (or thread's) workers; call the result when it shuts down. */
export function holdManager(address: string, key: Buffer, apply: (operation: Operation) => unknown): () => void {
  const manager: HeldManager = { key, apply, open: true };
  const handle = nextHandle++;
  byAddress.set(address, { handle, manager });
  byHandle.set(handle, manager);
  return () => {
    manager.open = false;
    byAddress.delete(address);
    byHandle.delete(handle);
  };
}

function sameKey(held: Buffer, shown: string): boolean {
  const bytes = /^[0-9a-f]{64}$/i.test(shown) ? Buffer.from(shown, "hex") : undefined;
  return bytes !== undefined && bytes.length === held.length && timingSafeEqual(bytes, held);
}

/**
 * Answers one request of a lane. `opened`: the handles this lane has shown
 * the key of. @throws ProtocolError for bytes that are not a request, or a
 * handle the lane never opened (the caller closes the lane).
 */
export function answerLaneRequest(bytes: Buffer, opened: Set<number>): Buffer {
  const request = decodeRequest(bytes);
  let answer: LaneAnswer;
  if (request.kind === "open") {
    const held = byAddress.get(request.address);
    if (!held) answer = { kind: "elsewhere" };
    else if (!sameKey(held.manager.key, request.key)) answer = { kind: "refused" };
    else {
      opened.add(held.handle);
      answer = { kind: "opened", handle: held.handle };
    }
  } else {
    if (!opened.has(request.handle)) throw new ProtocolError("Manager lane: an operation on a manager this lane has not opened.");
    const problem = request.checked ? undefined : malformedRequest({ id: 0, operation: request.operation });
    if (problem) throw new ProtocolError(`Manager lane: a malformed request (${problem}).`);
    const manager = byHandle.get(request.handle);
    if (!manager?.open) answer = { kind: "unavailable" };
    else {
      try {
        const value = manager.apply(request.operation);
        answer = request.operation.op === "batch" && Array.isArray(value) ? { kind: "list", values: value } : { kind: "ok", value };
      } catch (error) {
        answer = { kind: "error", error: reportChannelError(error) };
      }
    }
  }
  try {
    return encodeAnswer(answer);
  } catch (error) {
    return encodeAnswer({ kind: "error", error: reportChannelError(error) });
  }
}

/**
 * Serves the lane of a child process: `stream` is this side of the socket
 * the child has as a file descriptor (frames: a 4-byte little-endian length,
 * then the bytes), `bell` the side of the one it sleeps on. A child that
 * stopped polling for its answer says so (SLEEPING), and since requests are
 * answered in order, its answer has left by then: a RING frame on `bell`
 * wakes it. A request sent without polling at all (ANSWER_ON_BELL_BIT) is
 * answered on `bell` itself: one message each way. Neither keeps this
 * process alive.
 */
export function serveChildLane(stream: Duplex & { unref?(): void }, bell: Duplex & { unref?(): void }): void {
  const opened = new Set<number>();
  const received = new ChunkQueue();
  const ring = Buffer.from([1, 0, 0, 0, RING]);
  for (const end of [stream, bell]) {
    end.unref?.();
    end.on("error", () => end.destroy()); // the child died: nothing to answer
  }
  bell.on("data", () => bell.destroy()); // only this side writes there
  /** Answers every whole request in `received`; true if it answered one. */
  const answerReceived = (): boolean => {
    let answered = false;
    try {
      while (received.length >= 4) {
        const word = received.peek(4).readUInt32LE(0);
        const length = word & ~ANSWER_ON_BELL_BIT;
        if (length === 0 || length > MAX_FRAME_BYTES) throw new ProtocolError(`Manager lane: a frame announcing ${length} bytes.`);
        if (received.length < 4 + length) break; // joined once whole, so a large frame is copied once
        const body = received.take(4 + length).subarray(4);
        if (length === 1 && body[0] === SLEEPING) {
          bell.write(ring);
          continue;
        }
        const answer = answerLaneRequest(body, opened);
        const head = Buffer.allocUnsafe(4);
        head.writeUInt32LE((answer.length | (mayPoll(opened) ? 0 : NO_POLL_BIT)) >>> 0);
        (word >= ANSWER_ON_BELL_BIT ? bell : stream).write(Buffer.concat([head, answer]));
        answered = true;
      }
    } catch {
      received.clear();
      stream.destroy(); // the child's next call finds the lane closed
      bell.destroy();
    }
    return answered;
  };
  // Polled (manager-lane-polling.ts) by reading the socket's descriptor here, which this thread's event loop also
  // reads: only while the stream holds no bytes of its own, so that what it read first is answered first.
  // A stream without a descriptor (not a socket of this process) is not polled.
  const fd = (stream as { _handle?: { fd?: unknown } })._handle?.fd;
  const scratch = Buffer.allocUnsafe(64 * 1024);
  const poll = (): boolean => {
    if (typeof fd !== "number" || fd <= 2 || stream.destroyed || stream.readableLength > 0) return false;
    let got: number;
    try {
      got = readNow(fd, scratch, 0);
    } catch {
      return false; // closed or failing: the event loop hears so too
    }
    if (got <= 0) return false;
    received.push(Buffer.from(scratch.subarray(0, got)));
    return answerReceived();
  };
  stream.once("close", addLanePoll(opened, poll));
  stream.on("data", (chunk: Buffer) => {
    received.push(chunk);
    if (answerReceived()) pollForNextRequests();
  });
}

/**
 * What gives a child about to be spawned its lane, on file descriptors `fd`
 * and `fd + 1`: its extra arguments and stdio entries, and `serve` to call
 * once it is spawned. None on Windows, where Node's pipes are named pipes
 * that a worker cannot poll and then block on as above: proxies there use
 * the manager's socket.
 */
export function childLane(fd: number): { args: string[]; stdio: "pipe"[]; serve(child: ChildProcess): void } {
  if (process.platform === "win32") return { args: [], stdio: [], serve: () => undefined };
  return {
    args: [`${CHILD_LANE_FLAG}${fd},${fd + 1}`],
    stdio: ["pipe", "pipe"],
    serve: (child) => {
      const ends = child.stdio as unknown as Duplex[];
      serveChildLane(ends[fd]!, ends[fd + 1]!);
    },
  };
}

/**
 * Opens the lane of a thread about to start: pass `ends` in its `workerData`
 * (and `transfer` in its transfer list). Call `close` once the thread has
 * exited, so that the waiting side here ends too.
 */
export function openThreadLane(): { ends: ThreadLaneEnds; transfer: [ThreadLaneEnds["port"]]; close(): void } {
  const shared = new SharedArrayBuffer(THREAD_LANE.HEADER_BYTES + INLINE_BYTES);
  const slots = new Int32Array(shared, 0, 6);
  const inline = Buffer.from(shared, THREAD_LANE.HEADER_BYTES);
  const { port1: here, port2: there } = new MessageChannel();
  here.unref();
  const opened = new Set<number>();
  let closed = false;
  const answerOne = (): void => {
    const size = Atomics.load(slots, THREAD_LANE.REQUEST_BYTES);
    const request = size === THREAD_LANE.ON_PORT ? Buffer.from((receiveMessageOnPort(here)?.message as Uint8Array | undefined) ?? []) : Buffer.from(inline.subarray(0, size));
    let answer: Buffer;
    try {
      answer = answerLaneRequest(request, opened);
    } catch (error) {
      // a thread of this library wrote that: answer (it is waiting) and close the lane
      closed = true;
      Atomics.store(slots, THREAD_LANE.SHUT, 1);
      answer = encodeAnswer({ kind: "error", error: reportChannelError(error) });
    }
    if (answer.length <= INLINE_BYTES) {
      answer.copy(inline);
      Atomics.store(slots, THREAD_LANE.ANSWER_BYTES, answer.length);
    } else {
      here.postMessage(answer);
      Atomics.store(slots, THREAD_LANE.ANSWER_BYTES, THREAD_LANE.ON_PORT);
    }
  };
  let seen = 0;
  /** Answers the thread's request if it asked one since; true if so. */
  const poll = (): boolean => {
    const number = Atomics.load(slots, THREAD_LANE.REQUEST);
    if (closed || number === seen || number === THREAD_LANE.CLOSED) return false;
    seen = number;
    answerOne();
    Atomics.store(slots, THREAD_LANE.NO_POLL, mayPoll(opened) ? 0 : 1);
    Atomics.store(slots, THREAD_LANE.ANSWER, number);
    Atomics.notify(slots, THREAD_LANE.ANSWER);
    return true;
  };
  const removePoll = addLanePoll(opened, poll);
  const serve = async (): Promise<void> => {
    while (!closed) {
      const waited = (Atomics as unknown as AtomicsWithWaitAsync).waitAsync(slots, THREAD_LANE.REQUEST, seen);
      if (waited.async) await waited.value;
      if (Atomics.load(slots, THREAD_LANE.REQUEST) === THREAD_LANE.CLOSED || closed) break;
      if (poll()) pollForNextRequests();
    }
    here.close();
    removePoll();
  };
  // nothing in serve() should throw; if something does, the lane closes and the waiting worker hears so within a second
  serve().catch(() => {
    closed = true;
    Atomics.store(slots, THREAD_LANE.SHUT, 1);
  });
  return {
    ends: { shared, port: there },
    transfer: [there],
    close: () => {
      closed = true;
      Atomics.store(slots, THREAD_LANE.SHUT, 1);
      Atomics.store(slots, THREAD_LANE.REQUEST, THREAD_LANE.CLOSED);
      Atomics.notify(slots, THREAD_LANE.REQUEST);
    },
  };
}

/** `Atomics.waitAsync` (ES2024; in Node since 16), which this project's ES2022 typings lack. */
interface AtomicsWithWaitAsync {
  waitAsync(array: Int32Array, index: number, value: number): { async: false; value: string } | { async: true; value: Promise<string> };
}
