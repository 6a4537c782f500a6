/**
 * CPython's `_TestPool` lifecycle checks (make_pool, terminate, context,
 * traceback, wrapped exception, no fail-fast), `_TestPoolWorkerErrors` and
 * `_TestPoolWorkerLifetime` (Lib/test/_test_multiprocessing.py), ported one
 * test per semantic and run on both backends; each test's name starts with
 * the CPython test it ports, and says where kernel-helpers deliberately
 * differs (the test then checks our behaviour). Results, chunks and input
 * errors: cpython-pool.test.ts.
 *
 * No assertion on time: CPython's "join returns quickly" becomes "the tasks
 * were cancelled"; "every job was waited for" becomes "the slow job's marker
 * file is there after join".
 */
import {
  InvalidOptionError,
  Pool,
  PoolClosedError,
  TaskCancelledError,
  TaskError,
  WorkerCrashedError,
  liveResourceCount,
  terminateAll,
  withPool,
} from "kernel-helpers";
import { expectNoLeaks, rejectionOf, thrownBy } from "../test-helpers";
import { backends, range, sqr, squares, useMarkers, withTestPool, workerId } from "../pool-test-helpers";

expectNoLeaks({ liveResourceCount, terminateAll });
const markers = useMarkers();


describe.each(backends)("CPython _TestPool lifecycle with %s workers", (backend) => {
  test("test_make_pool: Pool(-1) and Pool(0) are refused; Pool(3) has 3 workers", async () => {
    for (const workers of [-1, 0]) {
      const error = thrownBy(() => new Pool({ workers, backend }));
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect((error as InvalidOptionError).option).toBe("`workers`");
    }
    await withTestPool({ workers: 3, backend }, async (pool) => {
      expect(pool.workers).toBe(3);
      expect(pool.stats().totalWorkers).toBe(3);
    });
  });

  test("test_terminate: terminate() during a map of 10,000 sleeps cancels its tasks, and join() then returns", async () => {
    const pool = new Pool({ workers: 4, backend });
    const nap = (ms: number): Promise<number> => new Promise((resolve) => setTimeout(() => resolve(ms), ms));
    const mapped = rejectionOf(pool.map(nap, Array.from({ length: 10_000 }, () => 100), { chunkSize: 1 }));
    await pool.terminate();
    await pool.join();
    expect(await mapped).toBeInstanceOf(TaskCancelledError);
    expect(pool.stats()).toMatchObject({ totalWorkers: 0, busyWorkers: 0, pendingTasks: 0 });
  });

  test("test_context (differs: withPool closes and joins instead of terminating): the map's results come, then calls reject with PoolClosedError", async () => {
    let used: Pool | undefined;
    const results = await withPool({ workers: 2, backend }, async (pool) => {
      used = pool;
      return pool.map(sqr, range(10));
    });
    expect(results).toEqual(squares(10));
    expect(used!.state).toBe("joined");
    expect(await rejectionOf(used!.map(sqr, range(10)))).toBeInstanceOf(PoolClosedError);
  });

  test("test_context, the difference itself: a task the body started without awaiting still finishes (Python's with would cancel it)", async () => {
    let started: ReturnType<Pool["applyAsync"]> | undefined;
    await withPool({ workers: 1, backend }, async (pool) => {
      started = pool.applyAsync(sqr, [9, 30]);
    });
    expect(started!.ready()).toBe(true);
    expect(await started!.get()).toBe(81);
  });

  test("test_traceback (differs: the error is a TaskError whose cause has the original class, RangeError('123'), with the worker's stack); an input's own error is not wrapped", async () => {
    await withTestPool({ workers: 1, backend }, async (pool) => {
      function raising(): never {
        throw new RangeError("123");
      }
      const error = (await rejectionOf(pool.apply(raising, []))) as TaskError;
      expect(error).toBeInstanceOf(TaskError);
      expect(error.cause).toBeInstanceOf(RangeError);
      expect(error.cause.message).toBe("123");
      expect(error.workerStack).toMatch(/RangeError: 123\n\s+at raising/);
      expect(error.stack).toContain("--- stack inside the worker ---");
      // an error raised by the input, in this process, is the caller's own error, not a remote one
      const said = new Error("Somebody said when");
      function* raisingAtOnce(): Generator<number> {
        throw said;
      }
      const inputError = await rejectionOf(pool.map(sqr, raisingAtOnce(), { chunkSize: 1 }));
      expect(inputError).toBe(said);
      expect((inputError as Error).cause).toBeUndefined();
    });
  });

  test("test_wrapped_exception (differs: thread and process pools alike wrap it in TaskError; the cause is the Error itself)", async () => {
    await withTestPool({ workers: 1, backend }, async (pool) => {
      const error = await rejectionOf(pool.apply(() => { throw new Error("foo"); }, []));
      expect(error).toBeInstanceOf(TaskError);
      expect((error as TaskError).cause.constructor).toBe(Error);
      expect((error as TaskError).cause.message).toBe("foo");
    });
  });

  test("test_map_no_failfast: a map with one failing item rejects, and close() + join() waits for every running job without deadlock", async () => {
    const pool = new Pool({ workers: 2, backend });
    const done = markers.path();
    const raiseLargeValueError = async ([waitMs, file]: [number, string]): Promise<never> => {
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      if (file) (process.mainModule!.require("node:fs") as { writeFileSync(f: string, t: string): void }).writeFileSync(file, "done");
      throw new RangeError("x".repeat(1024 * 1024));
    };
    const error = await rejectionOf(pool.map(raiseLargeValueError, [[0, ""], [100, done]], { chunkSize: 1 }));
    expect(error).toBeInstanceOf(TaskError);
    expect((error as TaskError).cause.message).toHaveLength(1024 * 1024);
    pool.close();
    await pool.join();
    expect(markers.read(done)).toBe("done"); // the slower job ran to its end before join returned
    expect(pool.state).toBe("joined");
  });
});

