/**
 * A worker's side of the manager lane: how a {@link ManagerProxy} in a
 * worker that this library started (a pool worker, a Process) reaches a
 * Manager that its parent holds, which is where a notebook's manager is.
 *
 * Why a lane next to the manager's socket: on the socket, each operation
 * costs a turn of the event loop on both sides, and one operation per message
 * is what `await manager.set(...)` in a loop is. Python's proxy waits for its
 * answer in a blocking read; the lane does the same. The worker writes its
 * request and blocks until the answer is there: on a socket it inherited from
 * its parent (a child process: a plain blocking read), or on shared memory
 * with `Atomics.wait` (a thread). Its parent answers from its event loop as
 * before (manager-lane-owner.ts), and the request bytes avoid v8's format for
 * the common values (manager-lane.ts).
 *
 * What it changes for the caller: nothing it can observe, except that the
 * worker's own event loop is paused while one operation is out (as Python's
 * thread is), so operations started together in one worker run one after the
 * other. `batch()` sends several in one message either way.
 *
 * A manager that the parent does not hold (one passed on by a Process to a
 * pool it started, say) is reached on its socket, as before; so is every
 * manager from a thread that no lane reaches (the notebook's own thread, a
 * thread that user code started).
 */
import fs from "node:fs";
import net from "node:net";
import { isMainThread, receiveMessageOnPort, workerData } from "node:worker_threads";
import { ProtocolError } from "../primitives/errors";
import { ManagerUnavailableError, type Operation } from "../primitives/manager-protocol";
import { MAX_FRAME_BYTES } from "./frames";
import { ANSWER_ON_BELL_BIT, CHILD_LANE_FLAG, decodeAnswer, encodeOpen, NO_POLL_BIT, RING, SLEEPING, encodeOperation, INLINE_BYTES, THREAD_LANE, type ThreadLaneEnds } from "./manager-lane";
import { nap, readNow } from "./manager-lane-polling";
import { rebuildChannelError } from "./owner-channel";

/** One request out and its answer back; throws ManagerUnavailableError once the lane is closed. */
interface Carrier {
  exchange(request: Buffer): Buffer;
}

let carrier: Carrier | undefined;

/**
 * How long a worker polls for its answer before it sleeps (50 µs): an answer
 * is usually there sooner, and waking a sleeping thread costs more than that
 * (on the 2-core VM of this project's measurements, polling took a lone
 * worker from about 0.8 times Python's operations per second to 1.3-1.9
 * times from a child process and 3.4-5 times from a thread).
 */
const POLL_MS = 0.05;

/**
 * Polls while answers come in time. After 8 polls in a row that ended with no
 * answer (a parent busy elsewhere), the next 64 calls sleep at once, then it
 * polls again.
 */
