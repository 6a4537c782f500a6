/**
 * Who polls on the manager lanes (manager-lane-owner.ts), and when: the
 * workers for their answers ({@link mayPoll}), and this thread, which answers,
 * for their next requests ({@link pollForNextRequests}).
 *
 * Waking a sleeping process or thread costs more than the operation it asks
 * for (on the 2-core VM of this project's measurements, tens of µs against a
 * few). A worker that polls for its answer is not asleep when it comes; this
 * thread, polling the lanes for a short while after it answers one, is not
 * asleep when the next request comes, which from a worker in a loop of
 * `await manager.set(...)` is a few µs later. Measured there (one process
 * client, 20,000 sets, 5-6 rounds): 38-41k sets/s when this thread slept in
 * its event loop between requests, 73-83k when it polled for 15-60 µs; two
 * clients 61-66k and 66-76k; four 56-57k and 60-63k.
 */
import fs from "node:fs";
import os from "node:os";

const CORES = os.availableParallelism();

const pause = new Int32Array(new SharedArrayBuffer(4));
/** Sleeps 50 µs. */
export const nap = (): void => void Atomics.wait(pause, 0, 0, 0.05);

/**
 * fs.readSync on a nonblocking descriptor: bytes read, 0 at its end, or -1
 * when nothing is there yet (with `wait`: until something is). Node reports "nothing yet" by throwing EAGAIN;
 * a poll throws it many times per answer, so the error is made without a
 * stack trace (capturing one cost more than the read itself).
 */
export function readNow(fd: number, into: Buffer, at: number, wait = false): number {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    for (;;) {
      try {
        return fs.readSync(fd, into, at, into.length - at, null);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EAGAIN") throw error;
        if (!wait) return -1;
        nap(); // `wait` on a descriptor that should block and does not: check again shortly
      }
    }
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** A lane counts as at work for 2 ms after its last request. */
const AT_WORK_MS = 2;

/** When each lane (by its set of opened handles) last asked something. */
const lastAsked = new Map<object, number>();
/** The place of each lane at work among them (in the order they first asked), counted at most once per millisecond. */
let ranks = new Map<object, number>();
let countedAt = 0;

/**
 * Whether a worker should poll for its next answer: the lanes at work (that
 * asked something in the last 2 ms) take places in the order they first
 * asked, counted at most once per millisecond, and a worker polls if its
 * place is below one fewer than the number of cores, leaving a core to this
 * thread, which answers (a poll takes a core). The others sleep. Measured on
 * 2 cores, as Python's sets/s: two polling children 0.55-0.59, two sleeping
 * 0.73-0.90, one of each 1.06-1.40. Two threads (sets/s, six medians of 5
 * rounds each): both polling 32k-105k, twice below 34k; one of each 81k-119k;
 * four threads, all polling 68k-115k, one 65k-96k.
 */
export function mayPoll(lane: object): boolean {
  const now = performance.now();
  lastAsked.set(lane, now);
  if (now - countedAt > 1) {
    countedAt = now;
    ranks = new Map();
    for (const [other, asked] of lastAsked) if (now - asked < AT_WORK_MS) ranks.set(other, ranks.size);
  }
  const rank = ranks.get(lane) ?? ranks.size;
  return rank + 1 < CORES;
}

/**
 * How long this thread polls for a next request after it answered one (30
 * µs; 15-60 measured alike), counted again from each request it answers.
 */
const NEXT_REQUEST_MS = 0.03;
/** The longest it answers lanes that way before its event loop runs again (1 ms), so that nothing else waits longer. */
const TURN_MS = 1;
/**
 * It polls only while at most this many lanes are at work, no more than
 * there are cores, and only with two cores or more: each poll of a child's
 * lane is a read of its socket, and with many lanes at work, the event loop's
 * one wait for all of them costs less than a read of each; with more lanes
 * than cores, or on one core, polling would take the core a worker needs.
 */
const MAX_POLLED_LANES = 4;

/** Each open lane's poll: answers the request waiting on it, if one is whole; true if it answered one. */
const polls = new Map<object, () => boolean>();
let polling = false;

/**
 * Registers a lane's poll (keyed by its set of opened handles, as in
 * {@link mayPoll}); call the result when the lane closes.
 */
export function addLanePoll(lane: object, poll: () => boolean): () => void {
  polls.set(lane, poll);
  return () => {
    polls.delete(lane);
    lastAsked.delete(lane);
  };
}

/**
 * Called after answering a lane's request from the event loop: polls the
 * lanes at work for their next requests and answers them, until none has
 * come for {@link NEXT_REQUEST_MS} or {@link TURN_MS} has passed. Does
 * nothing while more lanes are at work than it polls.
 */
export function pollForNextRequests(): void {
  if (polling) return;
  const start = performance.now();
  const atWork: Array<() => boolean> = [];
  for (const [lane, poll] of polls) {
    const asked = lastAsked.get(lane);
    if (asked !== undefined && start - asked < AT_WORK_MS) atWork.push(poll);
  }
  if (CORES < 2 || atWork.length === 0 || atWork.length > Math.min(CORES, MAX_POLLED_LANES)) return;
  polling = true;
  try {
    let until = start + NEXT_REQUEST_MS;
    for (;;) {
      let answered = false;
      for (const poll of atWork) if (poll()) answered = true;
      const now = performance.now();
      if (answered) until = now + NEXT_REQUEST_MS;
      if (now >= until || now - start >= TURN_MS) return;
    }
  } finally {
    polling = false;
  }
}
