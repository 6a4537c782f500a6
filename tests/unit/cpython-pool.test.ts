/**
 * CPython's `_TestPool` checks on results, chunks, input errors and timeouts
 * (Lib/test/_test_multiprocessing.py), ported one test per semantic and run
 * on both backends; each test's name starts with the CPython test it ports.
 * Where kernel-helpers deliberately differs, the test checks our behaviour
 * and its name says how. (Lifecycle, worker errors and worker lifetime:
 * cpython-pool-lifetime.test.ts.)
 *
 * Python's helpers, as self-contained tasks: `sqr(x, wait)` and `mul(x, y)`;
 * `exceptionThrowingGenerator(total, when)` raises its error when it reaches
 * item `when` (at once for -1). Waiting is never timed: a task that must
 * still be running waits for a release file the test writes.
 */
import fs from "node:fs";
import { TimeoutError, UnsendableValueError, TaskError, liveResourceCount, terminateAll } from "kernel-helpers";
import { expectNoLeaks, rejectionOf } from "../test-helpers";
import { backends, collect, range, sqr, squares, useMarkers, withTestPool } from "../pool-test-helpers";

expectNoLeaks({ liveResourceCount, terminateAll });
const markers = useMarkers();

const mul = (x: number, y: number): number => x * y;

class SayWhenError extends Error {
  override name = "SayWhenError";
}
/** Yields 0, 1, ... total-1, but throws `error` instead of yielding item `when` (at once for -1). */
function* exceptionThrowingGenerator(total: number, when: number, error: Error): Generator<number> {
  if (when === -1) throw error;
  for (let i = 0; i < total; i++) {
    if (i === when) throw error;
    yield i;
  }
}
const sayWhen = (): SayWhenError => new SayWhenError("Somebody said when");

