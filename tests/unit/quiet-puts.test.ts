/**
 * Puts a worker does not wait for (queue-proxy.ts): a put to a queue without a
 * `maxsize` never waits for room, so a worker sends it and goes on, as
 * Python's `put` does, and the owner answers it only when it fails. What a
 * user must still get, on both backends, for Pool tasks and Processes: every
 * item in the queue, in the order put, by the time the task's result or the
 * Process's end is seen; a failure (the queue was shut down) reported by the
 * next queue call or by the task's or target's end, never lost; a queue with
 * a `maxsize` still waited for. No timings.
 */
import { Process, Queue, QueueClosedError, TaskError, liveResourceCount, terminateAll, type QueueLike } from "kernel-helpers";
import { QueueClient } from "kernel-helpers/dist/transport/queue-service";
import { ProtocolError } from "kernel-helpers";
import { backends, withTestPool } from "../pool-test-helpers";
import { expectNoLeaks, rejectionOf } from "../test-helpers";

expectNoLeaks({ liveResourceCount, terminateAll });

describe.each(backends)("quiet puts with %s workers", (backend) => {
  test("a task's thousand puts are all in the queue, in order, when its result arrives", async () => {
    await withTestPool({ workers: 2, backend }, async (pool) => {
      const out = new Queue<number>("out");
      const count = await pool.apply(async (q: QueueLike<number>, n: number) => {
        for (let i = 0; i < n; i++) await q.put(i);
        return n;
      }, [out, 1_000]);
      expect(count).toBe(1_000);
      expect(out.length).toBe(1_000);
      expect(out.drain()).toEqual(Array.from({ length: 1_000 }, (_, i) => i));
    });
  });

  test("a task whose put meets a shut-down queue fails with QueueClosedError in its cause; the pool carries on", async () => {
    await withTestPool({ workers: 1, backend }, async (pool) => {
      const shut = new Queue<number>("shut");
      shut.shutdown();
      const error = await rejectionOf(pool.apply(async (q: QueueLike<number>) => {
        await q.put(1);
        return "returned";
      }, [shut]));
      expect(error).toBeInstanceOf(TaskError);
      expect((error as TaskError).cause).toBeInstanceOf(QueueClosedError); // rebuilt as its class, as the standard errors are
      expect(shut.length).toBe(0);
      expect(await pool.apply("echo", ["after"])).toBe("after");
    });
  });

  test("a Process's puts are all in the queue once join() resolves", async () => {
    const out = new Queue<string>("from a process");
    const p = new Process({
      backend,
      target: async (q: QueueLike<string>) => {
        for (let i = 0; i < 500; i++) await q.put(`item ${i}`);
      },
      args: [out],
    }).start();
    expect(await p.join()).toBe(true);
    expect(out.drain()).toEqual(Array.from({ length: 500 }, (_, i) => `item ${i}`));
  });
});

describe("the owner's side", () => {
  test("a quiet flag on anything but a put is a malformed request: answered with a ProtocolError, the queue unharmed", () => {
    const q = new Queue<number>("guarded");
    const client = new QueueClient("a test peer");
    const answers: { ok: boolean; error?: { name: string } }[] = [];
    const send = (answer: object): void => void answers.push(answer as (typeof answers)[number]);
    client.take({ kind: "request", id: 1, operation: { queueId: q.id, op: "get", block: false, quiet: true } }, send);
    client.take({ kind: "request", id: 2, operation: { queueId: q.id, op: "put", item: 5, quiet: "yes" } }, send);
    expect(answers.map((a) => [a.ok, a.error?.name])).toEqual([[false, ProtocolError.name], [false, ProtocolError.name]]);
    expect(q.length).toBe(0);
  });

  test("a quiet put is not answered when it goes in; it is answered when the queue is shut down", async () => {
    const q = new Queue<number>("answers");
    const client = new QueueClient("a test peer");
    const answers: { id: number; ok: boolean }[] = [];
    const send = (answer: object): void => void answers.push(answer as (typeof answers)[number]);
    const id = q.id;
    client.take({ kind: "request", id: 1, operation: { queueId: id, op: "put", item: 7, quiet: true } }, send);
    expect(answers).toEqual([]);
    expect(q.drain()).toEqual([7]);
    q.shutdown();
    client.take({ kind: "request", id: 2, operation: { queueId: id, op: "put", item: 8, quiet: true } }, send);
    await new Promise((resolve) => setImmediate(resolve));
    expect(answers.map((a) => [a.id, a.ok])).toEqual([[2, false]]);
    client.ended(true);
  });
});
