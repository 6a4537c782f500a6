/**
 * Queue: in its owner alone, and shared with Process workers on both
 * backends. Every test joins (or kills and joins) each worker it starts;
 * afterEach checks that nothing is left registered and afterAll that nothing
 * leaked at all.
 *
 * Inline targets are sent to the worker as source text, so they must be
 * self-contained: they cannot use the imports of this file (no `QueueEmpty`
 * class in the worker: they compare `error.name`). Running jest with coverage
 * would instrument their source and break them.
 *
 * Timings: a `get` with `timeoutMs` is only checked to have waited at least
 * about that long, never at most.
 */
import {
  Process,
  ProcessFailedError,
  Queue,
  QueueClosedError,
  QueueEmpty,
  InvalidOptionError,
  liveResourceCount,
  terminateAll,
  type Backend,
  type QueueLike,
} from "kernel-helpers";
import { rejectionOf, expectNoLeaks } from "../test-helpers";

const backends: Backend[] = ["process", "thread"];

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Numeric ascending sort, for comparing multisets. */
const sorted = (values: readonly number[]): number[] => [...values].sort((a, b) => a - b);

/** Clock slack allowed below a timeout (timer granularity), never above. */
const SLACK_MS = 25;

expectNoLeaks({ liveResourceCount, terminateAll });

