/**
 * Helpers shared by the Pool vocabulary tests (pool-vocabulary*.test.ts,
 * cpython-pool*.test.ts): a pool that is always terminated, waiting for a
 * state without a time limit of its own (the test's timeout is the hang
 * guard), and inline tasks that tell the test they have started.
 *
 * The inline tasks travel as source text, so they are self-contained: they
 * reach `fs` through `process.mainModule.require`, which exists in both a
 * worker thread and a child process.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Pool, type Backend, type PoolOptions } from "kernel-helpers";

export const backends: Backend[] = ["thread", "process"];

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `body` with a new pool, terminated afterwards whatever happens. */
export async function withTestPool<T>(options: PoolOptions, body: (pool: Pool) => Promise<T>): Promise<T> {
  const pool = new Pool(options);
  try {
    return await body(pool);
  } finally {
    await pool.terminate();
  }
}

/** Resolves once `condition()` holds, checking every few milliseconds. */
export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await sleep(5);
}

/** Every result of a `for await` stream, in the order they came. */
export async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of stream) out.push(value);
  return out;
}

/** True while a process with this pid exists. */
export function isAlive(pid: number): boolean {
  // 0 and negative numbers name process groups, which are always "alive"
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`isAlive needs a process id, got ${pid}`);
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Paths for "this task has started" marker files, in one temporary folder removed by `dispose()`. */
export class Markers {
  readonly #dir = fs.mkdtempSync(path.join(os.tmpdir(), "kh-pool-test-"));
  #next = 0;
  /** A fresh marker path (no file there yet). */
  path(): string {
    return path.join(this.#dir, `started-${this.#next++}`);
  }
  /**
   * What a started task wrote there (its worker's "pid:threadId"), or undefined while not started. The file
   * exists, empty, between its creation and the write: that counts as not started (an empty identity read as
   * pid 0 made `isAlive(0)`, which signals this process group, true forever: a test that hung now and then).
   */
  read(marker: string): string | undefined {
    const text = fs.existsSync(marker) ? fs.readFileSync(marker, "utf8") : "";
    return text.length > 0 ? text : undefined; // a few bytes are written in one system call: all or nothing
  }
  dispose(): void {
    fs.rmSync(this.#dir, { recursive: true, force: true });
  }
}

/**
 * Writes "pid:threadId" of its worker to `marker` (so the test knows it is
 * running, and where), then computes forever: only killing its worker stops it.
 */
export const startThenLoopForever = (marker: string): number => {
  const load = (id: string): unknown => process.mainModule!.require(id);
  const { threadId } = load("node:worker_threads") as { threadId: number };
  (load("node:fs") as { writeFileSync(file: string, text: string): void }).writeFileSync(marker, `${process.pid}:${threadId}`);
  for (;;) {
    // busy on purpose: JavaScript cannot interrupt this from outside its thread
  }
};

/** The worker identity "pid:threadId" of the worker that runs it. */
export const workerId = (): string => {
  const { threadId } = process.mainModule!.require("node:worker_threads") as { threadId: number };
  return `${process.pid}:${threadId}`;
};

/** A {@link Markers} folder for this test file, removed after its tests. */
export function useMarkers(): Markers {
  const markers = new Markers();
  afterAll(() => markers.dispose());
  return markers;
}

/** 0, 1, ... n-1. */
export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
/** The squares of 0 ... n-1. */
export const squares = (n: number): number[] => range(n).map((i) => i * i);

/** CPython's test helper `sqr(x, wait)`, as a self-contained task: x², after `waitMs`. */
export const sqr = async (x: number, waitMs = 0): Promise<number> => {
  if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
  return x * x;
};
