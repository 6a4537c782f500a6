/**
 * counter-races: splitting the work, rates, table rows, and real races on pools (the manager on both backends,
 * shared memory on threads) in which the atomic ways lose nothing.
 */
import {
  InvalidOptionError, Manager, Pool, managerCounterRace, perSecond, raceRow, sharedCounterRace, splitEvenly, terminateAll,
} from "kernel-helpers";
import { rejectionOf } from "../test-helpers";

afterAll(async () => {
  await terminateAll();
});

describe("splitEvenly", () => {
  test.each([
    [10, 3, [4, 3, 3]],
    [9, 3, [3, 3, 3]],
    [1, 3, [1, 0, 0]],
    [0, 2, [0, 0]],
  ])("%p into %p parts gives %p", (total, parts, expected) => {
    expect(splitEvenly(total, parts)).toEqual(expected);
  });

  test("rejects zero parts and a fractional total, naming the argument", () => {
    expect(() => splitEvenly(10, 0)).toThrow(InvalidOptionError);
    expect(() => splitEvenly(1.5, 2)).toThrow(/`total`/);
  });
});

test("perSecond turns a count and run times in ms into rates", () => {
  expect(perSecond(1000, [500, 1000, 250])).toEqual([2000, 1000, 4000]);
});

test("raceRow reports lost updates per run and the cost per increment from the median", () => {
  const row = raceRow({ how: "x", workers: 2, increments: 1000, samplesMs: [2, 1, 3], lost: [1200, 0, 5] });
  expect(row).toEqual({
    how: "x", workers: 2, "increments in all": 1000, "lost, each run": "1,200 / 0 / 5",
    "median ms": 2, "ns per increment": 2000, "increments per second": 500_000,
  });
});

describe.each(["thread", "process"] as const)("managerCounterRace on %s workers", (backend) => {
  test("update(key, fn) loses nothing; get + set loses at most everything; one sample and one count per timed run", async () => {
    const pool = new Pool({ workers: 2, backend });
    const counters = await Manager.start<number>();
    try {
      const atomic = await managerCounterRace(pool, counters, "atomic-update", { workers: 2, increments: 101, repeats: 2, warmup: 1 });
      expect(atomic).toMatchObject({ how: "manager update(key, fn)", workers: 2, increments: 101, lost: [0, 0] });
      expect(atomic.samplesMs).toHaveLength(2);
      expect(await counters.get("counter")).toBe(101);
      const racy = await managerCounterRace(pool, counters, "read-modify-write", { workers: 2, increments: 100, repeats: 1, warmup: 0 });
      expect(racy.lost[0]).toBeGreaterThanOrEqual(0);
      expect(racy.lost[0]).toBeLessThan(100);
      expect(await counters.get("counter")).toBe(100 - racy.lost[0]!);
    } finally {
      await counters.shutdown();
      await pool.terminate();
    }
  });
});

describe("sharedCounterRace", () => {
  test("Atomics.add on threads loses nothing, counter[0]++ never gains", async () => {
    const pool = new Pool({ workers: 2, backend: "thread" });
    try {
      const atomic = await sharedCounterRace(pool, true, { workers: 2, increments: 200_001, repeats: 2, warmup: 0 });
      expect(atomic).toMatchObject({ how: "shared memory, Atomics.add", lost: [0, 0] });
      const plain = await sharedCounterRace(pool, false, { workers: 2, increments: 200_000, repeats: 1, warmup: 0 });
      expect(plain.lost[0]).toBeGreaterThanOrEqual(0);
    } finally {
      await pool.terminate();
    }
  });

  test("refuses a process pool (no shared memory) and a pool smaller than the racing workers", async () => {
    const processes = new Pool({ workers: 1, backend: "process" });
    const threads = new Pool({ workers: 1, backend: "thread" });
    try {
      expect(await rejectionOf(sharedCounterRace(processes, true, { workers: 1, increments: 10 }))).toBeInstanceOf(InvalidOptionError);
      const tooSmall = await rejectionOf(sharedCounterRace(threads, true, { workers: 2, increments: 10 }));
      expect(String(tooSmall)).toMatch(/at least 2 workers/);
    } finally {
      await processes.terminate();
      await threads.terminate();
    }
  });
});
