/**
 * The event loop, measured: how late a timer fires and how long a client of
 * a local HTTP server waits while JavaScript keeps the main thread busy, and
 * what running things "at the same time" with promises really does.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Worker } from "node:worker_threads";
import { registerResource, unregisterResource, type Terminable } from "../primitives/cleanup";
import { checkInteger } from "../primitives/validate";

/** What {@link lateTimer} measured. */
export interface TimerDelay {
  /** The delay asked for. */
  expectedMs: number;
  /** The time until the callback really ran. */
  actualMs: number;
  /** `actualMs - expectedMs`: how long the callback waited for the event loop. */
  lateMs: number;
}

/**
 * Starts a timer due in `delayMs` and resolves, when its callback runs,
 * with how long that really took. Start it, keep the thread busy, then await
 * it: the lateness is the time the event loop could not run callbacks.
 *
 * @example const timer = lateTimer(10); leibnizPi(1e8); const { lateMs } = await timer;
 */
export function lateTimer(delayMs: number): Promise<TimerDelay> {
  checkInteger("`delayMs`", delayMs, { min: 0, max: 2 ** 31 - 1 });
  const start = performance.now();
  return new Promise((resolve) =>
    setTimeout(() => {
      const actualMs = performance.now() - start;
      resolve({ expectedMs: delayMs, actualMs, lateMs: actualMs - delayMs });
    }, delayMs),
  );
}

/** The client of {@link LocalServer}: a worker thread, whose own event loop keeps running (and timing) while the main thread is busy. */
const CLIENT_SOURCE = `
const { parentPort } = require("node:worker_threads");
const http = require("node:http");
parentPort.on("message", ({ id, url }) => {
  const start = performance.now();
  http.get(url, { agent: false }, (response) => {
    response.resume();
    response.on("end", () => parentPort.postMessage({ id, ms: performance.now() - start }));
  }).on("error", (error) => parentPort.postMessage({ id, error: error.message }));
});`;

/**
 * An HTTP server on 127.0.0.1 (a port the OS picks) that answers every
 * request with "ok", served by this thread's event loop, and a client in a
 * worker thread that times requests to it. While this thread runs
 * JavaScript, the server cannot answer: the client's clock shows for how
 * long. Close it with {@link LocalServer.close} (`terminateAll()` closes it too).
 *
 * @example const server = await LocalServer.start(); const ms = await server.request(); await server.close();
 */
export class LocalServer implements Terminable {
  /** The address to request, e.g. `http://127.0.0.1:40123/`. */
  readonly url: string;
  /** Requests answered so far. */
  answered = 0;
  readonly #server: http.Server;
  readonly #client: Worker;
  readonly #waiting = new Map<number, { resolve: (ms: number) => void; reject: (error: Error) => void }>();
  #nextId = 0;

  private constructor(server: http.Server, url: string) {
    this.#server = server;
    this.url = url;
    this.#client = new Worker(CLIENT_SOURCE, { eval: true });
    this.#client.on("message", (reply: { id: number; ms?: number; error?: string }) => {
      const waiting = this.#waiting.get(reply.id);
      this.#waiting.delete(reply.id);
      if (reply.error !== undefined) waiting?.reject(new Error(`request to ${this.url} failed: ${reply.error}`));
      else waiting?.resolve(reply.ms!);
    });
    registerResource(this);
  }

  /** Starts the server and its client; resolves once the server listens. */
  static async start(): Promise<LocalServer> {
    const server = http.createServer((_request, response) => response.end("ok"));
    await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const local = new LocalServer(server, `http://127.0.0.1:${port}/`);
    local.#server.on("request", () => local.answered++);
    return local;
  }

  /**
   * Sends one GET from the client thread right away and resolves with the
   * milliseconds until the whole answer arrived, as the client measured them
   * (its clock runs while this thread is busy).
   */
  request(): Promise<number> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.#client.postMessage({ id, url: this.url });
    });
  }

  /** Stops the client and the server (open connections included). */
  async close(): Promise<void> {
    for (const { reject } of this.#waiting.values()) reject(new Error("the local server was closed"));
    this.#waiting.clear();
    await this.#client.terminate();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    unregisterResource(this);
  }

  /** Same as {@link LocalServer.close} (what `terminateAll()` calls). */
  terminate(): Promise<void> {
    return this.#server.listening ? this.close() : Promise.resolve();
  }
}

