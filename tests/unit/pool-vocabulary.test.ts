/**
 * The Pool's streaming and cancelling vocabulary on both backends: `imap`
 * and `imapUnordered` (order, chunks, bounded look-ahead, progress, leaving
 * the loop, async input), and the `signal` option of every submitting
 * method, from one shared table. (Per-worker set-up, options, errors and
 * lifetime: pool-vocabulary-workers.test.ts.)
 *
 * No assertion on time: tasks that must be "running" write a marker file and
 * the test waits for it; a look-ahead bound is checked by counting the items
 * an endless generator gave.
 */
import { getEventListeners } from "node:events";
import { Pool, TaskCancelledError, UnsendableValueError, liveResourceCount, terminateAll } from "kernel-helpers";
import { expectNoLeaks, rejectionOf } from "../test-helpers";
import { backends, collect, isAlive, range, startThenLoopForever, until, useMarkers, withTestPool, workerId } from "../pool-test-helpers";

expectNoLeaks({ liveResourceCount, terminateAll });
const markers = useMarkers();

const square = (x: number): number => x * x;
/** Squares, the later items finishing first. */
const slowSquare = async (x: number): Promise<number> => {
  await new Promise((resolve) => setTimeout(resolve, (9 - (x % 10)) * 3));
  return x * x;
};

describe.each(backends)("imap and imapUnordered with %s workers", (backend) => {
  test("imap yields every result in input order, even when later items finish first", async () => {
    await withTestPool({ workers: 3, backend }, async (pool) => {
      expect(await collect(pool.imap(slowSquare, range(10), { chunkSize: 1 }))).toEqual(range(10).map(square));
    });
  });

  test("imapUnordered yields every result once, whatever the order", async () => {
    await withTestPool({ workers: 3, backend }, async (pool) => {
      const results = await collect(pool.imapUnordered(slowSquare, range(10), { chunkSize: 1 }));
      expect([...results].sort((a, b) => a - b)).toEqual(range(10).map(square));
    });
  });

  test.each([
    ["imap", true],
    ["imapUnordered", false],
  ] as const)("%s sends items in chunks of chunkSize: one progress call per chunk, ending at the total", async (method, ordered) => {
    await withTestPool({ workers: 2, backend }, async (pool) => {
      const calls: [number, number | undefined][] = [];
      const results = await collect(pool[method](square, range(10), { chunkSize: 3, onProgress: (done, total) => calls.push([done, total]) }));
      expect(ordered ? results : [...results].sort((a, b) => a - b)).toEqual(range(10).map(square));
      expect(calls).toHaveLength(4); // 3 + 3 + 3 + 1
      expect(calls.map(([done]) => done)).toEqual([...calls.map(([done]) => done)].sort((a, b) => a - b));
      expect(calls.at(-1)).toEqual([10, 10]);
    });
  });

  test("progress over a generator learns the total once the input has ended, even with a look-ahead of one chunk", async () => {
    await withTestPool({ workers: 2, backend }, async (pool) => {
      const calls: [number, number | undefined][] = [];
      function* six(): Generator<number> {
        yield* range(6);
      }
      const results = await collect(pool.imap(square, six(), { chunkSize: 2, lookAhead: 1, onProgress: (done, total) => calls.push([done, total]) }));
      expect(results).toEqual(range(6).map(square));
      expect(calls.at(-1)).toEqual([6, 6]);
    });
  });

  test("an endless generator is read no further than the look-ahead allows", async () => {
    await withTestPool({ workers: 2, backend }, async (pool) => {
      let pulled = 0;
      let closed = false;
      function* endless(): Generator<number> {
        try {
          for (let i = 0; ; i++) {
            pulled++;
            yield i;
          }
        } finally {
          closed = true;
        }
      }
      const chunkSize = 2;
      const lookAhead = 3;
      const stream = pool.imap(square, endless(), { chunkSize, lookAhead });
      expect((await stream.next()).value).toBe(0);
      // one chunk handed out, `lookAhead` read behind it; once they are all answered nothing more is read
      await until(() => pulled >= (1 + lookAhead) * chunkSize && pool.stats().busyWorkers === 0 && pool.stats().pendingTasks === 0);
      await new Promise((resolve) => setImmediate(resolve));
      expect(pulled).toBe((1 + lookAhead) * chunkSize);
      const taken = [0];
      for await (const value of stream) {
        taken.push(value);
        if (taken.length === 7) break;
      }
      expect(taken).toEqual(range(7).map(square));
      expect(pulled).toBeLessThanOrEqual((4 + lookAhead) * chunkSize); // 4 chunks handed out, `lookAhead` behind them
      expect(closed).toBe(true); // the generator's finally ran when the loop was left
    });
  });

  test.each(["imap", "imapUnordered"] as const)("breaking out of %s drops the queued chunks and leaves no worker busy", async (method) => {
    await withTestPool({ workers: 1, backend }, async (pool) => {
      // a task of some length: the scheduler sends only quick jobs (under a millisecond) ahead to a worker
      const countRuns = async (x: number): Promise<number> => {
        const g = globalThis as { runs?: number };
        g.runs = (g.runs ?? 0) + 1;
        await new Promise((resolve) => setTimeout(resolve, 20));
        return x;
      };
      for await (const value of pool[method](countRuns, range(20), { chunkSize: 1, lookAhead: 10 })) {
        expect(value).toBe(0);
        break;
      }
      expect(pool.stats().pendingTasks).toBe(0);
      // the one chunk already sent when the loop was left ran; none of the 8 queued did
      const runs = await pool.apply(() => (globalThis as { runs?: number }).runs, []);
      expect(runs).toBe(2);
      expect(pool.stats()).toMatchObject({ busyWorkers: 0, pendingTasks: 0, totalWorkers: 1 });
    });
  });

  test("an item that cannot travel ends imap at its place with UnsendableValueError; the pool goes on", async () => {
    await withTestPool({ workers: 2, backend }, async (pool) => {
      const seen: string[] = [];
      const error = await rejectionOf(
        (async () => {
          for await (const kind of pool.imap((x: unknown) => typeof x, [1, "two", () => 3, 4], { chunkSize: 1 })) seen.push(kind);
        })(),
      );
      expect(error).toBeInstanceOf(UnsendableValueError);
      expect((error as Error).message).toContain("items[2]");
      expect(seen).toEqual(["number", "string"]);
      expect(await pool.map(square, [3])).toEqual([9]);
    });
  });

  test("terminate() while a loop waits on imap rejects the loop with TaskCancelledError", async () => {
    await withTestPool({ workers: 1, backend }, async (pool) => {
      const marker = markers.path();
      const stream = pool.imap(startThenLoopForever, [marker, markers.path()], { chunkSize: 1 });
      const next = rejectionOf(stream.next());
      await until(() => markers.read(marker) !== undefined);
      await pool.terminate();
      expect(await next).toBeInstanceOf(TaskCancelledError);
    });
  });

  test("close() + join() with an imap not yet read runs the rest of its input; the loop then reads every result", async () => {
    const pool = new Pool({ workers: 2, backend });
    const stream = pool.imap(square, range(20), { chunkSize: 1, lookAhead: 2 });
    pool.close();
    await pool.join();
    expect(pool.state).toBe("joined");
    expect(await collect(stream)).toEqual(range(20).map(square));
  });

  test("imap and imapUnordered read an async iterable", async () => {
    await withTestPool({ workers: 2, backend }, async (pool) => {
      async function* numbers(): AsyncGenerator<number> {
        for (const i of range(8)) {
          await new Promise((resolve) => setImmediate(resolve));
          yield i;
        }
      }
      expect(await collect(pool.imap(square, numbers(), { chunkSize: 3 }))).toEqual(range(8).map(square));
      expect((await collect(pool.imapUnordered(square, numbers()))).sort((a, b) => a - b)).toEqual(range(8).map(square));
    });
  });
});