describe("Queue in its owner (no worker)", () => {
  test("items come out in the order they were put", async () => {
    const q = new Queue<number>("fifo");
    for (let i = 0; i < 100; i++) await q.put(i);
    expect(q.length).toBe(100);
    expect(await q.size()).toBe(100);
    expect(await q.empty()).toBe(false);
    const out: number[] = [];
    for (let i = 0; i < 100; i++) out.push(await q.get());
    expect(out).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(await q.empty()).toBe(true);
  });

  test("a queue has a name, given or default, and each queue its own id", () => {
    const a = new Queue("named");
    const b = new Queue();
    expect(a.name).toBe("named");
    expect(b.name).toBe(`queue-${b.id}`);
    expect(a.id).not.toBe(b.id);
  });

  test("getNowait on an empty queue rejects with QueueEmpty", async () => {
    const q = new Queue<number>("empty");
    const error = await rejectionOf(q.getNowait());
    expect(error).toBeInstanceOf(QueueEmpty);
    expect((error as Error).name).toBe("QueueEmpty");
    expect((error as Error).message).toContain('"empty"');
  });

  test("get with block false, or with a zero timeout, on an empty queue rejects with QueueEmpty at once", async () => {
    const q = new Queue<number>();
    expect(await rejectionOf(q.get({ block: false }))).toBeInstanceOf(QueueEmpty);
    expect(await rejectionOf(q.get({ timeoutMs: 0 }))).toBeInstanceOf(QueueEmpty);
  });

  test("getNowait returns the oldest item when there is one", async () => {
    const q = new Queue<string>();
    await q.put("first");
    await q.put("second");
    expect(await q.getNowait()).toBe("first");
    expect(q.length).toBe(1);
  });

  test("a blocking get with timeoutMs rejects with QueueEmpty after about the timeout", async () => {
    const q = new Queue<number>("slow");
    const timeoutMs = 250;
    const started = performance.now();
    const error = await rejectionOf(q.get({ block: true, timeoutMs }));
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(QueueEmpty);
    expect((error as Error).message).toContain(`${timeoutMs} ms`);
    expect(elapsed).toBeGreaterThanOrEqual(timeoutMs - SLACK_MS);
  });

  test("a blocked get is answered by a later put, and its timeout no longer fires", async () => {
    const q = new Queue<string>();
    const pending = q.get({ timeoutMs: 5_000 });
    const forever = q.get();
    await sleep(50);
    await q.put("late item");
    await q.put("second late item");
    expect(await pending).toBe("late item");
    expect(await forever).toBe("second late item");
    expect(q.length).toBe(0);
  });

  test("several blocked gets are answered in the order they started waiting", async () => {
    const q = new Queue<number>();
    const waiting = [q.get(), q.get(), q.get()];
    for (const item of [10, 20, 30]) await q.put(item);
    expect(await Promise.all(waiting)).toEqual([10, 20, 30]);
  });

  test("a get that timed out does not swallow an item put later", async () => {
    const q = new Queue<number>();
    expect(await rejectionOf(q.get({ timeoutMs: 20 }))).toBeInstanceOf(QueueEmpty);
    await q.put(1);
    expect(q.length).toBe(1);
    expect(await q.getNowait()).toBe(1);
  });

  test.each([
    ["timeoutMs -1", { timeoutMs: -1 }, "`timeoutMs`"],
    ["timeoutMs 1.5", { timeoutMs: 1.5 }, "`timeoutMs`"],
    ["block 'yes'", { block: "yes" as unknown as boolean }, "`block`"],
  ])("get with %s rejects with InvalidOptionError naming the option", async (_label, options, option) => {
    const q = new Queue<number>();
    await q.put(1);
    const error = await rejectionOf(q.get(options));
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).option).toBe(option);
    expect(q.length).toBe(1); // the item was not taken
  });

  test("drain takes every waiting item at once, in order, without blocking", async () => {
    const q = new Queue<number>();
    expect(q.drain()).toEqual([]);
    for (const item of [3, 1, 2]) await q.put(item);
    expect(q.drain()).toEqual([3, 1, 2]);
    expect(q.length).toBe(0);
  });

  test("after close, put rejects with QueueClosedError and closed is true", async () => {
    const q = new Queue<number>("shut");
    expect(q.closed).toBe(false);
    q.close();
    expect(q.closed).toBe(true);
    const error = await rejectionOf(q.put(1));
    expect(error).toBeInstanceOf(QueueClosedError);
    expect((error as Error).message).toContain('"shut"');
    expect(q.length).toBe(0);
  });

  test("items put before close can still be taken; then get rejects with QueueClosedError instead of waiting", async () => {
    const q = new Queue<number>();
    await q.put(1);
    await q.put(2);
    q.close();
    expect(await q.get()).toBe(1);
    expect(await q.getNowait()).toBe(2);
    expect(await rejectionOf(q.get())).toBeInstanceOf(QueueClosedError);
    expect(await rejectionOf(q.get({ timeoutMs: 10_000 }))).toBeInstanceOf(QueueClosedError);
    expect(await rejectionOf(q.getNowait())).toBeInstanceOf(QueueClosedError);
  });

  test("close releases every waiting getter with QueueClosedError, including those with a timeout", async () => {
    const q = new Queue<number>();
    const waiting = [q.get(), q.get({ timeoutMs: 10_000 }), q.get({ block: true })];
    await sleep(20);
    q.close();
    for (const pending of waiting) {
      const error = await rejectionOf(pending);
      expect(error).toBeInstanceOf(QueueClosedError);
      expect(error).not.toBeInstanceOf(QueueEmpty);
    }
  });

  test("close can be called twice", async () => {
    const q = new Queue<number>();
    q.close();
    q.close();
    expect(await rejectionOf(q.put(1))).toBeInstanceOf(QueueClosedError);
  });

  test("a queue with no consumer ever dying has no orphans, and requeueOrphans does nothing", async () => {
    const q = new Queue<number>();
    await q.put(1);
    await q.get();
    await q.taskDone();
    expect(q.orphans).toEqual([]);
    expect(q.requeueOrphans()).toBe(0);
    expect(q.length).toBe(0);
  });
});

