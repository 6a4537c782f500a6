/**
 * One abort listener per signal, however many tasks it cancels. Passing the
 * same `AbortSignal` to thousands of `applyAsync` calls would otherwise add
 * thousands of listeners to it (Node warns about a likely leak past ten), and
 * each would stay until its task settled.
 */

interface Watched {
  listener: () => void;
  callbacks: Set<(reason: unknown) => void>;
}

/** The signals a pool's tasks are waiting on. */
export class SignalWatch {
  readonly #watched = new Map<AbortSignal, Watched>();

  /**
   * Calls `onAbort(signal.reason)` when `signal` aborts, once.
   * @returns a function that stops watching (call it when the task settles).
   */
  watch(signal: AbortSignal, onAbort: (reason: unknown) => void): () => void {
    let watched = this.#watched.get(signal);
    if (!watched) {
      const callbacks = new Set<(reason: unknown) => void>();
      const listener = (): void => {
        this.#watched.delete(signal);
        for (const callback of callbacks) callback(signal.reason);
      };
      watched = { listener, callbacks };
      this.#watched.set(signal, watched);
      signal.addEventListener("abort", listener, { once: true });
    }
    const entry = watched;
    entry.callbacks.add(onAbort);
    return () => {
      entry.callbacks.delete(onAbort);
      if (entry.callbacks.size === 0 && this.#watched.get(signal) === entry) {
        this.#watched.delete(signal);
        signal.removeEventListener("abort", entry.listener);
      }
    };
  }

  /** Stops watching every signal (the pool has stopped). */
  clear(): void {
    for (const [signal, { listener }] of this.#watched) signal.removeEventListener("abort", listener);
    this.#watched.clear();
  }
}
