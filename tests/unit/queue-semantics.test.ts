/**
 * Queue semantics as a porter from Python expects them: `maxsize` with
 * `full()`, `putNowait()` and waiting `put`s (Python's `put(item, block,
 * timeout)`), `QueueFull`; `JoinableQueue` with `taskDone()`/`join()` and
 * `ExtraTaskDoneError` (Python's ValueError); `shutdown()` (Python 3.13)
 * releasing waiting puts. Each semantic is one case of a shared table, run
 * in three places: by the owner on its own queue, and by a Process of each
 * backend through its proxy. Then the checks that need both sides at once
 * (a producer blocked on the owner, a consumer dying before `taskDone`...),
 * on both backends.
 *
 * Case bodies travel to workers as source text: they use nothing from this
 * file and compare errors by `name`. No test asserts a duration.
 */
import {
  ExtraTaskDoneError,
  InvalidOptionError,
  JoinableQueue,
  Process,
  ProcessFailedError,
  Queue,
  QueueClosedError,
  QueueFull,
  liveResourceCount,
  terminateAll,
  type Backend,
  type JoinableQueueLike,
  type QueueLike,
} from "kernel-helpers";
import { rejectionOf, thrownBy, expectNoLeaks } from "../test-helpers";

const backends: Backend[] = ["process", "thread"];

expectNoLeaks({ liveResourceCount, terminateAll });

/** A case's body: the calls under test, made where the case runs; it puts what it saw on `report`. */
type Body = (q: JoinableQueueLike<number>, report: QueueLike<unknown>) => Promise<void>;

interface Case {
  name: string;
  /** The queue, made in the owner, and filled with `items` before the body runs. */
  queue: () => Queue<number>;
  items?: number[];
  body: Body;
  /** What the body reports. */
  reports: unknown;
  /** What is left in the queue afterwards (taken by the owner with drain()). */
  left?: number[];
}

const bounded = (maxsize: number) => (): Queue<number> => new Queue<number>("bounded", { maxsize });
const joinable = (): Queue<number> => new JoinableQueue<number>("jobs");

