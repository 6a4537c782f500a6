/**
 * Items a plain queue lends a quick consumer ahead (primitives/queue-lending.ts,
 * transport/queue-ahead.ts): a worker whose gets come quickly takes several items
 * per round trip and tops up in the background. What a user must still get, on
 * both backends, for Processes and Pool tasks: every item exactly once; items
 * lent to one worker come back when anybody else waits for them; what a worker
 * did not take goes back to the front of the queue when its code ends (or fails);
 * a worker that dies leaves nothing lost (its lent items are orphans); a slow
 * consumer, a JoinableQueue and a bounded queue never lend; `empty()` in a worker
 * counts what it holds. The owner's requests are counted by wrapping
 * QueueClient.take. No timings beyond "quick" (no sleep) and "slow" (a sleep).
 */
import { JoinableQueue, Process, Queue, liveResourceCount, terminateAll, type JoinableQueueLike, type QueueLike } from "kernel-helpers";
import { QueueClient } from "kernel-helpers/dist/transport/queue-service";
import { MAX_AHEAD, MAX_AHEAD_BYTES, roughBytes } from "kernel-helpers/dist/primitives/queue-lending";
import { ProtocolError } from "kernel-helpers";
import { backends, until, withTestPool } from "../pool-test-helpers";
import { expectNoLeaks } from "../test-helpers";

expectNoLeaks({ liveResourceCount, terminateAll });

/** The queue requests the owner served, per queue id: how many asked for items ahead (a get with `ahead` > 1, or a `lend`), and how many were puts. */
const lendingRequests = new Map<number, number>();
const putMessages = new Map<number, number>();
const take = QueueClient.prototype.take;
beforeAll(() => {
  QueueClient.prototype.take = function (this: QueueClient, message: unknown, send: Parameters<typeof take>[1]): boolean {
    const operation = (message as { kind?: string; operation?: { queueId: number; op: string; ahead?: number } }).operation;
    if (operation?.op === "put") putMessages.set(operation.queueId, (putMessages.get(operation.queueId) ?? 0) + 1);
    if (operation && (operation.op === "lend" || (operation.op === "get" && (operation.ahead ?? 1) > 1))) {
      lendingRequests.set(operation.queueId, (lendingRequests.get(operation.queueId) ?? 0) + 1);
    }
    return take.call(this, message, send);
  };
});
afterAll(() => {
  QueueClient.prototype.take = take;
});
const lent = (q: Queue<unknown>): number => lendingRequests.get(q.id) ?? 0;
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);
const filled = (name: string, n: number): Queue<number> => {
  const q = new Queue<number>(name);
  for (const i of range(0, n)) void q.put(i);
  return q;
};

/** getNowait until the queue is empty, put each item on `out`. */
async function jobLoop(input: QueueLike<number>, out: QueueLike<number>): Promise<void> {
  for (;;) {
    let item: number;
    try {
      item = await input.getNowait();
    } catch (error) {
      if ((error as Error).name === "QueueEmpty") return;
      throw error;
    }
    await out.put(item);
  }
}

/** Takes `n` items quickly with get(), putting each on `out`. */
async function takeQuickly(input: QueueLike<number>, out: QueueLike<number>, n: number): Promise<number[]> {
  const taken: number[] = [];
  for (let i = 0; i < n; i++) {
    const item = await input.get();
    taken.push(item);
    await out.put(item);
  }
  return taken;
}

