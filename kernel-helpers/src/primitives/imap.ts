/**
 * The stream behind `Pool.imap` and `Pool.imapUnordered`: it reads the input
 * a chunk at a time, sends each chunk as one job, and hands the results to a
 * `for await` loop, in input order (`imap`) or as they arrive
 * (`imapUnordered`).
 *
 * Backpressure: at most `lookAhead` chunks are read and not yet handed out
 * (waiting, running, or finished and waiting for the loop); the input is read
 * further only as the loop takes results. Python's `imap` reads its whole
 * input at once, which an endless generator cannot survive.
 *
 * Errors keep their place: a chunk that failed, or an input that threw while
 * being read, rejects the loop where its items would have come. Leaving the
 * loop early (`break`, `return`, an exception) drops the chunks still queued
 * (those running finish, and their results are dropped); the signal's abort
 * also stops the running ones.
 */
import { TaskCancelledError } from "./errors";

/** One chunk read and sent: its results once answered. */
interface Entry {
  settled: boolean;
  results?: unknown[];
  failed?: boolean;
  error?: unknown;
}

/** What a stream needs from its pool. */
export interface StreamSettings {
  items: Iterable<unknown> | AsyncIterable<unknown>;
  task: string;
  ordered: boolean;
  chunkSize: number;
  lookAhead: number;
  /** The input's size, when known before reading it. */
  total: number | undefined;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number | undefined) => void;
  /**
   * Sends one chunk (`items`, the first at input position `start`); resolves
   * with its results. Throws for an item that cannot travel.
   */
  send(items: unknown[], start: number): Promise<unknown[]>;
  /** Drops the stream's queued chunks, and stops its running ones when `running`. */
  cancel(error: (task: string) => Error, running: boolean): void;
  /** Called once the stream will read and send nothing more. */
  finishedReading(): void;
}

/** The number of items in `items` when it can be known without reading it (arrays, typed arrays, strings, Sets, Maps). */
export function knownSize(items: unknown): number | undefined {
  if (Array.isArray(items) || typeof items === "string") return items.length;
  if (ArrayBuffer.isView(items) && "length" in items) return (items as unknown as { length: number }).length;
  if (items instanceof Set || items instanceof Map) return items.size;
  return undefined;
}

/** A stream of results; see the module's description. */
export class ResultStream {
  readonly #settings: StreamSettings;
  readonly #input: Iterator<unknown> | AsyncIterator<unknown>;
  readonly #entries: Entry[] = [];
  #inputDone = false;
  #reading = false;
  #stopped = false;
  #unbounded = false;
  /** An error that ends the stream at once (the signal's abort, a throwing onProgress). */
  #fatal: { error: unknown } | undefined;
  #read = 0;
  #done = 0;
  #wake: (() => void) | undefined;
  readonly #onAbort = (): void => this.#abort(this.#settings.signal?.reason);