const cases: Case[] = [
  {
    name: "full() is true with maxsize items in the queue; putNowait then rejects with QueueFull and puts nothing",
    queue: bounded(2),
    items: [1, 2],
    body: async (q, report) => {
      const full = await q.full();
      const error = await q.putNowait(3).then(() => "no error", (e: Error) => e.name);
      await report.put([full, error, await q.size()]);
    },
    reports: [true, "QueueFull", 2],
    left: [1, 2],
  },
  {
    name: "full() is false below maxsize, and always without one (maxsize 0 is no limit, as in Python)",
    queue: bounded(3),
    items: [1, 2],
    body: async (q, report) => {
      await report.put([await q.full(), await q.empty()]);
    },
    reports: [false, false],
    left: [1, 2],
  },
  {
    name: "put with block false on a full queue rejects with QueueFull at once (Python: put(item, False))",
    queue: bounded(1),
    items: [1],
    body: async (q, report) => {
      await report.put(await q.put(2, { block: false }).then(() => "no error", (e: Error) => [e.name, e.message.includes('"bounded"')]));
    },
    reports: ["QueueFull", true],
    left: [1],
  },
  {
    name: "put with timeoutMs on a full queue rejects with QueueFull once the time is up, and the item is not put",
    queue: bounded(1),
    items: [1],
    body: async (q, report) => {
      await report.put(await q.put(2, { timeoutMs: 100 }).then(() => "no error", (e: Error) => [e.name, e.message.includes("100 ms")]));
    },
    reports: ["QueueFull", true],
    left: [1],
  },
  {
    name: "put on a full queue waits, and adds its item after the others once a get makes room",
    queue: bounded(2),
    items: [1, 2],
    body: async (q, report) => {
      const waiting = q.put(3);
      const got = await q.get();
      await waiting;
      await report.put([got, await q.size(), await q.full()]);
    },
    reports: [1, 2, true],
    left: [2, 3],
  },
  {
    name: "puts waiting for room are admitted in the order they started waiting",
    queue: bounded(1),
    items: [1],
    body: async (q, report) => {
      const waiting = [q.put(2, { timeoutMs: 60_000 }), q.put(3)];
      const got = [await q.get(), await q.get()];
      await Promise.all(waiting);
      await report.put(got);
    },
    reports: [1, 2],
    left: [3],
  },
  {
    name: "join resolves true once every item put has been marked done with taskDone, and false before",
    queue: joinable,
    items: [1, 2],
    body: async (q, report) => {
      const before = await q.join({ timeoutMs: 0 });
      await q.get();
      await q.taskDone();
      const halfway = await q.join({ timeoutMs: 50 });
      await q.get();
      await q.taskDone();
      await report.put([before, halfway, await q.join()]);
    },
    reports: [false, false, true],
    left: [],
  },
  {
    name: "taskDone called more times than items were put rejects with ExtraTaskDoneError (Python: ValueError)",
    queue: joinable,
    items: [7],
    body: async (q, report) => {
      await q.get();
      await q.taskDone();
      const extra = await q.taskDone().then(() => "no error", (e: Error) => [e.name, e.message.includes("too many times")]);
      await report.put([extra, await q.join()]);
    },
    reports: [["ExtraTaskDoneError", true], true],
    left: [],
  },
  {
    name: "on a plain queue taskDone never rejects (it only settles the items in hand) and there is no join",
    queue: bounded(0),
    items: [1],
    body: async (q, report) => {
      await q.get();
      await q.taskDone();
      await q.taskDone();
      await report.put(typeof q.join);
    },
    reports: "undefined",
    left: [],
  },
  {
    name: "mistaken options are refused with InvalidOptionError naming the option, and nothing is put or taken",
    queue: joinable,
    items: [1],
    body: async (q, report) => {
      const option = (call: () => Promise<unknown>): Promise<unknown> =>
        call().then(() => "no error", (e: Error & { option?: string }) => [e.name, e.option]);
      const bad = (value: unknown): never => value as never; // what a plain-JavaScript caller could pass
      await report.put([
        await option(() => q.put(2, bad({ timeout: 5 }))),
        await option(() => q.put(2, bad({ block: "no" }))),
        await option(() => q.put(2, bad(false))),
        await option(() => q.get({ timeoutMs: -1 })),
        await option(() => q.get({ timeoutMs: 1.5 })),
        await option(() => q.join({ timeoutMs: bad("5") })),
      ]);
    },
    reports: [
      ["InvalidOptionError", "`timeout`"],
      ["InvalidOptionError", "`block`"],
      ["InvalidOptionError", "`options`"],
      ["InvalidOptionError", "`timeoutMs`"],
      ["InvalidOptionError", "`timeoutMs`"],
      ["InvalidOptionError", "`timeoutMs`"],
    ],
    left: [1],
  },
];

type Place = "the owner" | Backend;
const places: Place[] = ["the owner", ...backends];

describe.each(places)("called by %s", (place) => {
  test.each(cases)("$name", async (c) => {
    const q = c.queue();
    for (const item of c.items ?? []) await q.put(item);
    const report = new Queue<unknown>("report");
    if (place === "the owner") {
      await c.body(q as unknown as JoinableQueueLike<number>, report);
    } else {
      const p = new Process({ target: c.body, args: [q, report], backend: place }).start();
      expect(await p.join()).toBe(true);
    }
    expect(report.drain()).toEqual([c.reports]);
    if (c.left) expect(q.drain()).toEqual(c.left);
  });
});