describe.each(backends)("items lent ahead, %s workers", (backend) => {
  test.each([1, 3])("a quick job loop with %i consumer(s) takes items in batches, and every item arrives exactly once", async (consumers) => {
    const input = filled("jobs", 3_000);
    const out = new Queue<number>("results");
    const workers = range(0, consumers).map(() => new Process({ backend, target: jobLoop, args: [input, out] }).start());
    for (const p of workers) expect(await p.join()).toBe(true);
    const results = out.drain();
    if (consumers === 1) expect(results).toEqual(range(0, 3_000)); // in order
    expect(results.sort((a, b) => a - b)).toEqual(range(0, 3_000));
    expect(await input.size()).toBe(0);
    expect(input.orphans).toEqual([]);
    expect(lent(input)).toBeGreaterThan(0);
    expect(lent(input)).toBeLessThan(3_000 / 4); // far fewer requests than items
    expect(putMessages.get(out.id)).toBeLessThan(3_000 / 4); // the puts went out together
  });

  test("puts held back in a quick loop leave when the code yields, without another queue request", async () => {
    const input = filled("held", 300);
    const out = new Queue<number>("held out");
    const p = new Process({
      backend,
      target: async (q: QueueLike<number>, o: QueueLike<number>) => {
        for (let i = 0; i < 50; i++) await o.put(await q.get());
        await new Promise((resolve) => setTimeout(resolve, 60_000)); // a wait that is no queue request
      },
      args: [input, out],
    }).start();
    await until(() => out.length === 50);
    expect(out.drain()).toEqual(range(0, 50));
    await p.terminate();
  });

  test("a slow consumer (a few ms per item) takes one item at a time", async () => {
    const input = filled("slow jobs", 12);
    const out = new Queue<number>("slow results");
    const p = new Process({
      backend,
      target: async (q: QueueLike<number>, o: QueueLike<number>) => {
        for (let i = 0; i < 12; i++) {
          const item = await q.get();
          await new Promise((resolve) => setTimeout(resolve, 5));
          await o.put(item);
        }
      },
      args: [input, out],
    }).start();
    expect(await p.join()).toBe(true);
    expect(out.drain()).toEqual(range(0, 12));
    expect(lent(input)).toBe(0);
  });

  test("items lent to a worker that then waits come back to the owner's get", async () => {
    // 150 quick gets: lending starts after one quick one, and on a loaded machine (tests in parallel) many are not
    const input = filled("shared", 400);
    const out = new Queue<number>("taken by the worker");
    const gate = new Queue<string>("gate");
    const p = new Process({
      backend,
      target: async (q: QueueLike<number>, o: QueueLike<number>, g: QueueLike<string>) => {
        for (let i = 0; i < 150; i++) await o.put(await q.get());
        await g.get(); // holds what it was lent, waiting
      },
      args: [input, out, gate],
    }).start();
    await until(() => out.length === 150);
    expect(lent(input)).toBeGreaterThan(0);
    const got: number[] = [];
    for (let i = 0; i < 250; i++) got.push(await input.get({ timeoutMs: 20_000 }));
    expect([...out.drain(), ...got].sort((a, b) => a - b)).toEqual(range(0, 400));
    await gate.put("go");
    expect(await p.join()).toBe(true);
    expect(input.orphans).toEqual([]);
  });

  test("what a target did not take goes back to the front of the queue when it returns", async () => {
    // 150 quick gets: lending starts after one quick one, and on a loaded machine (tests in parallel) many are not
    const input = filled("front", 300);
    const out = new Queue<number>("taken");
    const p = new Process({ backend, target: takeQuickly, args: [input, out, 150] }).start();
    expect(await p.join()).toBe(true);
    expect(lent(input)).toBeGreaterThan(0);
    expect(out.drain()).toEqual(range(0, 150));
    expect(await input.size()).toBe(150);
    expect(input.drain()).toEqual(range(150, 300));
    expect(input.orphans).toEqual([]);
  });

  test("a target that throws while holding lent items loses none: the item in its hand is an orphan", async () => {
    const input = filled("failing", 100);
    const out = new Queue<number>("before the throw");
    const p = new Process({
      backend,
      target: async (q: QueueLike<number>, o: QueueLike<number>) => {
        for (let i = 0; i < 30; i++) await o.put(await q.get());
        throw new Error("stops with items in hand");
      },
      args: [input, out],
    }).start();
    await p.join({ throwOnFailure: false });
    expect(p.exitCode).not.toBe(0);
    expect(out.drain()).toEqual(range(0, 30));
    expect(input.orphans.map((o) => o.item)).toEqual([29]); // in its hand, as without lending
    expect(input.drain()).toEqual(range(30, 100)); // what it did not take went back, in order
  });

  test("a worker stopped while holding lent items loses none: they are orphans", async () => {
    const input = filled("stopped", 100);
    const out = new Queue<number>("before the stop");
    const p = new Process({
      backend,
      target: async (q: QueueLike<number>, o: QueueLike<number>) => {
        for (let i = 0; i < 30; i++) await o.put(await q.get());
        await new Promise(() => undefined); // waits forever, holding what it was lent
      },
      args: [input, out],
    }).start();
    await until(() => out.length === 30);
    await p.terminate();
    const taken = out.drain();
    expect(taken).toEqual(range(0, 30));
    // its puts told the owner which lent items it took: the orphans are the one in its hand and those it never started
    const orphans = input.orphans.map((o) => o.item);
    expect(orphans[0]).toBe(29);
    expect(orphans.length).toBeGreaterThan(1);
    expect([...taken, ...orphans.slice(1), ...input.drain()].sort((a, b) => a - b)).toEqual(range(0, 100));
    expect(input.requeueOrphans()).toBe(orphans.length);
  });

  test("puts held back in a quick loop still arrive when the target ends its process with process.exit()", async () => {
    const input = filled("exiting", 300);
    const out = new Queue<number>("before the exit");
    const p = new Process({
      backend,
      target: async (q: QueueLike<number>, o: QueueLike<number>) => {
        for (let i = 0; i < 50; i++) await o.put(await q.get());
        process.exit(0);
      },
      args: [input, out],
    }).start();
    await p.join({ throwOnFailure: false });
    await until(() => out.length === 50);
    expect(out.drain()).toEqual(range(0, 50));
  });

  test("two workers and the owner taking from one queue at once: each item exactly once", async () => {
    const input = filled("contended", 4_000);
    const out = new Queue<number>("contended out");
    const workers = range(0, 2).map(() => new Process({ backend, target: jobLoop, args: [input, out] }).start());
    const mine: number[] = [];
    for (let turn = 1; ; turn++) {
      try {
        mine.push(await input.getNowait());
      } catch {
        if (workers.every((p) => p.exitCode !== null)) break;
      }
      if (turn % 7 === 0) await new Promise((resolve) => setImmediate(resolve)); // lets the workers' requests in
    }
    for (const p of workers) expect(await p.join()).toBe(true);
    mine.push(...input.drain()); // given back after the owner's last look
    expect([...out.drain(), ...mine].sort((a, b) => a - b)).toEqual(range(0, 4_000));
    expect(input.orphans).toEqual([]);
  });

  test("empty() in a worker counts the items lent to it: an empty()-then-getNowait loop takes every item", async () => {
    const input = filled("checked", 400);
    const out = new Queue<number>("checked out");
    const p = new Process({
      backend,
      target: async (q: QueueLike<number>, o: QueueLike<number>) => {
        for (let i = 0; i < 150; i++) await o.put(await q.get()); // quick gets: items are lent from here on
        while (!(await q.empty())) await o.put(await q.getNowait());
      },
      args: [input, out],
    }).start();
    expect(await p.join()).toBe(true);
    expect(lent(input)).toBeGreaterThan(0);
    expect(out.drain()).toEqual(range(0, 400));
  });

  test("a JoinableQueue and a queue with a maxsize never lend", async () => {
    const joinable = new JoinableQueue<number>("joinable");
    for (const i of range(0, 300)) await joinable.put(i);
    const bounded = new Queue<number>({ name: "bounded", maxsize: 1_000 });
    for (const i of range(0, 300)) await bounded.put(i);
    const out = new Queue<number>("out");
    const p = new Process({
      backend,
      target: async (j: JoinableQueueLike<number>, b: QueueLike<number>, o: QueueLike<number>) => {
        for (let i = 0; i < 300; i++) {
          await o.put(await j.get());
          await j.taskDone();
          await o.put(await b.get());
        }
      },
      args: [joinable, bounded, out],
    }).start();
    expect(await p.join()).toBe(true);
    expect(await joinable.join({ timeoutMs: 0 })).toBe(true);
    expect(out.length).toBe(600);
    expect([lent(joinable), lent(bounded)]).toEqual([0, 0]);
  });

  test("a Pool task gives back what it did not take before its result, and before its error", async () => {
    await withTestPool({ workers: 1, backend }, async (pool) => {
      const input = filled("pool jobs", 300);
      const out = new Queue<number>("pool out");
      // lending starts once gets come quickly: on a loaded machine that takes more than one task of 20
      let taken = 0;
      while (taken < 200) {
        expect(await pool.apply(takeQuickly, [input, out, 20])).toEqual(range(taken, taken + 20));
        taken += 20;
        if (lent(input) > 0) break;
      }
      expect(lent(input)).toBeGreaterThan(0);
      expect(await input.size()).toBe(300 - taken);
      expect(input.length).toBe(300 - taken);
      const failing = pool.apply(async (q: QueueLike<number>) => {
        for (let i = 0; i < 20; i++) await q.get();
        throw new Error("after twenty");
      }, [input]);
      await expect(failing).rejects.toThrow("after twenty");
      expect(input.length).toBe(300 - taken - 20);
      expect(input.drain()).toEqual(range(taken + 20, 300));
      expect(input.orphans).toEqual([]);
    });
  });
});