  /** Starts reading and sending at once, as Python's imap does. */
  constructor(settings: StreamSettings) {
    this.#settings = settings;
    const items = settings.items;
    this.#input = Symbol.asyncIterator in Object(items) ? (items as AsyncIterable<unknown>)[Symbol.asyncIterator]() : (items as Iterable<unknown>)[Symbol.iterator]();
    if (settings.signal?.aborted) {
      this.#abort(settings.signal.reason);
      return;
    }
    settings.signal?.addEventListener("abort", this.#onAbort, { once: true });
    void this.#pump();
  }

  /** The results, for `for await`. */
  async *results(): AsyncGenerator<unknown, void, undefined> {
    let completed = false;
    try {
      for (let entry = await this.#take(); entry; entry = await this.#take()) {
        if (entry.failed) throw entry.error;
        yield* entry.results!;
      }
      completed = true;
    } finally {
      if (!completed) this.#halt(() => undefined, false);
      // a signal shared by many calls must not keep a listener (and this stream) per finished loop
      else this.#settings.signal?.removeEventListener("abort", this.#onAbort);
    }
  }

  /** Lifts the look-ahead bound: read and send the rest of the input (the pool's join() waits for it, as Python's does). */
  drain(): void {
    this.#unbounded = true;
    void this.#pump();
  }

  /** The pool was terminated: stop reading; its jobs are rejected by the pool. */
  terminate(): void {
    this.#fatal ??= { error: new TaskCancelledError(this.#settings.task) };
    this.#halt(() => undefined, false);
  }

  async #pump(): Promise<void> {
    if (this.#reading) return;
    this.#reading = true;
    const { chunkSize, lookAhead } = this.#settings;
    let ended = false;
    try {
      while (!this.#inputDone && !this.#stopped && (this.#unbounded || this.#entries.length < lookAhead)) {
        const items: unknown[] = [];
        while (items.length < chunkSize) {
          const step = await this.#input.next();
          if (step.done) {
            this.#inputDone = ended = true;
            break;
          }
          items.push(step.value);
        }
        if (this.#stopped) break;
        if (items.length > 0) this.#send(items);
      }
    } catch (error) {
      // the input threw while being read: its place is after what was read
      this.#entries.push({ settled: true, failed: true, error });
      this.#inputDone = true;
    } finally {
      this.#reading = false;
      // every chunk may have been answered before the end of an input of unknown size was seen: say the total now
      if (ended && this.#settings.total === undefined && this.#read > 0 && this.#done === this.#read) this.#progress();
      if (this.#inputDone || this.#stopped) this.#settings.finishedReading();
      this.#notify();
    }
  }

  #send(items: unknown[]): void {
    const start = this.#read;
    this.#read += items.length;
    const entry: Entry = { settled: false };
    this.#entries.push(entry);
    let answer: Promise<unknown[]>;
    try {
      answer = this.#settings.send(items, start);
    } catch (error) {
      // an item that cannot travel: the stream ends there
      Object.assign(entry, { settled: true, failed: true, error });
      this.#closeInput();
      return;
    }
    answer.then(
      (results) => {
        Object.assign(entry, { settled: true, results });
        this.#done += items.length;
        this.#progress();
      },
      (error: unknown) => Object.assign(entry, { settled: true, failed: true, error }),
    ).finally(() => this.#notify());
  }

  #progress(): void {
    const { onProgress, total } = this.#settings;
    if (!onProgress || this.#stopped) return;
    try {
      onProgress(this.#done, total ?? (this.#inputDone && !this.#reading ? this.#read : undefined));
    } catch (error) {
      this.#fatal ??= { error };
      this.#halt(() => undefined, false);
    }
  }

  /** The next entry to hand out, waiting for it; undefined at the end. */
  async #take(): Promise<Entry | undefined> {
    for (;;) {
      if (this.#fatal) throw this.#fatal.error;
      const index = this.#settings.ordered ? (this.#entries[0]?.settled ? 0 : -1) : this.#entries.findIndex((e) => e.settled);
      if (index >= 0) {
        const [entry] = this.#entries.splice(index, 1);
        void this.#pump();
        return entry;
      }
      if (this.#entries.length === 0 && (this.#inputDone || this.#stopped) && !this.#reading) return undefined;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  /** Tells a generator given as input that no more items will be read (its `finally` blocks run). */
  #closeInput(): void {
    if (this.#inputDone) return;
    this.#inputDone = true;
    try {
      void Promise.resolve(this.#input.return?.()).catch(() => undefined);
    } catch {
      // a generator's return() that throws: the stream has ended anyway
    }
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #abort(reason: unknown): void {
    this.#fatal ??= { error: new TaskCancelledError(this.#settings.task, reason, true) };
    this.#halt((task) => new TaskCancelledError(task, reason, true), true);
  }

  /** Stops reading, closes the input, drops the queued chunks (and the running ones when `running`). */
  #halt(error: (task: string) => Error | undefined, running: boolean): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#settings.signal?.removeEventListener("abort", this.#onAbort);
    this.#settings.cancel((task) => error(task) ?? new TaskCancelledError(task), running);
    // the dropped chunks' rejections are expected: nobody reads them now
    for (const entry of this.#entries) entry.settled = true;
    this.#entries.length = 0;
    this.#closeInput();
    if (!this.#reading) this.#settings.finishedReading();
    this.#notify();
  }
}