/**
 * A timer or request "waited for" busy code when it was served only once at
 * least this share of the busy code's time had passed (it started just
 * before the busy code, so it could not be served before the code ended).
 */
export const WAITED_SHARE = 0.8;

/**
 * One sentence on a stall: did the timer and the request wait for the busy
 * code? Each counts as having waited when it was served only after
 * {@link WAITED_SHARE} of the busy time; a timer due later than that cannot
 * tell, and the sentence says so.
 *
 * @param timer - from {@link lateTimer}, started just before the busy code.
 * @param requestMs - from {@link LocalServer.request}, sent just before the busy code.
 * @param busyMs - how long the busy code ran.
 * @param where - where it ran, e.g. "in the main thread".
 * @example describeStall({ expectedMs: 10, actualMs: 151, lateMs: 141 }, 150, 149, "in the main thread")
 */
export function describeStall(timer: TimerDelay, requestMs: number, busyMs: number, where: string): string {
  const waited = (ms: number): boolean => ms >= WAITED_SHARE * busyMs;
  const timerCanTell = timer.expectedMs < WAITED_SHARE * busyMs;
  const [timerWaited, requestWaited] = [timerCanTell && waited(timer.actualMs), waited(requestMs)];
  let verdict: string;
  if (!timerCanTell) verdict = `the request ${requestWaited ? "waited" : "did not wait"} for it (the timer was due too late to tell)`;
  else if (timerWaited && requestWaited) verdict = "both waited for it";
  else if (!timerWaited && !requestWaited) verdict = "neither waited for it";
  else verdict = timerWaited ? "the timer waited for it, the request did not" : "the request waited for it, the timer did not";
  return (
    `Busy code ${where} for ${busyMs.toFixed(1)} ms: the timer due after ${timer.expectedMs} ms fired after ` +
    `${timer.actualMs.toFixed(1)} ms, and the request was answered after ${requestMs.toFixed(1)} ms: ${verdict}.`
  );
}

/** Within this share of the extremes, {@link describeOverlap} reads "one after the other" or "side by side". */
export const OVERLAP_MARGIN = 0.1;

/**
 * Did `count` jobs started together overlap in time? From the time of one
 * alone and of all together: `count × oneMs / togetherMs` jobs ran at once on
 * average. Near 1 they took turns (the sum of their times); near the limit,
 * `min(count, maxAtOnce)`, they ran as many at once as can run here (all of
 * them side by side when the limit is `count`); in between they partly
 * overlapped, and the sentence names the limit they fell short of. More at
 * once than the limit (the workers or cores that exist) cannot be: a little
 * more is called noise, much more a sign that one alone was timed slow.
 *
 * @param maxAtOnce - how many of the jobs can run at the same time here. Default `count`.
 * @example describeOverlap(100, 198, 2) // "2 together took 1.98× one alone: they ran one after the other (the sum of their times)."
 * @example describeOverlap(10, 20.5, 4, 2) // "4 together took 2.05× one alone: they ran 1.95 at a time on average, as many at once as can run here (2)."
 */
export function describeOverlap(oneMs: number, togetherMs: number, count: number, maxAtOnce = count): string {
  const ratio = togetherMs / oneMs;
  const atOnce = (count * oneMs) / togetherMs;
  const limit = Math.min(count, maxAtOnce);
  const how =
    atOnce > limit * (1 + OVERLAP_MARGIN)
      ? `${atOnce.toFixed(2)} at a time on average by these times, more than the ${limit} that can run at once here: ` +
        "one alone was timed slower than these ran (a cold first run, or noise; see the machine check)"
      : atOnce < 1 - OVERLAP_MARGIN
        ? "they ran one after the other, and more slowly than alone"
        : atOnce <= 1 + OVERLAP_MARGIN
          ? "they ran one after the other (the sum of their times)"
          : atOnce >= limit * (1 - OVERLAP_MARGIN)
            ? limit === count
              ? "they ran side by side (the time of one)"
              : atOnce > limit
                ? `they ran as many at once as can run here (${limit}; the times give ${atOnce.toFixed(2)}, a little more than can be: noise)`
                : `they ran ${atOnce.toFixed(2)} at a time on average, as many at once as can run here (${limit})`
            : `they partly overlapped (${atOnce.toFixed(2)} at a time on average, where ${limit} can run at once here)`;
  return `${count} together took ${ratio.toFixed(2)}× one alone: ${how}.`;
}