describe("queue options, in the owner", () => {
  test.each([
    ["a negative maxsize", () => new Queue({ maxsize: -1 }), "`maxsize`", "`-1`"],
    ["a fractional maxsize", () => new Queue("q", { maxsize: 1.5 }), "`maxsize`", "`1.5`"],
    ["maxsize as text", () => new Queue({ maxsize: "3" as unknown as number }), "`maxsize`", '`"3"`'],
    ["a misspelt maxSize", () => new Queue({ maxSize: 3 } as never), "`maxSize`", "`maxsize`"],
    ["the name given twice", () => new Queue("q", { name: "again" } as never), "`name`", "`maxsize`"],
    ["Python's positional maxsize", () => new Queue(5 as never), "`options`", "`5`"],
    ["an empty name", () => new JoinableQueue(""), "`name`", "`new JoinableQueue`"],
  ])("%s is refused with InvalidOptionError naming the option", (_label, make, option, shown) => {
    const error = thrownBy(make) as InvalidOptionError;
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error.option).toBe(option);
    expect(error.message).toContain(shown === "`new JoinableQueue`" ? "`name`" : shown);
  });

  test("new Queue(options) and new Queue(name, options) both set the name and maxsize; the default is no limit", async () => {
    expect(new Queue({ name: "a", maxsize: 4 })).toMatchObject({ name: "a", maxsize: 4 });
    expect(new Queue("b", { maxsize: 2 })).toMatchObject({ name: "b", maxsize: 2 });
    const unbounded = new Queue<number>();
    expect(unbounded.maxsize).toBe(0);
    for (let i = 0; i < 1_000; i++) await unbounded.putNowait(i);
    expect(await unbounded.full()).toBe(false);
  });

  test("a JoinableQueue is a Queue, counts what is put and not done, and rejects an extra taskDone with the exported class", async () => {
    const q = new JoinableQueue<string>({ name: "work", maxsize: 5 });
    expect(q).toBeInstanceOf(Queue);
    expect(q.unfinished).toBe(0);
    await q.put("a");
    await q.put("b");
    expect(q.unfinished).toBe(2);
    await q.get();
    expect(q.unfinished).toBe(2); // taken is not done
    await q.taskDone();
    await q.taskDone();
    expect(q.unfinished).toBe(0);
    expect(await rejectionOf(q.taskDone())).toBeInstanceOf(ExtraTaskDoneError);
    expect(q.unfinished).toBe(0);
  });

  test("shutdown releases waiting puts and gets with QueueClosedError; close is the same call", async () => {
    for (const stop of ["shutdown", "close"] as const) {
      const full = new Queue<number>({ maxsize: 1 });
      await full.put(1);
      const waitingPut = full.put(2);
      const empty = new Queue<number>();
      const waitingGet = empty.get();
      full[stop]();
      empty[stop]();
      expect(await rejectionOf(waitingPut)).toBeInstanceOf(QueueClosedError);
      expect(await rejectionOf(waitingGet)).toBeInstanceOf(QueueClosedError);
      expect(full.closed).toBe(true);
      expect(full.drain()).toEqual([1]); // the waiting item was not put
    }
  });

  test("drain makes room: the puts waiting for it add their items", async () => {
    const q = new Queue<number>({ maxsize: 2 });
    await q.put(1);
    await q.put(2);
    const waiting = [q.put(3), q.put(4), q.put(5)];
    expect(q.drain()).toEqual([1, 2]);
    expect(q.length).toBe(2);
    expect(q.drain()).toEqual([3, 4]);
    await Promise.all(waiting);
    expect(q.drain()).toEqual([5]);
  });
});