describe("the owner's side of lending", () => {
  test("a bad ahead or used count is a malformed request: answered with a ProtocolError, the queue unharmed", () => {
    const q = filled("guarded", 5);
    const client = new QueueClient("a test peer");
    const answers: { ok: boolean; error?: { name: string } }[] = [];
    const send = (answer: object): void => void answers.push(answer as (typeof answers)[number]);
    const queueId = q.id;
    client.take({ kind: "request", id: 1, operation: { queueId, op: "get", block: false, ahead: MAX_AHEAD + 1 } }, send);
    client.take({ kind: "request", id: 2, operation: { queueId, op: "lend", ahead: -1 } }, send);
    client.take({ kind: "request", id: 3, operation: { queueId, op: "size", used: [[queueId, -3]] } }, send);
    client.take({ kind: "request", id: 4, operation: { queueId, op: "size", used: 2 } }, send);
    client.take({ kind: "request", id: 5, operation: { queueId, op: "giveBack", count: 1.5, quiet: true } }, send);
    client.take({ kind: "request", id: 6, operation: { queueId, op: "get", items: [1, 2] } }, send);
    client.take({ kind: "request", id: 7, operation: { queueId, op: "put", items: { 0: 1 }, quiet: true } }, send);
    expect(answers.map((a) => [a.ok, a.error?.name])).toEqual(Array(7).fill([false, ProtocolError.name]));
    expect(q.length).toBe(5);
  });

  test("large items are not lent ahead: one answer lends about a MiB at most, counting a view's whole buffer", async () => {
    const big = "x".repeat(MAX_AHEAD_BYTES / 2 + 1); // over a MiB by roughBytes (2 bytes a character)
    const quarter = new Float64Array(new ArrayBuffer(MAX_AHEAD_BYTES / 4)); // 256 KiB
    const view = quarter.subarray(0, 1); // one number, but it travels with its whole buffer
    const numbers = range(0, 100);
    const answer = async (items: unknown[], operation: object): Promise<unknown[]> => {
      const q = new Queue<unknown>("large items");
      for (const item of items) void q.put(item);
      const client = new QueueClient("a test peer");
      const answers: { ok: boolean; value?: unknown[] }[] = [];
      client.take({ kind: "request", id: 1, operation: { queueId: q.id, ...operation } }, (a: object) => void answers.push(a as (typeof answers)[number]));
      await until(() => answers.length === 1);
      const lent = answers[0]?.value ?? [];
      expect(q.length + lent.length).toBe(items.length); // what was not lent waits in the queue
      return lent;
    };
    // a large item as the get's own answer is fine; the small ones after it are lent (a fair share: half of 100)
    expect((await answer([big, ...numbers], { op: "get", block: false, ahead: 64 })).length).toBe(51);
    // a large item next in line is not lent, nor anything behind it
    expect(await answer([1, big, ...numbers], { op: "get", block: false, ahead: 64 })).toEqual([1]);
    expect(await answer([big, ...numbers], { op: "lend", ahead: 64 })).toEqual([]);
    // 256 KiB items: three fit in a MiB, the fourth does not
    expect((await answer([...Array(8).fill(quarter), ...numbers], { op: "lend", ahead: 64 })).length).toBe(3);
    expect((await answer(Array(8).fill(view), { op: "lend", ahead: 8 })).length).toBe(3);
  });

  test("roughBytes: numbers 8, strings 2 a character, a view its whole buffer, a large object at least the lending limit", () => {
    expect(roughBytes(1)).toBe(8);
    expect(roughBytes("abc")).toBe(14);
    expect(roughBytes(new Float64Array(new ArrayBuffer(800)).subarray(0, 1))).toBe(816);
    expect(roughBytes([1, 2])).toBe(32);
    expect(roughBytes({ ab: 1 })).toBe(26);
    expect(roughBytes(Array.from({ length: 5_000 }, (_, i) => i))).toBeGreaterThanOrEqual(MAX_AHEAD_BYTES);
    expect(roughBytes({ rows: Array.from({ length: 2_000 }, (_, i) => ({ i })) })).toBeGreaterThanOrEqual(MAX_AHEAD_BYTES);
  });

  test("a peer that reports more used items than it was lent, or gives back what it was never lent, changes nothing else", async () => {
    const q = filled("overreported", 10);
    const client = new QueueClient("a test peer");
    const answers: { id: number; ok: boolean; value?: unknown }[] = [];
    const send = (answer: object): void => void answers.push(answer as (typeof answers)[number]);
    client.take({ kind: "request", id: 1, operation: { queueId: q.id, op: "giveBack", quiet: true } }, send);
    client.take({ kind: "request", id: 2, operation: { queueId: q.id, op: "lend", ahead: 4 } }, send);
    client.take({ kind: "request", id: 3, operation: { queueId: q.id, op: "size", used: [[q.id, 1_000], [123_456, 1]] } }, send);
    client.take({ kind: "request", id: 4, operation: { queueId: q.id, op: "giveBack", count: 50, quiet: true } }, send);
    await until(() => answers.length === 2);
    expect(answers).toEqual([
      { kind: "answer", id: 2, ok: true, value: [0, 1, 2, 3] },
      { kind: "answer", id: 3, ok: true, value: 6 },
    ]);
    expect(client.ended(true)).toEqual([]);
    expect(q.drain()).toEqual(range(4, 10));
  });
});
