/**
 * "Fill a queue, start N processes, collect, join" as one call, on both
 * backends; and the job loop's results saying when each value ran.
 */
import { Queue, Process, ProcessFailedError, collectResults, runQueueWorkers, sumRandomNumbersJob, liveResourceCount, type JobSum } from "kernel-helpers";
import { rejectionOf } from "../test-helpers";

describe.each(["process", "thread"] as const)("runQueueWorkers on the %s backend", (backend) => {
  test("every item is taken exactly once and each worker's results come back", async () => {
    const values = Array.from({ length: 20 }, (_, i) => i + 1);
    const run = await runQueueWorkers<number, JobSum>({
      items: values, workers: 3, backend, target: "sumRandomNumbersJob",
      args: (i, input, output) => [i, 100, input, output],
    });
    expect(run.results.map(([[, v]]) => v).sort((a, b) => a - b)).toEqual(values);
    expect(new Set(run.results.map(([[job]]) => job)).size).toBeGreaterThanOrEqual(1);
    expect(run.results.every(([[job]]) => [0, 1, 2].includes(job))).toBe(true);
    expect(run.elapsedMs).toBeGreaterThan(0);
    expect(liveResourceCount()).toBe(0);
  }, 60_000);

  test("a worker that fails rejects with its error, and no worker is left running", async () => {
    const error = await rejectionOf(
      runQueueWorkers<number, number>({
        items: [1, 2, 3], workers: 2, backend, name: (i) => `failing-${i}`,
        target: async () => { throw new Error("no luck"); },
        args: () => [],
      }),
    );
    expect(error).toBeInstanceOf(ProcessFailedError);
    expect((error as Error).message).toMatch(/failing-\d failed: its target threw Error: no luck/);
    expect(liveResourceCount()).toBe(0);
  }, 60_000);
});

test("sumRandomNumbersJob says when each value ran, on a clock shared by all processes", async () => {
  const input = new Queue<number>("values");
  const output = new Queue<JobSum>("sums");
  for (const v of [3, 1, 2]) await input.put(v);
  const before = Date.now();
  expect(await sumRandomNumbersJob(7, 10_000, input, output)).toBe(3);
  const results = output.drain();
  expect(results.map(([key]) => key)).toEqual([[7, 3], [7, 1], [7, 2]]);
  for (const [, sum, when] of results) {
    expect(sum).toBeGreaterThan(0);
    expect(when.endMs).toBeGreaterThanOrEqual(when.startMs);
    expect(when.startMs).toBeGreaterThanOrEqual(before - 5);
    expect(when.endMs).toBeLessThanOrEqual(Date.now() + 5);
  }
  // taken one after the other: each starts after the previous one ended
  expect(results[1]![2].startMs).toBeGreaterThanOrEqual(results[0]![2].endMs);
});

describe("collectResults", () => {
  test("reads the results waiting and those still to come, in arrival order", async () => {
    const q = new Queue<number>("results");
    for (const v of [1, 2]) await q.put(v);
    const seen: number[] = [];
    const reading = collectResults(q, 4, [], { onResult: (_item, received) => seen.push(received) });
    setTimeout(() => void q.put(3).then(() => q.put(4)), 20);
    expect(await reading).toEqual([1, 2, 3, 4]);
    expect(seen).toEqual([1, 2, 3, 4]);
  });

  test.each(["process", "thread"] as const)("a %s worker that fails while the reader waits rejects at once; a later item is not swallowed", async (backend) => {
    const q = new Queue<number>("results");
    const worker = new Process({ target: async () => { throw new Error("no luck"); }, backend, name: "failing" }).start();
    const error = await rejectionOf(collectResults(q, 1, [worker]));
    expect(error).toBeInstanceOf(ProcessFailedError);
    expect((error as Error).message).toMatch(/failing failed: its target threw Error: no luck/);
    await q.put(7);
    expect(q.drain()).toEqual([7]);
    expect(liveResourceCount()).toBe(0);
  }, 60_000);

  test("an unknown option or an onResult that is not a function is refused by name", async () => {
    const q = new Queue<number>("results");
    await expect(collectResults(q, 1, [], { timeout: 5 } as never)).rejects.toThrow(/Unknown option `timeout` of `collectResults`/);
    await expect(collectResults(q, 1, [], { onResult: 3 } as never)).rejects.toThrow(/`onResult` of `collectResults` to be a function.*got `3`/);
    expect(q.length).toBe(0);
  });
});
