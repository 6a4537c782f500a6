/**
 * Counter races for the shared-data notebook (05): several workers add 1 to
 * one shared counter, through a manager or in shared memory, and the runs
 * report the time and how many increments were lost. The total number of
 * increments is split over the workers, so a run's work does not grow with
 * the worker count: like is compared with like.
 */
import { InvalidOptionError } from "../primitives/errors";
import type { Manager } from "../primitives/manager";
import type { Pool } from "../primitives/pool";
import { median } from "../measuring/stats";
import type { IncrementMode } from "../tasks/shared";
import type { Row } from "../measuring/table";
import { measure } from "../measuring/timing";
import { checkInteger } from "../primitives/validate";

/**
 * Splits `total` into `parts` whole numbers that differ by at most one and
 * add up to `total` (the larger ones first).
 * @example splitEvenly(10, 3) // [4, 3, 3]
 */
export function splitEvenly(total: number, parts: number): number[] {
  checkInteger("`total`", total, { min: 0 });
  checkInteger("`parts`", parts, { min: 1, max: 100_000 });
  const base = Math.floor(total / parts);
  return Array.from({ length: parts }, (_, i) => base + (i < total % parts ? 1 : 0));
}

/** One way of counting, measured by {@link managerCounterRace} or {@link sharedCounterRace}. */
export interface CounterRace {
  /** How each increment is made, e.g. "manager get + set" or "Atomics.add". */
  how: string;
  /** Workers that incremented at the same time. */
  workers: number;
  /** Increments in all (over every worker) per run. */
  increments: number;
  /** Wall time of each timed run, in ms (from handing out the work to the last result). */
  samplesMs: number[];
  /** Increments lost in each timed run (expected total minus the counter's final value). */
  lost: number[];
}

/** Options of the counter races. */
export interface RaceOptions {
  /** Workers incrementing at once (the pool must have at least this many). */
  workers: number;
  /** Increments in all, split evenly over the workers. */
  increments: number;
  /** Timed runs. Default 3. */
  repeats?: number;
  /** Untimed runs first. Default 1. */
  warmup?: number;
}

/** The runs of a race as `measure` takes them (it refuses options it does not know, such as `workers`). */
function timedRuns(options: RaceOptions): { repeats: number; warmup: number } {
  return { repeats: options.repeats ?? 3, warmup: options.warmup ?? 1 };
}

function checkPool(pool: Pool, workers: number): void {
  checkInteger("`workers`", workers, { min: 1, max: 1024 });
  if (pool.workers < workers) {
    throw new InvalidOptionError("`workers`", `Expected a pool of at least ${workers} workers for ${workers} racing workers, got a pool of ${pool.workers}.`);
  }
}

/**
 * `workers` pool workers add 1 to the manager's counter `key` together,
 * `increments` times in all, by read-modify-write (`get` then `set`, from
 * the worker) or with `update` (the whole step runs at the owner).
 *
 * @example const race = await managerCounterRace(pool, counters, "atomic-update", { workers: 2, increments: 4000 });
 */
export async function managerCounterRace(pool: Pool, manager: Manager<number>, mode: IncrementMode, options: RaceOptions): Promise<CounterRace> {
  checkPool(pool, options.workers);
  const shares = splitEvenly(options.increments, options.workers);
  const key = "counter";
  const lost: number[] = [];
  const how = mode === "atomic-update" ? "manager update(key, fn)" : "manager get + set";
  const timing = await measure(`${how}, ${options.workers} worker${options.workers === 1 ? "" : "s"}`, async () => {
    await manager.set(key, 0);
    await pool.starmap("incrementCounter", shares.map((n) => [manager, key, n, mode] as [Manager<number>, string, number, IncrementMode]), { chunkSize: 1 });
    lost.push(options.increments - ((await manager.get(key)) ?? 0));
  }, timedRuns(options));
  return { how, workers: options.workers, increments: options.increments, samplesMs: timing.samplesMs, lost: lost.slice(-timing.samplesMs.length) };
}

/**
 * `workers` worker threads add 1 to element 0 of one shared Int32Array
 * together, `increments` times in all, with `counter[0]++` or with
 * `Atomics.add`. They wait for each other at a start line first, so the
 * loops really overlap. Threads only: a child process cannot share memory.
 *
 * @example const race = await sharedCounterRace(threadPool, true, { workers: 2, increments: 10_000_000 });
 */
export async function sharedCounterRace(pool: Pool, atomic: boolean, options: RaceOptions): Promise<CounterRace> {
  checkPool(pool, options.workers);
  if (pool.backend !== "thread") {
    throw new InvalidOptionError("`pool`", `Expected a pool of worker threads, got a ${pool.backend} pool: child processes cannot share memory.`);
  }
  checkInteger("`increments`", options.increments, { min: 0, max: 2 ** 31 - 1 }); // the counter is an Int32
  const shares = splitEvenly(options.increments, options.workers);
  const lost: number[] = [];
  const how = atomic ? "shared memory, Atomics.add" : "shared memory, counter[0]++";
  const timing = await measure(`${how}, ${options.workers} thread${options.workers === 1 ? "" : "s"}`, async () => {
    const buffer = new SharedArrayBuffer(8); // [0]: the counter, [1]: the start line
    await pool.starmap("incrementSharedCounter", shares.map((n) => [buffer, n, atomic, options.workers] as [SharedArrayBuffer, number, boolean, number]), { chunkSize: 1 });
    lost.push(options.increments - new Int32Array(buffer)[0]!);
  }, timedRuns(options));
  return { how, workers: options.workers, increments: options.increments, samplesMs: timing.samplesMs, lost: lost.slice(-timing.samplesMs.length) };
}

/** Rates per second from a count done in each of several runs (ms). */
export function perSecond(count: number, samplesMs: readonly number[]): number[] {
  return samplesMs.map((ms) => (count / ms) * 1000);
}

/** A table row for a {@link CounterRace}: who, how many, what was lost, and the cost per increment. */
export function raceRow(race: CounterRace): Row {
  const ms = median(race.samplesMs);
  return {
    how: race.how,
    workers: race.workers,
    "increments in all": race.increments,
    "lost, each run": race.lost.map((n) => n.toLocaleString("en-US")).join(" / "),
    "median ms": ms,
    "ns per increment": (ms * 1e6) / race.increments,
    "increments per second": median(perSecond(race.increments, race.samplesMs)),
  };
}