class Patience {
  #late = 0;
  #skip = 0;
  /** False while the parent says there are more lanes at work than cores (manager-lane-polling.ts: mayPoll). */
  allowed = true;
  /** The moment to stop polling, or 0 not to poll. */
  deadline(): number {
    if (!this.allowed) return 0;
    if (this.#skip === 0) return performance.now() + POLL_MS;
    this.#skip--;
    return 0;
  }
  /** After a call that polled (`deadline()` was not 0): did its answer come while it polled? */
  answered(inTime: boolean): void {
    if (inTime) this.#late = 0;
    else if (++this.#late >= 8) {
      this.#late = 0;
      this.#skip = 64;
    }
  }
}

const closedLane = (): ManagerUnavailableError =>
  new ManagerUnavailableError("The manager is unavailable: the lane to this worker's parent is closed (did the parent end?).");

/** Writes all of `bytes` on a nonblocking descriptor. */
function writeAll(fd: number, bytes: Buffer): void {
  for (let sent = 0; sent < bytes.length; ) {
    try {
      sent += fs.writeSync(fd, bytes, sent);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EAGAIN") throw error;
      nap();
    }
  }
}

/**
 * The lane of a child process: file descriptor `fd` carries requests and
 * answers, `bellFd` wakes it. Both are sockets its parent made for it. When
 * it may poll, it polls `fd` for the answer (made nonblocking for that) and,
 * if the answer is late, says it sleeps and blocks on `bellFd` until its
 * parent rings. When it may not, it asks for the answer on `bellFd` and
 * blocks there at once.
 */
export function useChildLane(fd: number, bellFd: number): void {
  // Node's socket sets O_NONBLOCK on the descriptor; it never reads it (readable: false). Kept, so that it is not collected.
  const handle = new net.Socket({ fd, readable: false, writable: false });
  handle.unref();
  const sleeping = Buffer.from([1, 0, 0, 0, SLEEPING]);
  const patience = new Patience();
  const inboxes = new Map<number, Buffer>([
    [fd, Buffer.allocUnsafe(64 * 1024)],
    [bellFd, Buffer.allocUnsafe(64 * 1024)],
  ]);
  let dead = false;
  /**
   * Reads one frame from `from` and returns its body: polling until
   * `deadline` (then returning undefined, with `from`'s bytes so far kept in
   * `state`), or with `wait`, until it is whole.
   */
  const readFrame = (from: number, state: { got: number }, deadline: number, wait: boolean): Buffer | undefined => {
    for (;;) {
      let inbox = inboxes.get(from)!;
      if (state.got >= 4) {
        const word = inbox.readUInt32LE(0);
        const length = word & ~NO_POLL_BIT;
        if (length === 0 || length > MAX_FRAME_BYTES) throw new ProtocolError(`Manager lane: an answer announcing ${length} bytes.`);
        if (state.got >= 4 + length) {
          patience.allowed = word < NO_POLL_BIT;
          return inbox.subarray(4, 4 + length);
        }
        if (4 + length > inbox.length) {
          const bigger = Buffer.allocUnsafe(4 + length);
          inbox.copy(bigger, 0, 0, state.got);
          inboxes.set(from, (inbox = bigger));
        }
      }
      const n = readNow(from, inbox, state.got, wait);
      if (n === 0) throw closedLane();
      if (n > 0) state.got += n;
      else if (performance.now() >= deadline) return undefined;
    }
  };
  /** The answer on `fd`: polled for until `deadline`, then slept for (say so, wait for the ring, read on). */
  const pollForAnswer = (deadline: number): Buffer => {
    const state = { got: 0 };
    let inTime = true;
    for (;;) {
      const answer = readFrame(fd, state, deadline, false);
      if (answer) {
        patience.answered(inTime);
        return answer;
      }
      inTime = false;
      writeAll(fd, sleeping);
      const ring = readFrame(bellFd, { got: 0 }, 0, true)!;
      if (ring.length !== 1 || ring[0] !== RING) throw new ProtocolError("Manager lane: the bell carried something other than a ring.");
      deadline = 0;
    }
  };
  carrier = {
    exchange(request) {
      if (dead) throw closedLane();
      void handle;
      try {
        const deadline = patience.deadline();
        const frame = Buffer.allocUnsafe(4 + request.length);
        frame.writeUInt32LE((request.length | (deadline > 0 ? 0 : ANSWER_ON_BELL_BIT)) >>> 0);
        request.copy(frame, 4);
        writeAll(fd, frame);
        return deadline > 0 ? pollForAnswer(deadline) : readFrame(bellFd, { got: 0 }, 0, true)!;
      } catch (error) {
        dead = true;
        throw error instanceof ManagerUnavailableError ? error : new ManagerUnavailableError(`The manager is unavailable: the lane to this worker's parent failed (${(error as Error).message}).`);
      }
    },
  };
}

/** The lane of a worker thread, from its `workerData` (manager-lane-owner.ts: openThreadLane). */
export function useThreadLane(ends: ThreadLaneEnds): void {
  const slots = new Int32Array(ends.shared, 0, 6);
  const inline = Buffer.from(ends.shared, THREAD_LANE.HEADER_BYTES);
  const patience = new Patience();
  let number = 0;
  carrier = {
    exchange(request) {
      if (Atomics.load(slots, THREAD_LANE.SHUT) === 1) throw closedLane();
      if (request.length <= INLINE_BYTES) {
        request.copy(inline);
        Atomics.store(slots, THREAD_LANE.REQUEST_BYTES, request.length);
      } else {
        ends.port.postMessage(request);
        Atomics.store(slots, THREAD_LANE.REQUEST_BYTES, THREAD_LANE.ON_PORT);
      }
      number = number >= 0x7ffffffe ? 1 : number + 1;
      Atomics.store(slots, THREAD_LANE.REQUEST, number);
      Atomics.notify(slots, THREAD_LANE.REQUEST);
      const deadline = patience.deadline();
      if (deadline > 0) {
        while (Atomics.load(slots, THREAD_LANE.ANSWER) !== number && performance.now() < deadline);
        patience.answered(Atomics.load(slots, THREAD_LANE.ANSWER) === number);
      }
      for (;;) {
        const answered = Atomics.load(slots, THREAD_LANE.ANSWER);
        if (answered === number) break;
        if (Atomics.load(slots, THREAD_LANE.SHUT) === 1) throw closedLane();
        Atomics.wait(slots, THREAD_LANE.ANSWER, answered, 1000);
      }
      patience.allowed = Atomics.load(slots, THREAD_LANE.NO_POLL) === 0;
      const size = Atomics.load(slots, THREAD_LANE.ANSWER_BYTES);
      if (size !== THREAD_LANE.ON_PORT) return Buffer.from(inline.subarray(0, size));
      const posted = receiveMessageOnPort(ends.port)?.message as Uint8Array | undefined;
      if (!posted) throw closedLane();
      return Buffer.from(posted.buffer, posted.byteOffset, posted.byteLength);
    },
  };
}

/**
 * Takes up the lane this worker's parent gave it, if any: a thread's is in
 * its `workerData`, a child's file descriptor in its arguments (removed from
 * `process.argv` here). The entry scripts of pool workers and Processes call it.
 */
export function joinParentLane(): void {
  if (!isMainThread) {
    const ends = (workerData as { khManagerLane?: ThreadLaneEnds } | null | undefined)?.khManagerLane;
    if (ends?.shared instanceof SharedArrayBuffer) useThreadLane(ends);
    return;
  }
  const at = process.argv.findIndex((arg) => arg.startsWith(CHILD_LANE_FLAG));
  if (at < 0) return;
  const [fd, bellFd] = process.argv[at]!.slice(CHILD_LANE_FLAG.length).split(",").map(Number);
  process.argv.splice(at, 1);
  if (Number.isSafeInteger(fd) && Number.isSafeInteger(bellFd) && fd! > 2 && bellFd! > 2) useChildLane(fd!, bellFd!);
}

/** How a proxy reaches its manager: through the lane, as `handle`, or on the manager's socket. */
export type ManagerRoute = { handle: number } | "socket";

/**
 * Asks this worker's parent whether it holds the manager at `address`
 * (proving `key`). Without a lane, or if it does not: "socket".
 * @throws ManagerUnavailableError if the parent holds it and refuses the key.
 */
export function routeToManager(address: string, key: string): ManagerRoute {
  if (!carrier) return "socket";
  const answer = decodeAnswer(carrier.exchange(encodeOpen(address, key)));
  if (answer.kind === "opened") return { handle: answer.handle };
  if (answer.kind === "elsewhere") return "socket";
  if (answer.kind === "refused") {
    throw new ManagerUnavailableError(`The manager at ${address} refused this proxy: its key is not the manager's key (pass the manager itself, or its reference(), to the worker).`);
  }
  throw new ProtocolError(`Manager lane: the parent answered an open request with "${answer.kind}".`);
}

/** Runs `operation` through the lane and returns its value; throws what the owner threw, rebuilt. */
export function callOverLane(route: { handle: number }, operation: Operation, address: string): unknown {
  const answer = decodeAnswer(carrier!.exchange(encodeOperation(route.handle, operation)));
  switch (answer.kind) {
    case "ok":
      return answer.value;
    case "error":
      throw rebuildChannelError(answer.error);
    case "unavailable":
      throw new ManagerUnavailableError(`The manager at ${address} is unavailable: it was shut down.`);
    default:
      throw new ProtocolError(`Manager lane: the parent answered an operation with "${answer.kind}".`);
  }
}
