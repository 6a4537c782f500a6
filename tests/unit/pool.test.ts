/**
 * Pool, AsyncResult and withPool, for both backends. Every pool a test starts
 * is joined or terminated by that test (or by its describe's afterAll), and the
 * last afterAll checks that nothing was left registered.
 *
 * No test asserts on timings: `sleep` durations only make later tasks finish
 * before earlier ones, and the assertions are on values, order and counts.
 */
import {
  AsyncResult,
  BACKENDS,
  InvalidOptionError,
  Pool,
  PoolClosedError,
  PoolStateError,
  TaskCancelledError,
  TaskError,
  TimeoutError,
  WorkerCrashedError,
  leibnizPi,
  liveResourceCount,
  terminateAll,
  withPool,
  type Backend,
} from "kernel-helpers";
import { rejectionOf } from "../test-helpers";
import os from "node:os";

const backends: Backend[] = ["thread", "process"];

/** True while a process with this pid exists. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

afterAll(async () => {
  const leaked = liveResourceCount();
  await terminateAll(); // so a failure here does not also hang jest
  expect(leaked).toBe(0);
});

test("BACKENDS lists thread and process", () => {
  expect([...BACKENDS]).toEqual(backends);
});

describe.each(backends)("Pool with %s workers", (backend) => {
  describe("results and errors (one shared pool of 2 workers)", () => {
    let pool: Pool;
    beforeAll(() => {
      pool = new Pool({ workers: 2, backend });
    });
    afterAll(async () => {
      pool.close();
      await pool.join();
    });

    test("the pool reports its options and is running", () => {
      expect(pool.workers).toBe(2);
      expect(pool.backend).toBe(backend);
      expect(pool.state).toBe("running");
    });

    test("applyAsync handles give results in submission order even when later tasks finish first", async () => {
      const durations = [150, 60, 0, 30, 0];
      const handles = durations.map((ms, i) => pool.applyAsync("sleep", [ms, i]));
      expect(handles.every((h) => h instanceof AsyncResult)).toBe(true);
      expect(await Promise.all(handles.map((h) => h.get()))).toEqual([0, 1, 2, 3, 4]);
    });

    test("map returns results in input order even when later items finish first", async () => {
      const results = await pool.map((ms: number) => new Promise<number>((resolve) => setTimeout(() => resolve(ms), ms)), [120, 0, 60, 0, 30], {
        chunkSize: 1,
      });
      expect(results).toEqual([120, 0, 60, 0, 30]);
    });

    test("starmap spreads each argument list and keeps input order", async () => {
      const argsList: [number, number][] = [
        [0, 10],
        [1, 2000],
        [2, 30],
        [3, 0],
      ];
      const results = await pool.starmap("leibnizPiById", argsList, { chunkSize: 1 });
      expect(results).toEqual(argsList.map(([id, terms]) => [id, leibnizPi(terms)]));
    });

    test("starmap with sleep returns values in input order", async () => {
      const results = await pool.starmap(
        "sleep",
        [
          [90, "a"],
          [0, "b"],
          [40, "c"],
          [0, "d"],
        ],
        { chunkSize: 1 },
      );
      expect(results).toEqual(["a", "b", "c", "d"]);
    });

    test.each([
      ["automatic", undefined],
      ["1", 1],
      ["7", 7],
      ["1000 (more than the items)", 1000],
    ])("map with chunkSize %s gives the same results as serial code", async (_label, chunkSize) => {
      const items = Array.from({ length: 37 }, (_, i) => (i * 7919) % 5000);
      const expected = items.map((terms) => leibnizPi(terms));
      const options = chunkSize === undefined ? {} : { chunkSize };
      expect(await pool.map("leibnizPi", items, options)).toEqual(expected);
    });

    test("map and starmap accept self-contained inline functions", async () => {
      expect(await pool.map((x: number) => x * x, [1, 2, 3, 4])).toEqual([1, 4, 9, 16]);
      expect(await pool.starmap((a: number, b: string) => b.repeat(a), [[2, "ab"], [0, "x"], [3, "z"]])).toEqual(["abab", "", "zzz"]);
    });

    test("map of an empty list resolves to an empty list without calling onProgress", async () => {
      const onProgress = jest.fn();
      expect(await pool.map("echo", [], { onProgress })).toEqual([]);
      expect(onProgress).not.toHaveBeenCalled();
    });

    test("onProgress is called once per chunk, counts up, and ends at the total", async () => {
      const calls: [number, number][] = [];
      const items = Array.from({ length: 10 }, (_, i) => i);
      const results = await pool.map("echo", items, { chunkSize: 3, onProgress: (done, total) => calls.push([done, total]) });
      expect(results).toEqual(items);
      expect(calls).toHaveLength(4); // chunks of 3, 3, 3, 1
      expect(calls.every(([, total]) => total === 10)).toBe(true);
      const dones = calls.map(([done]) => done);
      expect([...dones].sort((a, b) => a - b)).toEqual(dones);
      expect(calls.at(-1)).toEqual([10, 10]);
    });

    test("onProgress with the automatic chunk size also ends at the total", async () => {
      const onProgress = jest.fn();
      await pool.map("echo", Array.from({ length: 50 }, (_, i) => i), { onProgress });
      expect(onProgress).toHaveBeenCalled();
      expect(onProgress).toHaveBeenLastCalledWith(50, 50);
    });

    test.each([0, -2, 1.5])("map with chunkSize %p rejects with InvalidOptionError", async (chunkSize) => {
      const error = await rejectionOf(pool.map("echo", [1, 2], { chunkSize }));
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect((error as Error).message).toContain("`chunkSize`");
    });

    test("a RangeError thrown in a task reaches the caller as TaskError with the worker's error name and stack", async () => {
      const handle = pool.applyAsync((x: number) => {
        throw new RangeError(`bad value ${x}`);
      }, [7]);
      const error = await rejectionOf(handle.get());
      expect(error).toBeInstanceOf(TaskError);
      const taskError = error as TaskError;
      expect(taskError.message).toContain("RangeError: bad value 7");
      expect(taskError.workerErrorName).toBe("RangeError");
      expect(taskError.workerMessage).toBe("bad value 7");
      expect(taskError.workerStack).toMatch(/^RangeError: bad value 7\n\s+at /);
      expect(taskError.stack).toContain("--- stack inside the worker ---");
      expect(taskError.message).not.toContain("source text"); // the hint is only for ReferenceErrors
    });

    test("an error thrown by a named task keeps its class name (InvalidOptionError) in the TaskError", async () => {
      const error = await rejectionOf(pool.applyAsync("leibnizPi", [-1]).get());
      expect(error).toBeInstanceOf(TaskError);
      expect((error as TaskError).task).toBe("leibnizPi");
      expect((error as TaskError).workerErrorName).toBe("InvalidOptionError");
      expect((error as Error).message).toMatch(/^Task "leibnizPi" failed in the worker: InvalidOptionError: .*`terms`/);
    });

    test("an error in one item of map rejects the whole map with a TaskError", async () => {
      const error = await rejectionOf(pool.map("leibnizPi", [10, 20, -5, 30], { chunkSize: 1 }));
      expect(error).toBeInstanceOf(TaskError);
      expect((error as Error).message).toContain("`terms`");
    });

    test("an inline function that uses an outside variable fails with a TaskError that explains source text", async () => {
      const factor = 3;
      const error = await rejectionOf(pool.applyAsync((x: number) => x * factor, [2]).get());
      expect(error).toBeInstanceOf(TaskError);
      expect((error as TaskError).workerErrorName).toBe("ReferenceError");
      expect((error as Error).message).toContain("factor is not defined");
      expect((error as Error).message).toContain("sent to the worker as source text");
    });

    test("an unknown task name throws InvalidOptionError listing the named tasks", () => {
      let thrown: unknown;
      try {
        pool.applyAsync("noSuchTask" as "echo", [1]);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(InvalidOptionError);
      const message = (thrown as Error).message;
      expect(message).toContain('Unknown task "noSuchTask"');
      for (const name of ["leibnizPi", "integratePolynomial", "sumRandomNumbers", "echo", "sleep", "whoAmI"]) {
        expect(message).toContain(name);
      }
    });

    test("map with an unknown task name rejects with InvalidOptionError", async () => {
      expect(await rejectionOf(pool.map("noSuchTask" as "echo", [1]))).toBeInstanceOf(InvalidOptionError);
    });

    test("a method shorthand cannot be sent as source text and throws InvalidOptionError", () => {
      const holder = {
        double(x: number): number {
          return 2 * x;
        },
      };
      expect(() => pool.applyAsync(holder.double, [1])).toThrow(InvalidOptionError);
      expect(() => pool.applyAsync(Math.sqrt, [4])).toThrow(/native or bound/);
    });

    test("applyAsync with args that are not an array throws TypeError", () => {
      expect(() => pool.applyAsync("echo", 5 as unknown as [number])).toThrow(TypeError);
    });

    test("AsyncResult.get(timeout) rejects with TimeoutError and the task still finishes", async () => {
      const handle = pool.applyAsync("sleep", [1000, "late"]);
      const error = await rejectionOf(handle.get(20));
      expect(error).toBeInstanceOf(TimeoutError);
      expect((error as Error).message).toContain("20 ms");
      expect(await handle.get()).toBe("late");
      expect(await handle.get(10_000)).toBe("late"); // a generous timeout does not fire
    });

    test("AsyncResult.get with a negative or fractional timeout rejects (never throws) with InvalidOptionError", async () => {
      const handle = pool.applyAsync("echo", [1]);
      const negative = handle.get(-1);
      const fractional = handle.get(1.5);
      await expect(negative).rejects.toThrow(InvalidOptionError);
      await expect(fractional).rejects.toThrow(InvalidOptionError);
      await handle.get();
    });

    test("successful() before the task is ready throws PoolStateError; afterwards it reports the outcome", async () => {
      const good = pool.applyAsync("sleep", [100, "ok"]);
      const bad = pool.applyAsync("leibnizPi", [1.5]);
      expect(good.ready()).toBe(false);
      expect(() => good.successful()).toThrow(PoolStateError);
      await good.wait();
      await bad.wait(); // wait() never rejects
      expect(good.ready()).toBe(true);
      expect(good.successful()).toBe(true);
      expect(bad.ready()).toBe(true);
      expect(bad.successful()).toBe(false);
    });
  });

  describe("lifecycle (a fresh pool per test)", () => {
    test("close() then applyAsync throws PoolClosedError, and map rejects with it", async () => {
      const pool = new Pool({ workers: 1, backend });
      pool.close();
      expect(pool.state).toBe("closed");
      expect(() => pool.applyAsync("echo", [1])).toThrow(PoolClosedError);
      expect(await rejectionOf(pool.map("echo", [1]))).toBeInstanceOf(PoolClosedError);
      expect(await rejectionOf(pool.starmap("echo", [[1]]))).toBeInstanceOf(PoolClosedError);
      await pool.join();
      expect(pool.state).toBe("joined");
      expect(() => pool.applyAsync("echo", [1])).toThrow(PoolClosedError);
    });

    test("join() before close() rejects with PoolStateError and the pool keeps working", async () => {
      const pool = new Pool({ workers: 1, backend });
      expect(await rejectionOf(pool.join())).toBeInstanceOf(PoolStateError);
      expect(pool.state).toBe("running");
      expect(await pool.applyAsync("echo", ["still running"]).get()).toBe("still running");
      pool.close();
      await pool.join();
    });

    test("close() and join() wait for every queued task, then stop the workers", async () => {
      const before = liveResourceCount();
      const pool = new Pool({ workers: 2, backend });
      expect(liveResourceCount()).toBe(before + 1);
      const identities = await pool.map("whoAmI", [undefined, undefined], { chunkSize: 1 });
      const handles = Array.from({ length: 6 }, (_, i) => pool.applyAsync("sleep", [60, i]));
      pool.close();
      expect(handles.some((h) => !h.ready())).toBe(true);
      await pool.join();
      expect(handles.every((h) => h.ready() && h.successful())).toBe(true);
      expect(await Promise.all(handles.map((h) => h.get()))).toEqual([0, 1, 2, 3, 4, 5]);
      expect(pool.state).toBe("joined");
      expect(pool.stats().totalWorkers).toBe(0);
      expect(liveResourceCount()).toBe(before);
      if (backend === "process") {
        for (const { pid } of identities) {
          expect(pid).not.toBe(process.pid);
          expect(isAlive(pid)).toBe(false);
        }
      } else {
        expect(identities.every(({ pid }) => pid === process.pid)).toBe(true);
      }
      await pool.join(); // joining again is harmless
      await pool.terminate(); // so is terminating a joined pool
      expect(pool.state).toBe("joined");
    });

    // workerpool rejects cancelled tasks with plain `Error("Worker terminated")`
    // (running) and `Error("Pool terminated")` (queued), not its TerminateError.
    test("terminate() cancels running and queued tasks with TaskCancelledError", async () => {
      const pool = new Pool({ workers: 1, backend });
      const handles = [0, 1, 2].map((i) => pool.applyAsync("sleep", [30_000, i]));
      await new Promise((resolve) => setTimeout(resolve, 100));
      await pool.terminate();
      expect(pool.state).toBe("terminated");
      expect(pool.stats().totalWorkers).toBe(0);
      for (const handle of handles) {
        const error = await rejectionOf(handle.get());
        expect(error).toBeInstanceOf(TaskCancelledError);
        expect((error as TaskCancelledError).task).toBe("sleep");
      }
    });

    test("terminate() settles every handle with an error, stops the pool, and can be repeated", async () => {
      const pool = new Pool({ workers: 1, backend });
      const handles = [0, 1, 2].map((i) => pool.applyAsync("sleep", [30_000, i]));
      await new Promise((resolve) => setTimeout(resolve, 100));
      await pool.terminate();
      expect(pool.state).toBe("terminated");
      expect(pool.stats().totalWorkers).toBe(0);
      for (const handle of handles) {
        await handle.wait();
        expect(handle.successful()).toBe(false);
      }
      expect(() => pool.applyAsync("echo", [1])).toThrow(PoolClosedError);
      await pool.terminate();
      await pool.join(); // nothing pending: resolves
      expect(pool.state).toBe("terminated");
    });

    test("a task that exits its worker rejects with WorkerCrashedError naming the exit code, and the pool keeps serving", async () => {
      const pool = new Pool({ workers: 1, backend });
      const error = await rejectionOf(pool.applyAsync(() => process.exit(3), []).get());
      expect(error).toBeInstanceOf(WorkerCrashedError);
      expect((error as WorkerCrashedError).detail).toBe("the worker exited with code 3");
      expect((error as Error).message).toContain("code 3");
      expect(await pool.applyAsync("echo", ["after the crash"]).get()).toBe("after the crash");
      expect(await pool.map("leibnizPi", [1, 2, 3])).toEqual([1, 2, 3].map((n) => leibnizPi(n)));
      pool.close();
      await pool.join();
    });

    test("a crash on one worker does not affect a task running on another", async () => {
      const pool = new Pool({ workers: 2, backend });
      const crashing = pool.applyAsync(() => process.exit(5), []);
      const other = pool.applyAsync("sleep", [200, "unaffected"]);
      expect(await rejectionOf(crashing.get())).toBeInstanceOf(WorkerCrashedError);
      expect(await other.get()).toBe("unaffected");
      pool.close();
      await pool.join();
    });

    test("withPool closes and joins the pool after the body succeeds", async () => {
      const before = liveResourceCount();
      let seen: Pool | undefined;
      const result = await withPool({ workers: 2, backend }, async (pool) => {
        seen = pool;
        expect(liveResourceCount()).toBe(before + 1);
        return pool.map("leibnizPi", [10, 100]);
      });
      expect(result).toEqual([leibnizPi(10), leibnizPi(100)]);
      expect(seen?.state).toBe("joined");
      expect(seen?.backend).toBe(backend);
      expect(liveResourceCount()).toBe(before);
    });

    test("withPool terminates the pool and rethrows when the body throws", async () => {
      const before = liveResourceCount();
      let seen: Pool | undefined;
      let pending: AsyncResult<unknown> | undefined;
      const error = await rejectionOf(
        withPool({ workers: 1, backend }, async (pool) => {
          seen = pool;
          pending = pool.applyAsync("sleep", [30_000, "never"]);
          throw new Error("boom");
        }),
      );
      expect((error as Error).message).toBe("boom");
      expect(seen?.state).toBe("terminated");
      expect(liveResourceCount()).toBe(before);
      await pending?.wait();
      expect(pending?.successful()).toBe(false);
    });

    test("the default number of workers is the available parallelism", async () => {
      const pool = new Pool({ backend });
      expect(pool.workers).toBe(os.availableParallelism());
      await pool.terminate();
    });
  });

  describe("option validation (no worker starts)", () => {
    test.each([
      [0, "`0` (number)"],
      [-1, "`-1` (number)"],
      [1.5, "`1.5` (number)"],
      ["2", '`"2"` (string)'],
      [Number.NaN, "`NaN` (number)"],
      [1025, "`1025` (number)"],
    ])("workers %p throws InvalidOptionError naming the option and the value", (workers, shown) => {
      const before = liveResourceCount();
      let thrown: unknown;
      try {
        new Pool({ workers: workers as number, backend });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(InvalidOptionError);
      expect((thrown as InvalidOptionError).option).toBe("`workers`");
      expect((thrown as Error).message).toContain("`workers`");
      expect((thrown as Error).message).toContain(shown);
      expect(liveResourceCount()).toBe(before);
    });
  });
});

test('backend "gpu" throws InvalidOptionError naming the option, the value and the choices', () => {
  let thrown: unknown;
  try {
    new Pool({ workers: 1, backend: "gpu" as Backend });
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(InvalidOptionError);
  expect((thrown as InvalidOptionError).option).toBe("`backend`");
  const message = (thrown as Error).message;
  expect(message).toContain("`backend`");
  expect(message).toContain('"gpu"');
  expect(message).toContain('"thread"');
  expect(message).toContain('"process"');
});

describe("process workers only", () => {
  test("a task that SIGKILLs its worker process rejects with WorkerCrashedError naming the signal, and the pool keeps serving", async () => {
    const pool = new Pool({ workers: 1, backend: "process" });
    const error = await rejectionOf(pool.applyAsync(() => process.kill(process.pid, "SIGKILL"), []).get());
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect((error as WorkerCrashedError).detail).toBe("killed by signal SIGKILL");
    expect((error as Error).message).toContain("SIGKILL");
    expect(await pool.applyAsync("echo", [42]).get()).toBe(42);
    pool.close();
    await pool.join();
  });

  test("each process worker has its own pid; thread workers share this one", async () => {
    await withPool({ workers: 2, backend: "process" }, async (pool) => {
      const ids = await pool.map("whoAmI", [undefined, undefined, undefined, undefined], { chunkSize: 1 });
      expect(ids.every(({ pid }) => pid !== process.pid)).toBe(true);
    });
    await withPool({ workers: 2, backend: "thread" }, async (pool) => {
      const ids = await pool.map("whoAmI", [undefined, undefined], { chunkSize: 1 });
      expect(ids.every(({ pid, threadId }) => pid === process.pid && threadId > 0)).toBe(true);
    });
  });
});