describe.each(backends)("Queue shared with %s workers", (backend) => {
  /** Starts a Process on this backend. */
  const run = (target: ConstructorParameters<typeof Process>[0]["target"], args: unknown[], name?: string): Process =>
    new Process({ target, args, backend, ...(name ? { name } : {}) }).start();

  describe("ordering", () => {
    test("N producers each put [id, sum]; sorted by id, every id appears exactly once", async () => {
      const results = new Queue<[number, number]>("results");
      const ids = [0, 1, 2, 3];
      const count = 20_000;
      const workers = ids.map((id) => run("sumRandomNumbersToQueue", [id, count, results]));
      const got: [number, number][] = [];
      for (let i = 0; i < ids.length; i++) got.push(await results.get({ timeoutMs: 20_000 }));
      expect(await Promise.all(workers.map((p) => p.join()))).toEqual(ids.map(() => true));
      got.sort((a, b) => a[0] - b[0]);
      expect(got.map(([id]) => id)).toEqual(ids);
      for (const [, sum] of got) {
        expect(sum).toBeGreaterThan(0);
        expect(sum).toBeLessThan(count);
      }
      expect(results.length).toBe(0);
    });

    test("reading the results after join works too (the queue holds them)", async () => {
      const results = new Queue<[number, number]>();
      const workers = [7, 8].map((id) => run("sumRandomNumbersToQueue", [id, 1_000, results]));
      await Promise.all(workers.map((p) => p.join()));
      expect(results.length).toBe(2);
      expect(sorted(results.drain().map(([id]) => id))).toEqual([7, 8]);
    });

    test("a single producer's items come out FIFO", async () => {
      const out = new Queue<number>("fifo");
      const n = 300;
      const p = run(
        async (count: number, q: QueueLike<number>) => {
          for (let i = 0; i < count; i++) await q.put(i);
        },
        [n, out],
      );
      const got: number[] = [];
      for (let i = 0; i < n; i++) got.push(await out.get({ timeoutMs: 20_000 }));
      expect(await p.join()).toBe(true);
      expect(got).toEqual(Array.from({ length: n }, (_, i) => i));
    });

    test("a single producer's puts sent without waiting for each reply still come out FIFO", async () => {
      const out = new Queue<number>();
      const n = 300;
      const p = run(
        async (count: number, q: QueueLike<number>) => {
          const puts: Promise<void>[] = [];
          for (let i = 0; i < count; i++) puts.push(q.put(i));
          await Promise.all(puts);
        },
        [n, out],
      );
      expect(await p.join()).toBe(true);
      expect(out.drain()).toEqual(Array.from({ length: n }, (_, i) => i));
    });

    test("two producers interleave, but each one's items keep their order", async () => {
      const out = new Queue<[number, number]>();
      const n = 150;
      const producer = async (id: number, count: number, q: QueueLike<[number, number]>): Promise<void> => {
        for (let i = 0; i < count; i++) await q.put([id, i]);
      };
      const workers = [0, 1].map((id) => run(producer, [id, n, out]));
      await Promise.all(workers.map((p) => p.join()));
      const got = out.drain();
      expect(got).toHaveLength(2 * n);
      for (const id of [0, 1]) {
        expect(got.filter(([who]) => who === id).map(([, i]) => i)).toEqual(Array.from({ length: n }, (_, i) => i));
      }
    });
  });

  describe("several consumers: no item lost or duplicated", () => {
    test("4 sumRandomNumbersJob workers on one input queue consume exactly the multiset put in", async () => {
      const input = new Queue<number>("input");
      const output = new Queue<[[number, number], number]>("output");
      // 500 values with repeats, so a duplicate or a loss changes the multiset.
      const values = Array.from({ length: 500 }, (_, i) => (i * 7) % 100);
      for (const v of values) await input.put(v);
      const unit = 50;
      const jobs = [0, 1, 2, 3].map((jobId) => run("sumRandomNumbersJob", [jobId, unit, input, output]));
      expect(await Promise.all(jobs.map((p) => p.join()))).toEqual([true, true, true, true]);
      const results = output.drain();
      expect(results).toHaveLength(values.length);
      expect(sorted(results.map(([[, v]]) => v))).toEqual(sorted(values));
      for (const [[jobId, v], sum] of results) {
        expect([0, 1, 2, 3]).toContain(jobId);
        expect(sum).toBeGreaterThanOrEqual(0);
        expect(sum).toBeLessThanOrEqual(v * unit);
      }
      expect(input.length).toBe(0);
      expect(input.orphans).toEqual([]);
    });

    test("3 blocking consumers fed while they run and released by close take every item exactly once", async () => {
      const input = new Queue<number>("feed");
      const output = new Queue<[string, number]>("taken");
      const consumer = async (who: string, q: QueueLike<number>, out: QueueLike<[string, number]>): Promise<void> => {
        for (;;) {
          let v: number;
          try {
            v = await q.get();
          } catch (error) {
            if ((error as Error).name === "QueueClosedError") return;
            throw error;
          }
          await out.put([who, v]);
        }
      };
      const workers = ["a", "b", "c"].map((who) => run(consumer, [who, input, output]));
      const values = Array.from({ length: 300 }, (_, i) => i % 37);
      for (const v of values) await input.put(v);
      input.close();
      expect(await Promise.all(workers.map((p) => p.join()))).toEqual([true, true, true]);
      expect(sorted(output.drain().map(([, v]) => v))).toEqual(sorted(values));
      expect(input.length).toBe(0);
      expect(input.orphans).toEqual([]);
    });
  });

  describe("QueueEmpty and blocking gets", () => {
    test("getNowait in a worker on an empty queue rejects with QueueEmpty there", async () => {
      const q = new Queue<number>("nothing");
      const out = new Queue<unknown>();
      const p = run(
        async (input: QueueLike<number>, report: QueueLike<unknown>) => {
          const empty = await input.empty();
          const size = await input.size();
          try {
            await input.getNowait();
            await report.put(["no error", empty, size]);
          } catch (error) {
            const e = error as Error;
            await report.put([e.name, e.message, empty, size]);
          }
        },
        [q, out],
      );
      expect(await p.join()).toBe(true);
      expect(out.drain()).toEqual([["QueueEmpty", expect.stringContaining('"nothing"'), true, 0]]);
    });

    test("a worker's size and empty see the owner's items", async () => {
      const q = new Queue<number>();
      for (const item of [1, 2, 3]) await q.put(item);
      const out = new Queue<[number, boolean]>();
      const p = run(
        async (input: QueueLike<number>, report: QueueLike<[number, boolean]>) => {
          await report.put([await input.size(), await input.empty()]);
        },
        [q, out],
      );
      expect(await p.join()).toBe(true);
      expect(out.drain()).toEqual([[3, false]]);
      expect(q.length).toBe(3);
    });

    test("a worker's get with timeoutMs rejects with QueueEmpty after about the timeout", async () => {
      const q = new Queue<number>();
      const out = new Queue<[string, number]>();
      const timeoutMs = 300;
      const p = run(
        async (input: QueueLike<number>, report: QueueLike<[string, number]>, ms: number) => {
          const started = Date.now();
          try {
            await input.get({ block: true, timeoutMs: ms });
            await report.put(["no error", Date.now() - started]);
          } catch (error) {
            await report.put([(error as Error).name, Date.now() - started]);
          }
        },
        [q, out, timeoutMs],
      );
      expect(await p.join()).toBe(true);
      const [[name, elapsed]] = out.drain() as [[string, number]];
      expect(name).toBe("QueueEmpty");
      expect(elapsed).toBeGreaterThanOrEqual(timeoutMs - SLACK_MS);
    });

    test("a get blocked in the owner is answered when a worker puts an item", async () => {
      const q = new Queue<[number, number]>();
      const pending = q.get({ timeoutMs: 30_000 });
      await sleep(30);
      const p = run("sumRandomNumbersToQueue", [5, 100, q]);
      const [id, sum] = await pending;
      expect(id).toBe(5);
      expect(sum).toBeLessThan(100);
      expect(await p.join()).toBe(true);
    });

    test("a get blocked in a worker is answered when the owner puts an item later", async () => {
      const q = new Queue<number>();
      const out = new Queue<string | number>();
      const p = run(
        async (input: QueueLike<number>, report: QueueLike<string | number>) => {
          await report.put("waiting");
          const v = await input.get();
          await report.put(v * 2);
        },
        [q, out],
      );
      expect(await out.get({ timeoutMs: 20_000 })).toBe("waiting");
      await sleep(150); // the worker's get is (almost surely) waiting by now
      expect(p.isAlive()).toBe(true);
      await q.put(21);
      expect(await out.get({ timeoutMs: 20_000 })).toBe(42);
      expect(await p.join()).toBe(true);
    });

    test("a get blocked in a worker is answered by another worker's put", async () => {
      const q = new Queue<number>();
      const out = new Queue<number>();
      const consumer = run(
        async (input: QueueLike<number>, report: QueueLike<number>) => {
          await report.put(-1);
          await report.put((await input.get()) + 1);
        },
        [q, out],
      );
      expect(await out.get({ timeoutMs: 20_000 })).toBe(-1);
      const producer = run(
        async (target: QueueLike<number>) => {
          await target.put(99);
        },
        [q],
      );
      expect(await out.get({ timeoutMs: 20_000 })).toBe(100);
      expect(await Promise.all([consumer.join(), producer.join()])).toEqual([true, true]);
    });
  });

  describe("close() seen from workers", () => {
    test("a worker's put on a shut-down queue: its next queue call rejects with QueueClosedError there, and the item is not in the queue", async () => {
      // a put to a queue without a maxsize is not waited for (as Python's put); its failure comes with the next call
      const q = new Queue<number>("closed");
      q.close();
      const out = new Queue<string>();
      const p = run(
        async (target: QueueLike<number>, report: QueueLike<string>) => {
          await target.put(1);
          try {
            await target.size(); // the owner's answer comes after the put's failure: the channel keeps order
            await report.put("put accepted");
          } catch (error) {
            await report.put((error as Error).name);
          }
        },
        [q, out],
      );
      expect(await p.join()).toBe(true);
      expect(out.drain()).toEqual(["QueueClosedError"]);
      expect(q.length).toBe(0);
    });

    test("a worker whose last call was a put on a shut-down queue fails with QueueClosedError when its target ends", async () => {
      const q = new Queue<number>("closed at the end");
      q.close();
      const p = run(async (target: QueueLike<number>) => {
        await target.put(1);
      }, [q]);
      const error = await rejectionOf(p.join());
      expect(error).toBeInstanceOf(ProcessFailedError);
      expect((error as Error).message).toContain("QueueClosedError");
      expect(q.length).toBe(0);
    });

    test("a put to a queue with a maxsize is still waited for: a shut-down queue rejects it at once", async () => {
      const q = new Queue<number>({ name: "bounded", maxsize: 5 });
      q.close();
      const out = new Queue<string>();
      const p = run(
        async (target: QueueLike<number>, report: QueueLike<string>) => {
          await target.put(1).then(() => report.put("put accepted"), (error: Error) => report.put(error.name));
        },
        [q, out],
      );
      expect(await p.join()).toBe(true);
      expect(out.drain()).toEqual(["QueueClosedError"]);
    });

    test("a worker waiting in get is released with QueueClosedError when the owner closes the queue", async () => {
      const q = new Queue<number>();
      const out = new Queue<string>();
      const p = run(
        async (input: QueueLike<number>, report: QueueLike<string>) => {
          await report.put("waiting");
          try {
            await input.get();
            await report.put("got an item");
          } catch (error) {
            await report.put((error as Error).name);
          }
        },
        [q, out],
      );
      expect(await out.get({ timeoutMs: 20_000 })).toBe("waiting");
      await sleep(150);
      q.close();
      expect(await out.get({ timeoutMs: 20_000 })).toBe("QueueClosedError");
      expect(await p.join()).toBe(true);
    });

    test("a worker can still take the items put before close, then gets QueueClosedError", async () => {
      const q = new Queue<number>();
      for (const item of [1, 2, 3]) await q.put(item);
      q.close();
      const out = new Queue<[number[], string]>();
      const p = run(
        async (input: QueueLike<number>, report: QueueLike<[number[], string]>) => {
          const taken: number[] = [];
          for (;;) {
            try {
              taken.push(await input.get());
            } catch (error) {
              await report.put([taken, (error as Error).name]);
              return;
            }
          }
        },
        [q, out],
      );
      expect(await p.join()).toBe(true);
      expect(out.drain()).toEqual([[[1, 2, 3], "QueueClosedError"]]);
    });
  });

  describe("items in hand", () => {
    test("a consumer that ends normally leaves no orphans, even without taskDone", async () => {
      const q = new Queue<number>();
      await q.put(1);
      const p = run(
        async (input: QueueLike<number>) => {
          await input.get();
        },
        [q],
      );
      expect(await p.join()).toBe(true);
      expect(q.orphans).toEqual([]);
    });

    test("an item settled with taskDone is not orphaned when the consumer then exits with an error code", async () => {
      const q = new Queue<number>();
      await q.put(1);
      const p = run(
        async (input: QueueLike<number>) => {
          await input.get();
          await input.taskDone();
          process.exit(3);
        },
        [q],
      );
      const error = (await rejectionOf(p.join())) as ProcessFailedError;
      expect(error).toBeInstanceOf(ProcessFailedError);
      expect(error.exitCode).toBe(3);
      expect(error.orphanedItems).toEqual([]);
      expect(q.orphans).toEqual([]);
    });

    test("an item is settled by the consumer's next get, even one that finds the queue empty", async () => {
      const q = new Queue<number>();
      await q.put(1);
      const p = run(
        async (input: QueueLike<number>) => {
          await input.get();
          await input.getNowait().catch(() => undefined);
          process.exit(4);
        },
        [q],
      );
      const error = (await rejectionOf(p.join())) as ProcessFailedError;
      expect(error).toBeInstanceOf(ProcessFailedError);
      expect(error.exitCode).toBe(4);
      expect(error.orphanedItems).toEqual([]);
      expect(q.orphans).toEqual([]);
    });

    test("an item taken by a consumer that exits with an error code is an orphan until requeued", async () => {
      const q = new Queue<string>("work");
      for (const item of ["x", "y"]) await q.put(item);
      const p = run(
        async (input: QueueLike<string>) => {
          await input.get();
          process.exit(3);
        },
        [q],
        "quitter",
      );
      const error = (await rejectionOf(p.join())) as ProcessFailedError;
      expect(error).toBeInstanceOf(ProcessFailedError);
      expect(error.exitCode).toBe(3);
      expect(error.orphanedItems).toEqual([{ queue: "work", item: "x" }]);
      expect(q.orphans).toEqual([{ item: "x", consumer: "quitter" }]);
      expect(q.length).toBe(1);
      expect(q.requeueOrphans()).toBe(1);
      expect(q.orphans).toEqual([]);
      expect(q.drain()).toEqual(["y", "x"]); // put back at the end
    });

    test("a killed consumer's pending get is withdrawn, so a later item stays in the queue", async () => {
      const q = new Queue<number>();
      const out = new Queue<string>();
      const p = run(
        async (input: QueueLike<number>, report: QueueLike<string>) => {
          await report.put("waiting");
          await input.get();
          await report.put("got an item");
        },
        [q, out],
      );
      expect(await out.get({ timeoutMs: 20_000 })).toBe("waiting");
      await sleep(150);
      p.kill();
      expect(await p.join()).toBe(true);
      await q.put(5);
      expect(q.length).toBe(1);
      expect(await q.getNowait()).toBe(5);
      expect(out.drain()).toEqual([]);
      expect(q.orphans).toEqual([]);
    });
  });
});
