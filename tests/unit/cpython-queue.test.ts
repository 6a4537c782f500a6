/**
 * Ports of CPython's `_TestQueue` checks (Lib/test/_test_multiprocessing.py),
 * on both backends. Python's parent is the queue's owner here and Python's
 * child a Process of each backend; a check without a child runs in three
 * places from one table: the owner, and a Process of each backend through
 * its proxy. Each test's name starts with the CPython test it ports.
 *
 * Differences kept on purpose (the tests name them): `put`/`get` return
 * promises; Python's `put(item, block, timeout)` is `put(item, { block,
 * timeoutMs })`; `queue.Empty`/`queue.Full` are `QueueEmpty`/`QueueFull`;
 * `None` sentinels are `null`; an item that cannot travel is refused by the
 * put itself with UnsendableValueError (Python's feeder thread drops it
 * later, on stderr). There is no feeder thread: a child's awaited put is in
 * the queue when it resolves, so no `time.sleep(DELTA)` before looking.
 *
 * Already checked elsewhere, not repeated here:
 * - test_timeout (a get with a timeout raises Empty after about it):
 *   queue.test.ts, "a blocking get with timeoutMs rejects with QueueEmpty
 *   after about the timeout" (the owner) and "a worker's get with timeoutMs
 *   rejects with QueueEmpty after about the timeout" (both backends);
 * - the put variants made from a worker on a full queue, and JoinableQueue's
 *   extra taskDone: queue-semantics.test.ts.
 *
 * Timings: a timed call is only checked to have waited at least about its
 * timeout (less SLACK_MS for timer granularity), never at most. Python's "at
 * once" is checked without a clock: the owner's call has settled before the
 * next turn of the event loop.
 *
 * Bodies run in workers are sent as source text: they use nothing from this
 * file and compare errors by `name`.
 */
import {
  JoinableQueue,
  Process,
  Queue,
  QueueEmpty,
  QueueFull,
  liveResourceCount,
  terminateAll,
  type Backend,
  type JoinableQueueLike,
  type QueueLike,
} from "kernel-helpers";
import { expectNoLeaks } from "../test-helpers";

const backends: Backend[] = ["process", "thread"];

/** Python's TIMEOUT1..3, one value here. */
const TIMEOUT_MS = 200;
/** Clock slack allowed below a timeout (timer granularity), never above. */
const SLACK_MS = 25;

expectNoLeaks({ liveResourceCount, terminateAll });

/**
 * What the call's promise settled with, if it settled before the next turn
 * of the event loop (a rejection: its error), else "still pending": Python's
 * "raises at once", without a clock.
 */
async function settledAtOnce(call: () => Promise<unknown>): Promise<unknown> {
  const nextTurn = new Promise((resolve) => setImmediate(() => resolve("still pending")));
  return Promise.race([call().then((value: unknown) => ({ resolved: value }), (error: unknown) => error), nextTurn]);
}

/** The error a call rejects with, and the milliseconds it took. */
async function timedRejection(call: () => Promise<unknown>): Promise<[unknown, number]> {
  const started = performance.now();
  const error = await call().then(() => "resolved", (e: unknown) => e);
  return [error, performance.now() - started];
}

const upTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe.each(backends)("CPython _TestQueue with a %s child", (backend) => {
  const child = (target: (...args: never[]) => unknown, args: unknown[]): Process => new Process({ target, args, backend }).start();

  test(
    "test_put: a Queue of maxsize 6 filled by put (bare, with block, with block and timeoutMs: Python's put(item, block, timeout)) and putNowait is full; " +
      "QueueFull (Python: Full) at once without blocking, and after about the timeout with it; a child takes the 6 items, and it is empty again",
    async () => {
      const q = new Queue<number>({ maxsize: 6 });
      expect([await q.empty(), await q.full()]).toEqual([true, false]);
      await q.put(1); // put(1)
      await q.put(2, { block: true }); // put(2, True)
      await q.put(3, { block: true, timeoutMs: undefined }); // put(3, True, None)
      await q.put(4, { block: false }); // put(4, False)
      await q.put(5, { block: false, timeoutMs: undefined }); // put(5, False, None)
      await q.putNowait(6); // put_nowait(6)
      expect([await q.empty(), await q.full(), await q.size()]).toEqual([false, true, 6]);

      // put(7, False), put(7, False, None), put_nowait(7), put(7, False, TIMEOUT2): Full at once
      for (const attempt of [
        () => q.put(7, { block: false }),
        () => q.put(7, { block: false, timeoutMs: undefined }),
        () => q.putNowait(7),
        () => q.put(7, { block: false, timeoutMs: TIMEOUT_MS }),
      ]) {
        expect(await settledAtOnce(attempt)).toBeInstanceOf(QueueFull);
      }
      // put(7, True, TIMEOUT1) and put(7, True, timeout=TIMEOUT3): Full after about the timeout
      for (const options of [{ block: true, timeoutMs: TIMEOUT_MS }, { timeoutMs: TIMEOUT_MS }]) {
        const [error, elapsed] = await timedRejection(() => q.put(7, options));
        expect(error).toBeInstanceOf(QueueFull);
        expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - SLACK_MS);
      }
      expect(await q.size()).toBe(6); // no 7 got in

      const taken = new Queue<number[]>("taken");
      const taker = child(
        async (input: QueueLike<number>, report: QueueLike<number[]>) => {
          const got: number[] = [];
          for (let i = 0; i < 6; i++) got.push(await input.get());
          await report.put(got);
        },
        [q, taken],
      );
      expect(await taker.join()).toBe(true);
      expect(taken.drain()).toEqual([[1, 2, 3, 4, 5, 6]]);
      expect([await q.empty(), await q.full()]).toEqual([true, false]);
    },
  );

  test(
    "test_get: a child puts 2 and 4 with put, 3 and 5 with putNowait; get (bare, with block, with timeoutMs: Python's get(block, timeout)) and getNowait take them in order; " +
      "then QueueEmpty (Python: Empty) at once without blocking, and after about the timeout with it",
    async () => {
      const q = new Queue<number>();
      const canStart = new Queue<string>("child_can_start");
      const canContinue = new Queue<string>("parent_can_continue");
      const putter = child(
        async (out: QueueLike<number>, start: QueueLike<string>, done: QueueLike<string>) => {
          await start.get();
          await out.put(2);
          await out.putNowait(3);
          await out.put(4);
          await out.putNowait(5);
          await done.put("done");
        },
        [q, canStart, canContinue],
      );
      expect(await q.empty()).toBe(true);
      await canStart.put("go");
      expect(await canContinue.get({ timeoutMs: 30_000 })).toBe("done");
      expect(await q.empty()).toBe(false);
      expect(await q.get({ block: true, timeoutMs: undefined })).toBe(2); // get(True, None)
      expect(await q.get({ block: true })).toBe(3); // get(True)
      expect(await q.get({ timeoutMs: 1_000 })).toBe(4); // get(timeout=1)
      expect(await q.getNowait()).toBe(5); // get_nowait()
      expect(await q.empty()).toBe(true);

      // get(False), get(False, None), get_nowait(), get(False, TIMEOUT2): Empty at once
      for (const attempt of [
        () => q.get({ block: false }),
        () => q.get({ block: false, timeoutMs: undefined }),
        () => q.getNowait(),
        () => q.get({ block: false, timeoutMs: TIMEOUT_MS }),
      ]) {
        expect(await settledAtOnce(attempt)).toBeInstanceOf(QueueEmpty);
      }
      // get(True, TIMEOUT1) and get(timeout=TIMEOUT3): Empty after about the timeout
      for (const options of [{ block: true, timeoutMs: TIMEOUT_MS }, { timeoutMs: TIMEOUT_MS }]) {
        const [error, elapsed] = await timedRejection(() => q.get(options));
        expect(error).toBeInstanceOf(QueueEmpty);
        expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - SLACK_MS);
      }
      expect(await putter.join()).toBe(true);
    },
  );

  test("test_fork: items the owner put before starting a child, then those the child puts, come out in order 0..19; then QueueEmpty", async () => {
    const q = new Queue<number>();
    for (let i = 0; i < 10; i++) await q.put(i);
    const p = child(
      async (out: QueueLike<number>) => {
        for (let i = 10; i < 20; i++) await out.put(i);
      },
      [q],
    );
    const got: number[] = [];
    for (let i = 0; i < 20; i++) got.push(await q.get({ timeoutMs: 30_000 })); // Python: get()
    expect(got).toEqual(upTo(20));
    expect(await settledAtOnce(() => q.get({ block: false }))).toBeInstanceOf(QueueEmpty);
    expect(await p.join()).toBe(true);
  });

  test(
    "test_task_done: 4 children call taskDone for each item of a JoinableQueue; join resolves once all 10 are done; a null sentinel each (Python: None) ends them. " +
      "Ours also lists the 4 sentinels, taken and never marked done, as orphans (Python only leaves them counted)",
    async () => {
      const jobs = new JoinableQueue<number | null>("jobs");
      const done = new Queue<number>("done");
      const worker = async (q: JoinableQueueLike<number | null>, record: QueueLike<number>): Promise<void> => {
        for (let item = await q.get(); item !== null; item = await q.get()) {
          await record.put(item);
          await q.taskDone();
        }
      };
      const workers = [1, 2, 3, 4].map(() => child(worker, [jobs, done]));
      for (let i = 0; i < 10; i++) await jobs.put(i);
      expect(await jobs.join()).toBe(true);
      expect(done.length).toBe(10); // each item was recorded before its taskDone
      for (const _ of workers) await jobs.put(null);
      expect(await Promise.all(workers.map((p) => p.join()))).toEqual([true, true, true, true]);
      expect(done.drain().sort((a, b) => a - b)).toEqual(upTo(10));
      expect(jobs.unfinished).toBe(4);
      expect(jobs.orphans.map((o) => o.item)).toEqual([null, null, null, null]);
    },
  );
});