type Submit = (pool: Pool, markers: string[], signal: AbortSignal) => Promise<unknown>;
/** Each submitting method, given one marker per call (a map gets four items, more than the two workers). */
const submitters: [string, number, Submit][] = [
  ["applyAsync", 1, (pool, [m], signal) => pool.applyAsync(startThenLoopForever, [m!], { signal }).get()],
  ["apply", 1, (pool, [m], signal) => pool.apply(startThenLoopForever, [m!], { signal })],
  ["map", 4, (pool, ms, signal) => pool.map(startThenLoopForever, ms, { signal, chunkSize: 1 })],
  ["starmap", 4, (pool, ms, signal) => pool.starmap(startThenLoopForever, ms.map((m) => [m] as [string]), { signal, chunkSize: 1 })],
  ["imap", 4, (pool, ms, signal) => collect(pool.imap(startThenLoopForever, ms, { signal, chunkSize: 1 }))],
  ["imapUnordered", 4, (pool, ms, signal) => collect(pool.imapUnordered(startThenLoopForever, ms, { signal, chunkSize: 1 }))],
];

describe.each(backends)("the signal option with %s workers", (backend) => {
  test.each(submitters)("%s: abort(reason) stops the running calls' workers, drops the queued ones, and the pool goes on", async (_method, calls, submit) => {
    await withTestPool({ workers: 2, backend }, async (pool) => {
      const ms = Array.from({ length: calls }, () => markers.path());
      const controller = new AbortController();
      const outcome = rejectionOf(submit(pool, ms, controller.signal));
      const running = ms.slice(0, Math.min(calls, 2));
      await until(() => running.every((m) => markers.read(m) !== undefined));
      controller.abort("the user pressed stop");
      const error = await outcome;
      expect(error).toBeInstanceOf(TaskCancelledError);
      expect(error).toMatchObject({ reason: "the user pressed stop", cause: "the user pressed stop" });
      expect((error as Error).message).toContain("the user pressed stop");
      expect(pool.stats()).toMatchObject({ busyWorkers: 0, pendingTasks: 0, totalWorkers: 2 });
      expect(ms.slice(running.length).map((m) => markers.read(m))).toEqual(ms.slice(running.length).map(() => undefined));
      // fresh workers run the next tasks; the stopped ones are gone
      const stopped = running.map((m) => markers.read(m)!);
      const now = await pool.map(workerId, range(6), { chunkSize: 1 });
      expect(now.filter((id) => stopped.includes(id))).toEqual([]);
      if (backend === "process") {
        const pids = stopped.map((id) => Number(id.split(":")[0]));
        await until(() => pids.every((pid) => !isAlive(pid)));
      }
    });
  });

  test.each(submitters)("%s: AbortSignal.timeout cancels with TaskCancelledError whose reason is the TimeoutError", async (_method, calls, submit) => {
    await withTestPool({ workers: 2, backend }, async (pool) => {
      const ms = Array.from({ length: calls }, () => markers.path());
      const error = await rejectionOf(submit(pool, ms, AbortSignal.timeout(50)));
      expect(error).toBeInstanceOf(TaskCancelledError);
      expect((error as TaskCancelledError).reason).toHaveProperty("name", "TimeoutError");
      expect(pool.stats()).toMatchObject({ busyWorkers: 0, pendingTasks: 0 });
      expect(await pool.apply(square, [7])).toBe(49);
    });
  });

  test("a signal shared by calls that finished, or by a loop that was left, keeps no listener (nothing piles up on it)", async () => {
    await withTestPool({ workers: 2, backend }, async (pool) => {
      const { signal } = new AbortController();
      const calls: (() => Promise<unknown>)[] = [
        () => pool.applyAsync(square, [2], { signal }).get(),
        () => pool.apply(square, [2], { signal }),
        () => pool.map(square, range(5), { signal }),
        () => pool.starmap(square, [[1], [2]], { signal }),
        () => collect(pool.imap(square, range(5), { signal })),
        () => collect(pool.imapUnordered(square, range(5), { signal })),
        async () => {
          for await (const value of pool.imap(square, range(50), { signal, chunkSize: 1 })) return value;
        },
      ];
      for (const call of calls) {
        await call();
        expect(getEventListeners(signal, "abort")).toHaveLength(0);
      }
    });
  });

  test.each(submitters)("%s: an already aborted signal rejects at once and runs nothing", async (_method, calls, submit) => {
    await withTestPool({ workers: 2, backend }, async (pool) => {
      const ms = Array.from({ length: calls }, () => markers.path());
      const error = await rejectionOf(submit(pool, ms, AbortSignal.abort("too late")));
      expect(error).toBeInstanceOf(TaskCancelledError);
      expect(error).toMatchObject({ reason: "too late" });
      expect(pool.stats()).toMatchObject({ busyWorkers: 0, pendingTasks: 0 });
      expect(await pool.map(square, [1, 2, 3])).toEqual([1, 4, 9]);
      expect(ms.map((m) => markers.read(m))).toEqual(ms.map(() => undefined));
    });
  });

  test.each(submitters)("%s: aborting calls still queued behind a busy worker drops them and leaves the running task alone", async (_method, calls, submit) => {
    await withTestPool({ workers: 1, backend }, async (pool) => {
      const blocker = markers.path();
      const blocking = pool.applyAsync(startThenLoopForever, [blocker]);
      await until(() => markers.read(blocker) !== undefined);
      const ms = Array.from({ length: calls }, () => markers.path());
      const controller = new AbortController();
      const outcome = rejectionOf(submit(pool, ms, controller.signal));
      await until(() => pool.stats().pendingTasks > 0);
      controller.abort(new Error("no longer needed"));
      const error = await outcome;
      expect(error).toBeInstanceOf(TaskCancelledError);
      expect((error as TaskCancelledError).reason).toHaveProperty("message", "no longer needed");
      expect(pool.stats()).toMatchObject({ busyWorkers: 1, pendingTasks: 0 });
      expect(blocking.ready()).toBe(false);
      expect(ms.map((m) => markers.read(m))).toEqual(ms.map(() => undefined));
      await pool.terminate();
      expect(await rejectionOf(blocking.get())).toBeInstanceOf(TaskCancelledError);
    });
  });
});
