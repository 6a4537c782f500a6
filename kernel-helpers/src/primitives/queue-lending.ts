/**
 * Items a plain queue's owner lends a quick consumer ahead: the owner's
 * bookkeeping (the worker's side is transport/queue-ahead.ts).
 *
 * Why: without it, every `get` of a worker is a round trip to the owner,
 * where Python's consumers read the next item straight from a pipe. A
 * worker whose gets come quickly (it used its last items in under 0.1 ms
 * each: transport/queue-ahead.ts) asks for up to {@link MAX_AHEAD} items in one `get`: the
 * first is its answer, the others wait in the worker for its next gets,
 * which then cost nothing. The owner gives at most a fair share of what is
 * waiting, so other consumers are not starved.
 *
 * What stays true (a queue still delivers each item exactly once):
 * - the worker reports how many lent items its code took (`used`) with its
 *   next request of that queue, and returns the ones it did not take when its
 *   task or target ends, before it fails, or when the owner asks them back;
 * - the owner asks them back as soon as anybody else finds the queue empty
 *   (a `get` that would wait, or a `getNowait` that fails), so an item is
 *   never stuck in one worker while another waits for it;
 * - if the worker dies, its lent items become orphans with the item in its
 *   hand (some may not have been started: `requeueOrphans()` is safe for
 *   those, as for any orphan of a task that is safe to repeat).
 *
 * Only plain queues without a `maxsize` lend: a JoinableQueue counts items
 * one by one, and a bounded queue's room must mean what it says. Only small
 * items are lent, up to about a MiB per answer ({@link MAX_AHEAD_BYTES}).
 */

/**
 * The most items one `get` of a worker takes at once. A quick job loop of
 * small items then costs the owner one message per thousand items (20,000
 * numbers through one process consumer on 2 cores: 150k items/s, against
 * 92k with 64 at most and Python's 67k).
 */
export const MAX_AHEAD = 1024;

/**
 * The most bytes (roughly: {@link roughBytes}) lent in one answer beyond
 * its first item: large items are not lent ahead (copying them costs more
 * than the round trip saved), and an answer stays far below a message's limit.
 */
export const MAX_AHEAD_BYTES = 1024 * 1024;

/** Nodes of one item that {@link roughBytes} looks at before it calls the item large. */
const ROUGH_NODES = 1024;

/**
 * About how many bytes `item` takes in a message: a number 8, a string 2 per
 * character, a buffer or typed array its bytes, a list or object the sum of
 * what it holds. An item with more than a thousand values in it counts as
 * {@link MAX_AHEAD_BYTES} (never lent ahead), so the look stays cheap.
 */
export function roughBytes(item: unknown): number {
  let nodes = 0;
  const size = (value: unknown): number => {
    if (++nodes > ROUGH_NODES) return MAX_AHEAD_BYTES;
    if (typeof value === "string") return 8 + 2 * value.length;
    if (typeof value !== "object" || value === null) return 8;
    if (ArrayBuffer.isView(value)) return 16 + value.buffer.byteLength; // a view travels with its whole buffer
    if (value instanceof ArrayBuffer) return 16 + value.byteLength;
    let total = 16;
    if (Array.isArray(value)) {
      for (const element of value) if ((total += size(element)) >= MAX_AHEAD_BYTES) break;
    } else {
      for (const key of Object.keys(value)) if ((total += key.length + size((value as Record<string, unknown>)[key])) >= MAX_AHEAD_BYTES) break;
    }
    return total;
  };
  return size(item);
}

interface Lent<T> {
  items: T[];
  /** Asks the worker for what it has not used (sends it a message). */
  recall: () => void;
  /** Asked already, since the last lending. */
  recalled: boolean;
}

/** The items a queue has lent, per consumer (by its unique id), oldest first. */
export class Lending<T> {
  readonly #lent = new Map<string, Lent<T>>();
  #count = 0;

  /** Items lent and not yet reported used or given back. */
  get count(): number {
    return this.#count;
  }

  /**
   * How many of `waiting` items to lend to a consumer that wants `wanted`:
   * a fair share, so that each consumer that borrows leaves at least as
   * much for the others.
   */
  share(wanted: number, waiting: number): number {
    return Math.max(0, Math.min(wanted, MAX_AHEAD, Math.floor(waiting / (this.#lent.size + 2))));
  }

  /**
   * How many of the first `count` of `items` fit in {@link MAX_AHEAD_BYTES}
   * (by {@link roughBytes}): those are lent, the rest wait in the queue.
   */
  static fitting(items: readonly unknown[], count: number): number {
    let bytes = 0;
    for (let i = 0; i < count; i++) {
      bytes += roughBytes(items[i]);
      if (bytes > MAX_AHEAD_BYTES) return i;
    }
    return count;
  }

  /** Records `items` as lent to `consumer`, after any it still has. */
  lend(consumer: string, items: T[], recall: () => void): void {
    const lent = this.#lent.get(consumer);
    if (lent) {
      lent.items.push(...items);
      lent.recall = recall;
      lent.recalled = false;
    } else {
      this.#lent.set(consumer, { items: [...items], recall, recalled: false });
    }
    this.#count += items.length;
  }

  /**
   * The consumer's code took its `used` oldest lent items (a worker's
   * report; more than it has counts as all). @returns them, oldest first.
   */
  used(consumer: string, used: number): T[] {
    const lent = this.#lent.get(consumer);
    if (!lent || used <= 0) return [];
    const taken = lent.items.splice(0, used);
    this.#count -= taken.length;
    if (lent.items.length === 0) this.#lent.delete(consumer);
    return taken;
  }

  /**
   * Takes back the `count` oldest items lent to `consumer` (it returned
   * them: items lent since, whose answer it had not seen yet, stay lent), or
   * all of them (it ended). @returns them, oldest first.
   */
  takeBack(consumer: string, count = Infinity): T[] {
    const lent = this.#lent.get(consumer);
    if (!lent) return [];
    const back = lent.items.splice(0, count);
    this.#count -= back.length;
    if (lent.items.length === 0) this.#lent.delete(consumer);
    return back;
  }

  /** Asks every consumer but `except` that holds lent items to return them (once per lending). */
  recallAll(except: string): void {
    for (const [consumer, lent] of this.#lent) {
      if (consumer === except || lent.recalled) continue;
      lent.recalled = true;
      try {
        lent.recall();
      } catch {
        // the worker is gone: its end takes its items back (consumerEnded)
      }
    }
  }
}
