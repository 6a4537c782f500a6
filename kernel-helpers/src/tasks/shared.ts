/**
 * Tasks for the shared-data notebook (05): a manager's dict of dicts, and
 * counters in shared memory.
 */
import type { ManagerLike } from "../primitives/manager";
import { checkChoice, checkInteger } from "../primitives/validate";

/** One entry of the notebook's dict of dicts (the original's inner dict). */
export interface LucasEntry {
  Sequence: number[];
  CompFinished: boolean;
  P?: number;
  Q?: number;
}

/**
 * The original's worker: picks random integers P in [1, key] and Q in
 * [-key, -1], then extends the Lucas sequence s[n] = P·s[n-1] - Q·s[n-2] of
 * entry `key` until its last element reaches `limit`, marks it finished and
 * stores P and Q. The copy-modify-assign pattern: `get` returns a copy, the
 * copy is changed, and `set` assigns it back.
 *
 * @returns the entry as stored.
 */
export async function lucasSequenceWorker(manager: ManagerLike<LucasEntry>, key: number, limit: number): Promise<LucasEntry> {
  checkInteger("`key`", key, { min: 1 });
  checkInteger("`limit`", limit, { min: 2 });
  const entry = await manager.get(key);
  if (!entry) throw new Error(`manager has no entry ${key}`);
  const P = 1 + Math.floor(Math.random() * key);
  const Q = -(1 + Math.floor(Math.random() * key));
  const s = entry.Sequence;
  while (s[s.length - 1]! < limit) s.push(P * s[s.length - 1]! - Q * s[s.length - 2]!);
  entry.CompFinished = true;
  entry.P = P;
  entry.Q = Q;
  await manager.set(key, entry); // without this line, nothing changes in the manager
  return entry;
}

/** How {@link incrementCounter} changes the counter. */
export type IncrementMode = "read-modify-write" | "atomic-update";

/**
 * Adds 1 to the number at `key`, `times` times. `"read-modify-write"` does
 * get, then set, from the worker (another worker may write in between: lost
 * updates); `"atomic-update"` sends the increment to the owner with `update`.
 */
export async function incrementCounter(manager: ManagerLike<number>, key: string, times: number, mode: IncrementMode): Promise<number> {
  checkInteger("`times`", times, { min: 0 });
  checkChoice("`mode`", mode, ["read-modify-write", "atomic-update"] as const);
  for (let i = 0; i < times; i++) {
    if (mode === "atomic-update") {
      await manager.update(key, (current: number | undefined) => (current ?? 0) + 1);
    } else {
      const current = (await manager.get(key)) ?? 0;
      await manager.set(key, current + 1);
    }
  }
  return times;
}

/**
 * Adds 1 to element 0 of a shared Int32Array, `times` times, in place
 * (`counter[0]++`: load, add, store, which another thread can interleave) or
 * with `Atomics.add` (one indivisible step).
 *
 * Element 1 is a start line: each call checks in there and waits (up to a
 * second) until `participants` calls have, so the loops really overlap
 * instead of one finishing before the next thread has started.
 *
 * @param buffer - a SharedArrayBuffer of at least 8 bytes (shared with worker threads, not processes).
 * @param participants - how many calls run together (default 1: no waiting).
 */
export function incrementSharedCounter(buffer: SharedArrayBuffer, times: number, atomic: boolean, participants = 1): number {
  if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength < 8) {
    throw new TypeError("Expected a SharedArrayBuffer of at least 8 bytes (child processes cannot share memory: use the thread backend).");
  }
  checkInteger("`times`", times, { min: 0 });
  checkInteger("`participants`", participants, { min: 1, max: 1024 });
  const counter = new Int32Array(buffer);
  Atomics.add(counter, 1, 1);
  const deadline = performance.now() + 1000;
  while (Atomics.load(counter, 1) < participants && performance.now() < deadline) {
    // spin: the others are about to start
  }
  if (atomic) for (let i = 0; i < times; i++) Atomics.add(counter, 0, 1);
  else for (let i = 0; i < times; i++) counter[0]!++;
  return times;
}

/**
 * Measures manager writes from a worker: `operations` sets of small values,
 * one message each (`batchSize` 1) or `batchSize` per `batch` message.
 *
 * @returns the elapsed milliseconds.
 */
export async function managerWrites(manager: ManagerLike<number>, operations: number, batchSize: number): Promise<number> {
  checkInteger("`operations`", operations, { min: 1 });
  checkInteger("`batchSize`", batchSize, { min: 1 });
  const start = performance.now();
  if (batchSize === 1) {
    for (let i = 0; i < operations; i++) await manager.set(`w${i % 100}`, i);
  } else {
    for (let i = 0; i < operations; i += batchSize) {
      const n = Math.min(batchSize, operations - i);
      await manager.batch(Array.from({ length: n }, (_, j) => ({ op: "set" as const, key: `w${(i + j) % 100}`, value: i + j })));
    }
  }
  return performance.now() - start;
}