describe.each(backends)("CPython _TestPool with %s workers (Pool(4))", (backend) => {
  const withPool4 = <T>(body: Parameters<typeof withTestPool<T>>[1]): Promise<T> => withTestPool({ workers: 4, backend }, body);

  test("test_apply: apply(sqr, [5]) is 25", async () => {
    await withPool4(async (pool) => expect(await pool.apply(sqr, [5])).toBe(25));
  });

  test("test_map: map(sqr, range(10)), and range(100) with chunkSize 20", async () => {
    await withPool4(async (pool) => {
      expect(await pool.map(sqr, range(10))).toEqual(squares(10));
      expect(await pool.map(sqr, range(100), { chunkSize: 20 })).toEqual(squares(100));
    });
  });

  test("test_starmap: starmap(mul, zip(range(10), range(9, -1, -1))), and 100 pairs with chunkSize 20", async () => {
    await withPool4(async (pool) => {
      const zip = (n: number): [number, number][] => range(n).map((i) => [i, n - 1 - i]);
      expect(await pool.starmap(mul, zip(10))).toEqual(zip(10).map(([a, b]) => a * b));
      expect(await pool.starmap(mul, zip(100), { chunkSize: 20 })).toEqual(zip(100).map(([a, b]) => a * b));
    });
  });

  test("test_map_async / test_starmap_async (ours: map and starmap return the promise that map_async(...).get() would)", async () => {
    await withPool4(async (pool) => {
      const mapped = pool.map(sqr, range(10));
      const starmapped = pool.starmap(mul, [[2, 3], [4, 5]]);
      expect(mapped).toBeInstanceOf(Promise);
      expect(await mapped).toEqual(squares(10));
      expect(await starmapped).toEqual([6, 20]);
    });
  });

  test("test_map_async_callbacks (ours: the promise's then gets the result list, its catch gets the error)", async () => {
    await withPool4(async (pool) => {
      const callback = jest.fn();
      const errorCallback = jest.fn();
      await pool.map(sqr, range(10)).then(callback, errorCallback);
      expect(callback).toHaveBeenCalledWith(squares(10));
      const failing = (x: number): number => {
        if (x === 3) throw new RangeError("bad item 3");
        return x;
      };
      await pool.map(failing, range(10)).then(callback, errorCallback);
      expect(callback).toHaveBeenCalledTimes(1);
      expect(errorCallback).toHaveBeenCalledTimes(1);
      expect(errorCallback.mock.calls[0]![0]).toBeInstanceOf(TaskError);
    });
  });

  test("test_map_unplicklable (ours: an unsendable item is refused with UnsendableValueError before anything is sent, never a hang)", async () => {
    await withPool4(async (pool) => {
      const error = await rejectionOf(pool.map((f: unknown) => typeof f, [1, () => 2, 3]));
      expect(error).toBeInstanceOf(UnsendableValueError);
      expect((error as Error).message).toContain("items[1]");
      expect(pool.stats()).toMatchObject({ busyWorkers: 0, pendingTasks: 0 });
      expect(await pool.map(sqr, [1, 2])).toEqual([1, 4]);
    });
  });

  test("test_map_chunksize: map([], chunkSize 1) resolves to [] without stalling", async () => {
    await withPool4(async (pool) => expect(await pool.map(sqr, [], { chunkSize: 1 })).toEqual([]));
  });

  test.each([
    ["at the first item", 1, -1],
    ["at item 3 of 10", 10, 3],
  ])("test_map_handle_iterable_exception: a generator raising %s makes map reject with that very error, and the pool works after", async (_where, total, when) => {
    await withPool4(async (pool) => {
      for (const chunkSize of [1, 2]) {
        const raised = sayWhen();
        expect(await rejectionOf(pool.map(sqr, exceptionThrowingGenerator(total, when, raised), { chunkSize }))).toBe(raised);
      }
      expect(await pool.map(sqr, range(5))).toEqual(squares(5)); // reentrant
    });
  });

  test("test_async: applyAsync(sqr, [7, wait]).get() is 49", async () => {
    await withPool4(async (pool) => expect(await pool.applyAsync(sqr, [7, 50]).get()).toBe(49));
  });

  test("test_async_timeout: get(timeoutMs) rejects with TimeoutError while the task goes on running, then finishes", async () => {
    await withPool4(async (pool) => {
      const release = markers.path();
      const sqrWhenReleased = async (x: number, file: string): Promise<number> => {
        const { existsSync } = process.mainModule!.require("node:fs") as { existsSync(path: string): boolean };
        while (!existsSync(file)) await new Promise((resolve) => setTimeout(resolve, 5));
        return x * x;
      };
      const handle = pool.applyAsync(sqrWhenReleased, [6, release]);
      expect(await rejectionOf(handle.get(20))).toBeInstanceOf(TimeoutError);
      expect(handle.ready()).toBe(false);
      expect(pool.stats().busyWorkers).toBe(1);
      fs.writeFileSync(release, "go");
      expect(await handle.get()).toBe(36);
    });
  });

  test("test_imap: imap(sqr, range(10)) in order; next() one by one, then done; chunkSize 100 over 1000", async () => {
    await withPool4(async (pool) => {
      expect(await collect(pool.imap(sqr, range(10)))).toEqual(squares(10));
      const it = pool.imap(sqr, range(10));
      for (let i = 0; i < 10; i++) expect(await it.next()).toEqual({ value: i * i, done: false });
      expect(await it.next()).toEqual({ value: undefined, done: true });
      expect(await collect(pool.imap(sqr, range(1000), { chunkSize: 100 }))).toEqual(squares(1000));
    });
  });

  test.each([
    [1, 10, 3, 3],
    [2, 20, 7, 6],
    [4, 20, 7, 4],
  ])("test_imap_handle_iterable_exception: chunkSize %i, a generator of %i raising at item %i: the first %i results, then that very error", async (chunkSize, total, when, before) => {
    await withPool4(async (pool) => {
      const raised = sayWhen();
      const it = pool.imap(sqr, exceptionThrowingGenerator(total, when, raised), { chunkSize });
      for (let i = 0; i < before; i++) expect((await it.next()).value).toBe(i * i);
      expect(await rejectionOf(it.next())).toBe(raised);
      expect(await collect(pool.imap(sqr, range(3)))).toEqual(squares(3));
    });
  });

  test("test_imap_unordered: sorted(imapUnordered(sqr, range(1000))) is the squares, also with chunkSize 53", async () => {
    await withPool4(async (pool) => {
      const ascending = (values: number[]): number[] => [...values].sort((a, b) => a - b);
      expect(ascending(await collect(pool.imapUnordered(sqr, range(1000))))).toEqual(squares(1000));
      expect(ascending(await collect(pool.imapUnordered(sqr, range(1000), { chunkSize: 53 })))).toEqual(squares(1000));
    });
  });

  test.each([
    [1, 10, 3],
    [2, 20, 7],
  ])("test_imap_unordered_handle_iterable_exception: chunkSize %i, a generator of %i raising at item %i: some squares, then that very error", async (chunkSize, total, when) => {
    await withPool4(async (pool) => {
      const raised = sayWhen();
      const expected = new Set(squares(total));
      const seen: number[] = [];
      const error = await rejectionOf(
        (async () => {
          for await (const value of pool.imapUnordered(sqr, exceptionThrowingGenerator(total, when, raised), { chunkSize })) seen.push(value);
        })(),
      );
      expect(error).toBe(raised);
      expect(seen.every((value) => expected.has(value))).toBe(true);
      expect(seen.length).toBeLessThanOrEqual(when);
    });
  });

  test("test_empty_iterable: map([]), imap([]) and imapUnordered([]) are all empty", async () => {
    await withPool4(async (pool) => {
      expect(await pool.map(sqr, [])).toEqual([]);
      expect(await collect(pool.imap(sqr, []))).toEqual([]);
      expect(await collect(pool.imapUnordered(sqr, []))).toEqual([]);
      expect(await collect(pool.imap(sqr, exceptionThrowingGenerator(0, 5, sayWhen())))).toEqual([]);
    });
  });
});