/** A check without a child: its body runs in the owner, or in a Process of each backend through its proxy. */
interface Case {
  name: string;
  queue: () => Queue<unknown>;
  body: (q: QueueLike<unknown>, report: QueueLike<unknown>) => Promise<void>;
  /** What the body reports. */
  reports: unknown;
}

const cases: Case[] = [
  {
    name: "test_qsize: size() (Python: qsize()) is 0, 1, 2, 1, 0 as two items are put and taken",
    queue: () => new Queue(),
    body: async (q, report) => {
      const sizes = [await q.size()];
      await q.put(1);
      sizes.push(await q.size());
      await q.put(5);
      sizes.push(await q.size());
      await q.get();
      sizes.push(await q.size());
      await q.get();
      sizes.push(await q.size());
      await report.put(sizes);
    },
    reports: [0, 1, 2, 1, 0],
  },
  {
    name:
      "test_queue_feeder_donot_stop_onexc: an item that cannot travel is refused (ours: by the put, with UnsendableValueError; Python's feeder drops it later) " +
      "and the queue keeps working: put(true), then get() is true",
    queue: () => new Queue(),
    body: async (q, report) => {
      class NotSerializable {}
      const refused = await q.put(new NotSerializable()).then(() => "no error", (e: Error) => e.name);
      await q.put(true);
      await report.put([refused, await q.get({ timeoutMs: 30_000 }), await q.empty()]);
    },
    reports: ["UnsendableValueError", true, true],
  },
  {
    name: "test_queue_feeder_donot_stop_onexc (bpo-33078): in a Queue of maxsize 1 the refused item takes no room: put(true) succeeds without waiting, size() is 1, get() is true",
    queue: () => new Queue({ maxsize: 1 }),
    body: async (q, report) => {
      class NotSerializable {}
      const refused = await q.put(new NotSerializable()).then(() => "no error", (e: Error) => e.name);
      await q.put(true, { block: false });
      const size = await q.size();
      await report.put([refused, size, await q.get({ timeoutMs: 30_000 }), await q.empty()]);
    },
    reports: ["UnsendableValueError", 1, true, true],
  },
];

type Place = "the owner" | Backend;
const places: Place[] = ["the owner", ...backends];

describe.each(places)("CPython _TestQueue, called by %s", (place) => {
  test.each(cases)("$name", async (c) => {
    const q = c.queue();
    const report = new Queue<unknown>("report");
    if (place === "the owner") {
      await c.body(q, report);
    } else {
      const p = new Process({ target: c.body, args: [q, report], backend: place }).start();
      expect(await p.join()).toBe(true);
    }
    expect(report.drain()).toEqual([c.reports]);
    expect(q.drain()).toEqual([]);
  });
});