describe.each(backends)("CPython _TestPoolWorkerErrors with %s workers", (backend) => {
  test("test_async_error_callback (ours: get() rejects, and a catch on it is the error callback): the KeyError arrives by name", async () => {
    await withTestPool({ workers: 2, backend }, async (pool) => {
      const raising = (): never => {
        class KeyError extends Error {
          override name = "KeyError";
        }
        throw new KeyError("key");
      };
      const errorCallback = jest.fn();
      await pool.applyAsync(raising, []).get().catch(errorCallback);
      expect(errorCallback).toHaveBeenCalledTimes(1);
      const error = errorCallback.mock.calls[0]![0] as TaskError;
      expect(error).toBeInstanceOf(TaskError);
      expect(error.cause).toMatchObject({ name: "KeyError", message: "key" });
    });
  });

  test("test_unpickleable_result (ours: TaskError naming UnsendableValueError), 20 times, and no worker is lost", async () => {
    await withTestPool({ workers: 1, backend }, async (pool) => {
      const before = await pool.apply(workerId, []);
      for (let i = 0; i < 20; i++) {
        const error = (await rejectionOf(pool.apply(() => () => 1, []))) as TaskError;
        expect(error).toBeInstanceOf(TaskError);
        expect(error.workerErrorName).toBe("UnsendableValueError");
        expect(error.message).toContain("the result");
      }
      expect(await pool.apply(workerId, [])).toBe(before);
      expect(pool.stats().totalWorkers).toBe(1);
    });
  });

  test("a worker that dies mid-task (differs: CPython's get() never returns; ours rejects with WorkerCrashedError and the pool carries on)", async () => {
    await withTestPool({ workers: 1, backend }, async (pool) => {
      const error = await rejectionOf(pool.apply(() => process.exit(3), []));
      expect(error).toBeInstanceOf(WorkerCrashedError);
      expect(await pool.apply(sqr, [4])).toBe(16);
    });
  });
});

describe.each(backends)("CPython _TestPoolWorkerLifetime with %s workers", (backend) => {
  test("test_pool_worker_lifetime: Pool(3, maxTasksPerChild 10), 100 tasks: results right, workers replaced", async () => {
    await withTestPool({ workers: 3, backend, maxTasksPerChild: 10 }, async (pool) => {
      const original = new Set(await Promise.all(range(3).map(() => pool.applyAsync(workerId, []).get())));
      const sqrWhere = (x: number): [number, string] => {
        const { threadId } = process.mainModule!.require("node:worker_threads") as { threadId: number };
        return [x * x, `${process.pid}:${threadId}`];
      };
      const handles = range(100).map((i) => pool.applyAsync(sqrWhere, [i]));
      const results = await Promise.all(handles.map((h) => h.get()));
      expect(results.map(([value]) => value)).toEqual(squares(100));
      const ids = new Set(results.map(([, id]) => id));
      expect(ids.size).toBeGreaterThanOrEqual(10); // 100 tasks, at most 10 per worker
      const final = new Set(await Promise.all(range(3).map(() => pool.applyAsync(workerId, []).get())));
      expect([...final].some((id) => !original.has(id))).toBe(true);
    });
  });

  test("test_pool_worker_lifetime_early_close: Pool(3, maxTasksPerChild 1), 6 sleeping tasks, close(), join(): every result right", async () => {
    const pool = new Pool({ workers: 3, backend, maxTasksPerChild: 1 });
    const handles = range(6).map((i) => pool.applyAsync("sleep", [50, i]));
    pool.close();
    await pool.join();
    expect(await Promise.all(handles.map((h) => h.get()))).toEqual(range(6));
  });
});
