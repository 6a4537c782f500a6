/**
 * `AsyncResult`: the handle {@link Pool.applyAsync} returns, like Python's
 * `multiprocessing.pool.AsyncResult`.
 */
import { PoolStateError, TimeoutError } from "./errors";
import { checkInteger } from "./validate";

/**
 * The pending result of {@link Pool.applyAsync}, like Python's `AsyncResult`.
 * The task starts as soon as a worker is free; `get()` waits for it.
 */
export class AsyncResult<T> {
  #settled = false;
  #ok = false;
  readonly #promise: Promise<T>;

  /** @internal */
  constructor(promise: Promise<T>) {
    this.#promise = promise;
    // Mark the outcome, and keep an unread failure from becoming an
    // unhandled rejection: the error is reported when get() is called.
    promise.then(
      () => ((this.#settled = true), (this.#ok = true)),
      () => (this.#settled = true),
    );
  }

  /**
   * Waits for the task and returns its result, or rejects with its error
   * ({@link TaskError}, {@link WorkerCrashedError}, {@link TaskCancelledError}).
   *
   * @param timeoutMs - reject with {@link TimeoutError} after this long (the task keeps running).
   */
  async get(timeoutMs?: number): Promise<T> {
    if (timeoutMs === undefined) return this.#promise;
    checkInteger("`timeoutMs`", timeoutMs, { min: 0, max: 2 ** 31 - 1 });
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new TimeoutError(`The task did not finish within ${timeoutMs} ms (it is still running).`)),
        timeoutMs,
      );
      this.#promise.then(resolve, reject).finally(() => clearTimeout(timer));
    });
  }

  /** Waits until the task has finished, successfully or not; never rejects. */
  async wait(): Promise<void> {
    await this.#promise.catch(() => undefined);
  }

  /** True once the task has finished (successfully or not). */
  ready(): boolean {
    return this.#settled;
  }

  /**
   * True if the task finished without error.
   * @throws PoolStateError if the task has not finished yet (as Python raises ValueError).
   */
  successful(): boolean {
    if (!this.#settled) throw new PoolStateError("The task has not finished yet: check ready() or await wait() first.");
    return this.#ok;
  }
}