describe.each(backends)("the owner and %s workers together", (backend) => {
  const start = (target: (...args: never[]) => unknown, args: unknown[], name?: string): Process =>
    new Process({ target, args, backend, ...(name ? { name } : {}) }).start();

  test("a producer blocked on a full queue resumes as the owner takes items; they arrive in order and never more than maxsize wait", async () => {
    const q = new Queue<number>("bounded", { maxsize: 3 });
    const n = 60;
    const producer = start(
      async (count: number, out: QueueLike<number>) => {
        for (let i = 0; i < count; i++) await out.put(i);
      },
      [n, q],
    );
    const got: number[] = [];
    let mostWaiting = 0;
    for (let i = 0; i < n; i++) {
      mostWaiting = Math.max(mostWaiting, q.length);
      got.push(await q.get({ timeoutMs: 30_000 }));
    }
    expect(await producer.join()).toBe(true);
    expect(got).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(mostWaiting).toBeLessThanOrEqual(3);
  });

  test("two producers and two consumers through a joinable queue of maxsize 2: each item is taken once, and join resolves when all are done", async () => {
    const jobs = new JoinableQueue<number>("jobs", { maxsize: 2 });
    const taken = new Queue<number>("taken");
    const produce = async (from: number, count: number, out: QueueLike<number>): Promise<void> => {
      for (let i = from; i < from + count; i++) await out.put(i);
    };
    const consume = async (input: JoinableQueueLike<number>, record: QueueLike<number>): Promise<void> => {
      for (;;) {
        let item: number;
        try {
          item = await input.get();
        } catch (error) {
          if ((error as Error).name === "QueueClosedError") return;
          throw error;
        }
        await record.put(item);
        await input.taskDone();
      }
    };
    const workers = [start(produce, [0, 50, jobs]), start(produce, [50, 50, jobs]), start(consume, [jobs, taken]), start(consume, [jobs, taken])];
    try {
      expect(await Promise.all(workers.slice(0, 2).map((p) => p.join()))).toEqual([true, true]);
      expect(await jobs.join({ timeoutMs: 60_000 })).toBe(true);
      expect(jobs.unfinished).toBe(0);
      jobs.shutdown(); // releases the consumers waiting in get
      expect(await Promise.all(workers.slice(2).map((p) => p.join()))).toEqual([true, true]);
    } finally {
      await Promise.all(workers.map((p) => p.terminate()));
    }
    expect(taken.drain().sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(jobs.orphans).toEqual([]);
  });

  test("a worker's join waits in the owner until the owner marks the items done", async () => {
    const jobs = new JoinableQueue<number>();
    const events = new Queue<string>();
    await jobs.put(1);
    await jobs.put(2);
    const waiter = start(
      async (q: JoinableQueueLike<number>, report: QueueLike<string>) => {
        await report.put("joining");
        await report.put(`joined ${await q.join()}`);
      },
      [jobs, events],
    );
    expect(await events.get({ timeoutMs: 30_000 })).toBe("joining");
    for (const _ of [1, 2]) {
      await jobs.get();
      await jobs.taskDone();
    }
    expect(await events.get({ timeoutMs: 30_000 })).toBe("joined true");
    expect(await waiter.join()).toBe(true);
  });

  test("shutdown releases a worker's put waiting on a full queue with QueueClosedError; its item is not put", async () => {
    const q = new Queue<number>({ maxsize: 1 });
    await q.put(1);
    const events = new Queue<string>();
    const producer = start(
      async (out: QueueLike<number>, report: QueueLike<string>) => {
        await report.put("putting");
        await out.put(2).then(() => report.put("put"), (e: Error) => report.put(e.name));
      },
      [q, events],
    );
    expect(await events.get({ timeoutMs: 30_000 })).toBe("putting");
    q.shutdown(); // the put may be waiting in the owner by now, or arrive after: both end in QueueClosedError
    expect(await events.get({ timeoutMs: 30_000 })).toBe("QueueClosedError");
    expect(await producer.join()).toBe(true);
    expect(q.drain()).toEqual([1]);
  });

  test("a worker killed while its put waits for room is withdrawn: the item never enters the queue", async () => {
    const q = new Queue<number>({ maxsize: 1 });
    await q.put(1);
    const events = new Queue<string>();
    const producer = start(
      async (out: QueueLike<number>, report: QueueLike<string>) => {
        await report.put("putting");
        await out.put(2);
        await report.put("put");
      },
      [q, events],
    );
    expect(await events.get({ timeoutMs: 30_000 })).toBe("putting");
    producer.kill();
    expect(await producer.join()).toBe(true);
    expect(await q.get()).toBe(1); // room now, but no one is waiting for it any more
    expect(q.length).toBe(0);
    expect(events.drain()).toEqual([]);
    expect(q.orphans).toEqual([]);
  });

  test("a consumer that dies before taskDone leaves an orphan; join waits until the requeued item is done", async () => {
    const jobs = new JoinableQueue<string>("jobs");
    await jobs.put("x");
    const quitter = start(
      async (q: JoinableQueueLike<string>) => {
        await q.get();
        process.exit(3);
      },
      [jobs],
      "quitter",
    );
    const error = (await rejectionOf(quitter.join())) as ProcessFailedError;
    expect(error).toBeInstanceOf(ProcessFailedError);
    expect(error.orphanedItems).toEqual([{ queue: "jobs", item: "x" }]);
    expect(await jobs.join({ timeoutMs: 50 })).toBe(false);
    expect(jobs.requeueOrphans()).toBe(1);
    expect(jobs.unfinished).toBe(1); // put back, still not done: not counted twice
    const finisher = start(
      async (q: JoinableQueueLike<string>) => {
        await q.get();
        await q.taskDone();
      },
      [jobs],
    );
    expect(await jobs.join({ timeoutMs: 30_000 })).toBe(true);
    expect(await finisher.join()).toBe(true);
  });

  test("on a joinable queue an item stays in hand until taskDone: a consumer that ends without it leaves an orphan", async () => {
    const jobs = new JoinableQueue<number>("jobs");
    for (const item of [1, 2]) await jobs.put(item);
    const forgetful = start(
      async (q: JoinableQueueLike<number>) => {
        await q.get();
        await q.taskDone(); // the first is done...
        await q.get(); // ...the second is taken and forgotten
      },
      [jobs],
      "forgetful",
    );
    expect(await forgetful.join()).toBe(true);
    expect(jobs.orphans).toEqual([{ item: 2, consumer: "forgetful" }]);
    expect(jobs.unfinished).toBe(1);
  });
});
