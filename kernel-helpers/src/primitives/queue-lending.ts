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
 * one by one, and a bounded queue's room must mean what it says.
 */

/** The most items one `get` of a worker takes at once. */
export const MAX_AHEAD = 64;

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
