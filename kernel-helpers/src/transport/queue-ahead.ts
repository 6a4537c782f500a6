/**
 * A worker's side of the items a queue's owner lends it ahead (the owner's
 * side, and why, is primitives/queue-lending.ts): the items waiting here
 * for the worker's next gets, how many its code took since it last told the
 * owner, and how many to ask for next.
 *
 * How many: a consumer asks for one item at a time until it shows that it
 * is quick: it used its last items in under {@link QUICK_MS} each (from the
 * answer's arrival to its next get). Then each get asks for twice as many as
 * the one before, up to MAX_AHEAD; a stretch a little slower (up to ten times
 * that: a pause, a busy machine) halves it, a slower one brings it back to
 * one. So a consumer that works on an item for a while (every lesson's
 * tasks but the lightest) never holds items another consumer could take; a
 * job loop of quick items costs one round trip per batch instead of one per
 * item.
 *
 * Topping up: once half of what it asked for is used, a quick consumer asks
 * for more in the background (a `lend`, which never waits in the owner), so
 * that its code does not wait for the round trip either. A top-up that
 * brings nothing stops them until a get brings items again.
 */
import { MAX_AHEAD } from "../primitives/queue-lending";

/** A consumer that used its items in less than this (ms each) gets more at once. */
export const QUICK_MS = 0.1;

/** The items lent to this worker from one queue. */
export class AheadBuffer {
  readonly #items: unknown[] = [];
  /** Items taken by the worker's code since it last told the owner. */
  #used = 0;
  #ask = 1;
  /** When the last answer came (-1: not measuring), and the items used since. */
  #since = -1;
  #usedSince = 0;
  /** A top-up on its way (settles when its items are here), and whether the last one brought none. */
  #refill: Promise<void> | undefined;
  #dry = false;

  /** Items waiting here. */
  get size(): number {
    return this.#items.length;
  }

  /** The next lent item, for the worker's code (only when {@link AheadBuffer.size} > 0). */
  take(): unknown {
    this.#used++;
    this.#usedSince++;
    return this.#items.shift();
  }

  /** How many items the next get asks for (1: a plain get). */
  ask(): number {
    this.#measure();
    return this.#ask;
  }

  /** Doubles the next ask if the items since the last answer were used quickly, halves it if a little slower, else goes back to one. */
  #measure(): void {
    if (this.#since >= 0 && this.#usedSince > 0) {
      const perItem = (performance.now() - this.#since) / this.#usedSince;
      if (perItem < QUICK_MS) this.#ask = Math.min(MAX_AHEAD, this.#ask * 2);
      else this.#ask = perItem < 10 * QUICK_MS ? Math.max(1, this.#ask >> 1) : 1;
    }
    this.#since = -1;
  }

  /** The top-up on its way, if any (a get that finds nothing here waits for it, to keep the order). */
  get refill(): Promise<void> | undefined {
    return this.#refill;
  }

  /**
   * After the code took an item: how many to ask for in a top-up now, or 0
   * (one is on its way, the last brought none, more than half of the last
   * ask is still here, or the consumer is not quick).
   */
  wantsTopUp(): number {
    if (this.#refill || this.#dry || this.#ask < 2 || this.#items.length > this.#ask / 2) return 0;
    this.#measure();
    return this.#ask < 2 ? 0 : this.#ask;
  }

  /** A top-up was sent: its answer (lent items, maybe none) lands here. A failed one counts as none. */
  toppingUp(answer: Promise<unknown>): void {
    this.#refill = answer.then(
      (value) => {
        const items = Array.isArray(value) ? value : [];
        for (const item of items) this.#items.push(item);
        this.#dry = items.length === 0;
        this.#since = performance.now();
        this.#usedSince = 0;
      },
      () => void (this.#dry = true),
    ).finally(() => (this.#refill = undefined));
  }

  /**
   * A get's answer: one item, or (when it asked for more) an array of the
   * item and those lent. @returns the get's item; the others wait here.
   */
  received(value: unknown, asked: number): unknown {
    const items = asked > 1 && Array.isArray(value) && value.length > 0 ? value : [value];
    for (let i = 1; i < items.length; i++) this.#items.push(items[i]);
    this.#dry = false;
    this.#since = performance.now();
    this.#usedSince = 1;
    return items[0];
  }

  /** How many lent items the code took since the last call (the owner is told with the next request). */
  report(): number {
    const used = this.#used;
    this.#used = 0;
    return used;
  }

  /** True when the owner should hear of this buffer before the worker's work ends: items used unreported, or waiting here. */
  get owes(): boolean {
    return this.#used > 0 || this.#items.length > 0;
  }

  /** Empties the buffer (its items are given back; call after taking the {@link AheadBuffer.report}) and starts asking for one again. */
  clear(): void {
    this.#items.length = 0;
    this.#ask = 1;
    this.#since = -1;
  }
}
