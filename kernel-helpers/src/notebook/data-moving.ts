/**
 * What it costs to move data to a worker: a structured clone (copy), a
 * transfer (the memory changes owner), a SharedArrayBuffer (nothing moves:
 * both sides see the same memory), and a child process's pipe (a copy in
 * v8's format), measured over array sizes, in ms per MiB. Plus the figure
 * and the small array helpers of notebook 00's "Moving data" section (the
 * break-even of shipping against work is in break-even.ts).
 */
import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { registerResource, unregisterResource, type Terminable } from "../primitives/cleanup";
import { InvalidOptionError } from "../primitives/errors";
import type { Figure } from "../measuring/plot";
import type { Pool } from "../primitives/pool";
import { progress, type Progress } from "../measuring/progress";
import { summarize } from "../measuring/stats";
import { checkInteger } from "../primitives/validate";

const MiB = 1024 * 1024;

/** One way of moving data at one message size, timed. */
export interface MoveTiming {
  /** How the data moved, e.g. "thread: transfer". */
  method: string;
  /** Bytes of the array. */
  bytes: number;
  /** Timed runs. */
  runs: number;
  /** Median time for the array to reach the worker and come back. */
  medianMs: number;
  minMs: number;
  maxMs: number;
  /**
   * `medianMs` per MiB of the array (there and back). For a copy it settles
   * to a constant as arrays grow (time grows with the bytes); for a transfer
   * or a shared buffer it falls as 1/size (the time stays about the same
   * whatever the size).
   */
  msPerMiB: number;
}

/** Options of {@link measureRawMoves} and {@link measurePoolMoves}. */
export interface MoveOptions {
  /** Array sizes in bytes, multiples of 8 (see {@link moveSizes}). */
  sizes: readonly number[];
  /** Timed runs per size and method. Default 5. */
  repeats?: number;
  /** Untimed runs first, per size and method. Default 1. */
  warmup?: number;
}

/** The ways {@link measureRawMoves} measures, with Node's own APIs and nothing of kernel-helpers. */
export const RAW_MOVES = {
  "thread-copy": "thread: structured clone (copy)",
  "thread-transfer": "thread: transfer",
  "thread-shared": "thread: SharedArrayBuffer",
  "process-pipe": "child process: copy through the pipe",
} as const;
/** A key of {@link RAW_MOVES}. */
export type RawMove = keyof typeof RAW_MOVES;

/** How to send an array there and back. */
interface Mover {
  method: string;
  /** Make the array (before the timed runs). */
  prepare: (bytes: number) => Float64Array;
  /**
   * Send the array to the worker; resolves with the array that came back. A
   * mover that transfers gets the same memory back and sends that next time
   * (the array it sent is detached), so no run allocates a new array.
   */
  send: (data: Float64Array) => Promise<Float64Array>;
  transfers: boolean;
}

/** One raw echo worker (byte-echo.ts): a worker thread, or a child forked with v8's serialization. */
class Echo implements Terminable {
  #pending: { resolve: (data: Float64Array) => void; reject: (error: Error) => void } | undefined;
  readonly #post: (data: Float64Array, transfer: boolean) => void;
  readonly #stop: () => Promise<unknown>;

