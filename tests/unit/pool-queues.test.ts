/**
 * Queues as arguments of Pool tasks, on both backends: a Queue (or a
 * JoinableQueue) in `applyAsync`'s, `map`'s, `starmap`'s or the initializer's
 * arguments arrives in the worker as a proxy whose requests the pool answers
 * on that worker's behalf (pool-worker-handle.ts), as a Process's do; the
 * owner's queue alone decides, so every item is delivered exactly once.
 *
 * The tasks travel as source text: they use nothing from this file.
 */
import { JoinableQueue, Queue, TaskError, WorkerCrashedError, liveResourceCount, terminateAll, type QueueLike } from "kernel-helpers";
import { backends, withTestPool } from "../pool-test-helpers";
import { expectNoLeaks, rejectionOf } from "../test-helpers";

expectNoLeaks({ liveResourceCount, terminateAll });

describe.each(backends)("Queues in Pool tasks with %s workers", (backend) => {
  test("a task's put reaches the owner's queue and its get takes the owner's item, values JSON cannot carry included", async () => {
    await withTestPool({ workers: 2, backend }, async (pool) => {
      const results = new Queue<unknown>("results");
      const jobs = new Queue<unknown>("jobs");
      await jobs.put(new Map([["big", 2n ** 70n]]));
      const size = await pool.apply(async (out: QueueLike<unknown>, input: QueueLike<unknown>) => {
        const job = await input.get();
        await out.put({ job, nan: NaN, missing: undefined });
        return out.size();
      }, [results, jobs]);
      expect(size).toBe(1);
      const item = (await results.get({ timeoutMs: 0 })) as { job: Map<string, bigint>; nan: number; missing: undefined };
      expect(item.job.get("big")).toBe(2n ** 70n);
      expect(item.nan).toBeNaN();
      expect("missing" in item).toBe(true);
    });
  });

  test("map and starmap: every task puts on the same queue, and each item arrives exactly once", async () => {
    await withTestPool({ workers: 2, backend }, async (pool) => {
      const out = new Queue<number>("out");
      const mapped = await pool.map(async ([x, q]: [number, QueueLike<number>]) => (await q.put(x * 10), x), [1, 2, 3, 4].map((x) => [x, out] as [number, Queue<number>]), { chunkSize: 1 });
      const starred = await pool.starmap(async (x: number, q: QueueLike<number>) => (await q.put(x * 10), x), [[5, out], [6, out]] as [number, Queue<number>][]);
      expect([...mapped, ...starred]).toEqual([1, 2, 3, 4, 5, 6]);
      expect(out.drain().sort((a, b) => a - b)).toEqual([10, 20, 30, 40, 50, 60]);
    });
  });

  test("the owner's errors arrive in the task as their class, and an item that cannot travel is refused there by name", async () => {
    await withTestPool({ workers: 1, backend }, async (pool) => {
      const empty = new Queue<unknown>({ name: "empty", maxsize: 1 });
      const seen = await pool.apply(async (q: QueueLike<unknown>) => {
        const errors: string[] = [];
        await q.getNowait().catch((e: Error) => errors.push(`${e.name}:${e.constructor.name}`));
        await q.put(1);
        await q.putNowait(2).catch((e: Error) => errors.push(`${e.name}:${e.constructor.name}`));
        return errors;
      }, [empty]);
      expect(seen).toEqual(["QueueEmpty:QueueEmpty", "QueueFull:QueueFull"]);
      const refused = await rejectionOf(pool.apply(async (q: QueueLike<unknown>) => q.put({ callback: () => 1 }), [empty]));
      expect(refused).toBeInstanceOf(TaskError);
      expect((refused as TaskError).workerErrorName).toBe("UnsendableValueError");
      expect((refused as Error).message).toContain("item.callback");
      expect(empty.length).toBe(1);
    });
  });

  test("a JoinableQueue: the tasks' taskDone() calls let the owner's join() resolve", async () => {
    await withTestPool({ workers: 2, backend }, async (pool) => {
      const work = new JoinableQueue<number>("work");
      for (const n of [1, 2, 3]) await work.put(n);
      const consumer = async (q: QueueLike<number>): Promise<number> => {
        const n = await q.get();
        await q.taskDone();
        return n;
      };
      const taken = await pool.map(consumer, [work, work, work], { chunkSize: 1 });
      expect(taken.sort()).toEqual([1, 2, 3]);
      expect(await work.join({ timeoutMs: 0 })).toBe(true);
    });
  });

  test("a Queue in initargs reaches the initializer, once per worker, as in Python", async () => {
    const started = new Queue<string>("started");
    await withTestPool(
      {
        workers: 2,
        backend,
        initializer: async (q: QueueLike<string>) => {
          (globalThis as { log?: QueueLike<string> }).log = q;
          await q.put("ready");
        },
        initargs: [started],
      },
      async (pool) => {
        await pool.apply(async () => (globalThis as unknown as { log: QueueLike<string> }).log.put("task"), []);
        // the other worker's initializer may run before or after the task
        const seen = [await started.get(), await started.get(), await started.get()];
        expect(seen.sort()).toEqual(["ready", "ready", "task"]);
      },
    );
  });

  test("what a task took from a plain queue is done once it answers: a worker replaced after it (maxTasksPerChild) orphans nothing", async () => {
    await withTestPool({ workers: 1, backend, maxTasksPerChild: 1 }, async (pool) => {
      const jobs = new Queue<number>("jobs");
      for (const n of [1, 2]) await jobs.put(n);
      const take = async (q: QueueLike<number>): Promise<number> => q.get();
      expect(await pool.map(take, [jobs, jobs], { chunkSize: 1 })).toEqual([1, 2]);
      expect(jobs.orphans).toEqual([]);
    });
  });

  test("a worker that dies holding an item leaves it in the queue's orphans, and the pool carries on", async () => {
    await withTestPool({ workers: 1, backend }, async (pool) => {
      const jobs = new Queue<string>("jobs");
      await jobs.put("unfinished");
      const crash = await rejectionOf(pool.apply(async (q: QueueLike<string>) => {
        await q.get();
        process.exit(3);
      }, [jobs]));
      expect(crash).toBeInstanceOf(WorkerCrashedError);
      expect(jobs.orphans.map((o) => o.item)).toEqual(["unfinished"]);
      expect(jobs.requeueOrphans()).toBe(1);
      expect(await pool.apply(async (q: QueueLike<string>) => q.get(), [jobs])).toBe("unfinished");
    });
  });
});