  constructor(kind: "thread" | "process") {
    const script = path.join(__dirname, "..", "transport", "workers", "byte-echo.js");
    const answer = (data: unknown): void => (this.#pending?.resolve(data as Float64Array), (this.#pending = undefined));
    const died = (code: unknown): void => (this.#pending?.reject(new Error(`the echo ${kind} exited (${String(code)})`)), (this.#pending = undefined));
    if (kind === "thread") {
      const worker = new Worker(script);
      worker.on("message", answer).on("exit", died).on("error", died);
      this.#post = (data, transfer) => worker.postMessage({ data, transfer }, transfer ? [data.buffer as ArrayBuffer] : []);
      this.#stop = () => worker.terminate();
    } else {
      const child: ChildProcess = fork(script, [], { serialization: "advanced", stdio: ["ignore", "inherit", "inherit", "ipc"] });
      child.on("message", answer).on("exit", died);
      this.#post = (data) => child.send({ data });
      this.#stop = () => new Promise((done) => (child.exitCode !== null ? done(null) : (child.once("exit", done), child.kill())));
    }
    registerResource(this);
  }

  /** Sends `data` (transferring it when asked) and resolves with what the worker sent back. */
  send(data: Float64Array, transfer = false): Promise<Float64Array> {
    return new Promise((resolve, reject) => {
      this.#pending = { resolve, reject };
      this.#post(data, transfer);
    });
  }

  async terminate(): Promise<void> {
    await this.#stop();
    unregisterResource(this);
  }
}

/**
 * Sends arrays of each size to a worker thread or a child process and back,
 * with Node's own APIs: `postMessage` (a structured clone), its transfer
 * list, a SharedArrayBuffer, and `child_process.fork` with `serialization:
 * "advanced"` (a copy through the pipe in v8's format). The worker returns
 * each array as it came (transferred back when it came transferred); each
 * run is timed until the array is back. Arrays are made before the timer
 * starts and reused, so no run pays for a new allocation.
 *
 * @param options - sizes, repeats and warm-up runs; `methods`: which of {@link RAW_MOVES} (default all).
 * @returns one row per size and method.
 * @example const rows = await measureRawMoves({ sizes: moveSizes(64 * 1024 * 1024) });
 */
export async function measureRawMoves(options: MoveOptions & { methods?: readonly RawMove[] }): Promise<MoveTiming[]> {
  const checked = checkMoveOptions(options);
  const methods = options.methods ?? (Object.keys(RAW_MOVES) as RawMove[]);
  const thread = methods.some((m) => m.startsWith("thread")) ? new Echo("thread") : undefined;
  const child = methods.includes("process-pipe") ? new Echo("process") : undefined;
  const plain = (bytes: number): Float64Array => makeFloat64Array(bytes);
  const movers: Record<RawMove, Mover> = {
    "thread-copy": { method: RAW_MOVES["thread-copy"], prepare: plain, send: (d) => thread!.send(d), transfers: false },
    "thread-transfer": { method: RAW_MOVES["thread-transfer"], prepare: plain, send: (d) => thread!.send(d, true), transfers: true },
    "thread-shared": { method: RAW_MOVES["thread-shared"], prepare: (b) => makeFloat64Array(b, { shared: true }), send: (d) => thread!.send(d), transfers: false },
    "process-pipe": { method: RAW_MOVES["process-pipe"], prepare: plain, send: (d) => child!.send(d), transfers: false },
  };
  try {
    return await timeMovers(methods.map((m) => movers[m]), checked, "moving data with Node's own APIs");
  } finally {
    await Promise.all([thread?.terminate(), child?.terminate()]);
  }
}

/**
 * The same measurement through a kernel-helpers {@link Pool}: a task that
 * returns its array, copied both ways, or moved both ways with the Pool's
 * `transfer` option.
 *
 * @param pool - a running pool (one worker is enough).
 * @param options - sizes, repeats, warm-up; `transfer: true` to move instead of copy.
 * @example await measurePoolMoves(new Pool({ workers: 1 }), { sizes: moveSizes(4 * 1024 * 1024), transfer: true })
 */
export async function measurePoolMoves(pool: Pool, options: MoveOptions & { transfer?: boolean }): Promise<MoveTiming[]> {
  const checked = checkMoveOptions(options);
  const transfer = options.transfer === true;
  const method = `Pool, ${pool.backend === "thread" ? "threads" : "processes"}: ${transfer ? "transfer" : "copy"}`;
  const same = (array: Float64Array): Float64Array => array;
  const mover: Mover = {
    method,
    prepare: (bytes) => makeFloat64Array(bytes),
    send: (data) => pool.applyAsync(same, [data], { transfer }).get(),
    transfers: transfer,
  };
  return timeMovers([mover], checked, method);
}

/** The options with their defaults, checked before any worker starts. */
function checkMoveOptions(options: MoveOptions): Required<MoveOptions> {
  if (!Array.isArray(options.sizes) || options.sizes.length === 0) throw new InvalidOptionError("`sizes`", "Expected `sizes` to be a non-empty array of byte counts.");
  for (const bytes of options.sizes) {
    checkInteger("`sizes`", bytes, { min: 8, max: 2 ** 31 });
    if (bytes % 8 !== 0) throw new InvalidOptionError("`sizes`", `Expected every size to be a multiple of 8 (whole Float64 elements), got ${bytes}.`);
  }
  return {
    sizes: options.sizes,
    repeats: checkInteger("`repeats`", options.repeats ?? 5, { min: 1, max: 10_000 }),
    warmup: checkInteger("`warmup`", options.warmup ?? 1, { min: 0, max: 10_000 }),
  };
}

async function timeMovers(movers: Mover[], options: Required<MoveOptions>, label: string): Promise<MoveTiming[]> {
  const { repeats, warmup } = options;
  const bar = progress(label, options.sizes.length * movers.length * (repeats + warmup));
  // the count includes the warm-up runs, as measure()'s does: say so
  bar.note(`per size and way: ${warmup > 0 ? `${warmup} warm-up + ` : ""}${repeats} timed`);
  const rows: MoveTiming[] = [];
  try {
    for (const bytes of options.sizes) {
      for (const mover of movers) rows.push(await timeOne(mover, bytes, repeats, warmup, bar));
    }
  } finally {
    bar.done();
  }
  return rows;
}

async function timeOne(mover: Mover, bytes: number, repeats: number, warmup: number, bar: Progress): Promise<MoveTiming> {
  let data = mover.prepare(bytes);
  const samples: number[] = [];
  for (let run = 0; run < warmup + repeats; run++) {
    const start = performance.now();
    const back = await mover.send(data);
    const elapsed = performance.now() - start;
    if (back.byteLength !== bytes) throw new Error(`${mover.method}: sent ${bytes} bytes, ${back.byteLength} came back`);
    if (mover.transfers) data = back;
    if (run >= warmup) samples.push(elapsed);
    bar.tick();
  }
  const s = summarize(samples);
  return { method: mover.method, bytes, runs: s.runs, medianMs: s.medianMs, minMs: s.minMs, maxMs: s.maxMs, msPerMiB: s.medianMs / (bytes / MiB) };
}

/**
 * Message sizes from 1 KiB up to `maxBytes`, each 16 times the last, and
 * `maxBytes` itself: `moveSizes(64 MiB)` is 1 KiB, 16 KiB, 256 KiB, 4 MiB, 64 MiB.
 * @param maxBytes - the largest size, at least 1 KiB and a multiple of 8.
 */
export function moveSizes(maxBytes: number): number[] {
  checkInteger("`maxBytes`", maxBytes, { min: 1024, max: 2 ** 31 });
  if (maxBytes % 8 !== 0) throw new InvalidOptionError("`maxBytes`", `Expected \`maxBytes\` to be a multiple of 8 (whole Float64 elements), got ${maxBytes}.`);
  const sizes: number[] = [];
  for (let bytes = 1024; bytes < maxBytes; bytes *= 16) sizes.push(bytes);
  sizes.push(maxBytes);
  return sizes;
}

/** "512 B", "1 KiB", "64 MiB", "1.5 GiB": a byte count in binary units. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) (value /= 1024), unit++;
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}

/**
 * A Float64Array of `bytes / 8` elements holding 0, 1, ..., 1023, 0, 1, ...
 * (small whole numbers, so sums are exact), in ordinary memory or, with
 * `shared: true`, in a SharedArrayBuffer.
 * @example makeFloat64Array(1024).length // 128
 */
export function makeFloat64Array(bytes: number, options: { shared?: boolean } = {}): Float64Array {
  checkInteger("`bytes`", bytes, { min: 0, max: 2 ** 33 });
  if (bytes % 8 !== 0) throw new InvalidOptionError("`bytes`", `Expected \`bytes\` to be a multiple of 8, got ${bytes}.`);
  const array = new Float64Array(options.shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  for (let i = 0; i < array.length; i++) array[i] = i % 1024;
  return array;
}

/**
 * Cuts `array` into `parts` arrays of their own (copies, made with
 * `slice`), of lengths differing by at most one. Not `subarray`: a view
 * sent to a worker thread carries its whole buffer with it.
 * @example splitIntoSlices(Float64Array.of(1, 2, 3, 4, 5), 2) // [1, 2, 3], [4, 5]
 */
export function splitIntoSlices(array: Float64Array, parts: number): Float64Array[] {
  checkInteger("`parts`", parts, { min: 1, max: 1_000_000 });
  const slices: Float64Array[] = [];
  for (let p = 0, start = 0; p < parts; p++) {
    const end = start + Math.floor(array.length / parts) + (p < array.length % parts ? 1 : 0);
    slices.push(array.slice(start, end));
    start = end;
  }
  return slices;
}

/**
 * ms per MiB (there and back) against array size, one line per method, both axes
 * logarithmic: the sizes span orders of magnitude, a copy then shows as a
 * flat line (a cost per byte) and a move of fixed cost as a line falling
 * with slope -1.
 */
export function movesFigure(rows: readonly MoveTiming[], options: { title: string }): Figure {
  const methods = [...new Set(rows.map((r) => r.method))];
  const sizes = [...new Set(rows.map((r) => r.bytes))].sort((a, b) => a - b);
  return {
    data: methods.map((method) => {
      const mine = rows.filter((r) => r.method === method);
      return {
        type: "scatter",
        mode: "lines+markers",
        name: method,
        x: mine.map((r) => r.bytes),
        y: mine.map((r) => r.msPerMiB),
        hovertemplate: `${method}<br>%{text}: %{y:.3g} ms per MiB<extra></extra>`,
        text: mine.map((r) => `${formatBytes(r.bytes)} in ${r.medianMs.toPrecision(3)} ms`),
      };
    }),
    layout: {
      title: { text: `${options.title}<br><sub>median of each size; log-log: sizes span orders of magnitude</sub>` },
      xaxis: { title: { text: "array size (log scale)" }, type: "log", tickvals: sizes, ticktext: sizes.map(formatBytes) },
      yaxis: { title: { text: "ms per MiB, there and back (log scale; lower is better)" }, type: "log" },
      height: 460,
      legend: { orientation: "h", y: -0.25 },
    },
  };
}
