/**
 * The event-loop and threadpool helpers of notebook 00 (section 1): a late
 * timer, the local server with its client thread (a busy main thread holds
 * the answer back), the wording chosen from hand-made numbers, and libuv's
 * threadpool size in a fresh process. No timing thresholds: only what the
 * event loop guarantees (nothing runs while the thread is busy).
 */
import {
  DEFAULT_THREADPOOL_SIZE,
  InvalidOptionError,
  LocalServer,
  describeOverlap,
  describeStall,
  lateTimer,
  leibnizPi,
  liveResourceCount,
  pbkdf2InFreshNode,
  terminateAll,
  threadpoolSize,
} from "kernel-helpers";
import { thrownBy } from "../test-helpers";

afterAll(async () => {
  const leaked = liveResourceCount();
  await terminateAll();
  expect(leaked).toBe(0);
});

/** Keeps this thread busy for at least `ms`. */
function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) leibnizPi(1000);
}

describe("lateTimer", () => {
  test("reports the delay asked for and at least that much actual time", async () => {
    const delay = await lateTimer(5);
    expect(delay.expectedMs).toBe(5);
    expect(delay.actualMs).toBeGreaterThanOrEqual(4); // not before it is due (timers may round by under 1 ms)
    expect(delay.lateMs).toBeCloseTo(delay.actualMs - 5, 10);
  });

  test("a busy thread makes it fire after the busy code, not before", async () => {
    const timer = lateTimer(1);
    spin(60);
    expect((await timer).actualMs).toBeGreaterThanOrEqual(60);
  });

  test("refuses a negative delay by name", () => {
    expect(thrownBy(() => lateTimer(-1))).toBeInstanceOf(InvalidOptionError);
  });
});

describe("LocalServer", () => {
  test("answers requests from its client thread, and a busy main thread holds the answer back", async () => {
    const server = await LocalServer.start();
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      expect(await server.request()).toBeGreaterThan(0);
      const held = server.request();
      spin(80);
      // the server runs on this thread's event loop: it cannot have answered while the thread was busy
      expect(server.answered).toBe(1);
      expect(await held).toBeGreaterThan(0);
      expect(server.answered).toBe(2);
    } finally {
      await server.close();
    }
    expect(liveResourceCount()).toBe(0);
  });

  test("terminateAll closes a server that was left open", async () => {
    await LocalServer.start();
    expect(liveResourceCount()).toBe(1);
    expect(await terminateAll()).toBe(1);
    expect(liveResourceCount()).toBe(0);
  });
});

describe("describeStall", () => {
  const timer = (expectedMs: number, actualMs: number) => ({ expectedMs, actualMs, lateMs: actualMs - expectedMs });

  test("both waited when both were served only after the busy code", () => {
    expect(describeStall(timer(10, 151), 150, 149, "in the main thread")).toBe(
      "Busy code in the main thread for 149.0 ms: the timer due after 10 ms fired after 151.0 ms, and the request was answered after 150.0 ms: both waited for it.",
    );
  });

  test("neither waited when both were served early", () => {
    expect(describeStall(timer(10, 10.4), 1.2, 149, "in a worker thread")).toMatch(/: neither waited for it\.$/);
  });

  test("says which one waited when only one did", () => {
    expect(describeStall(timer(10, 10.4), 140, 149, "x")).toMatch(/the request waited for it, the timer did not\.$/);
    expect(describeStall(timer(10, 140), 2, 149, "x")).toMatch(/the timer waited for it, the request did not\.$/);
  });

  test("a timer due after most of the busy time cannot tell, and the sentence says so", () => {
    expect(describeStall(timer(10, 12), 11, 12, "x")).toMatch(/the request waited for it \(the timer was due too late to tell\)\.$/);
  });
});

describe("describeOverlap", () => {
  test.each([
    [100, 200, 2, "2 together took 2.00× one alone: they ran one after the other (the sum of their times)."],
    [100, 102, 2, "2 together took 1.02× one alone: they ran side by side (the time of one)."],
    [100, 150, 2, "2 together took 1.50× one alone: they partly overlapped (1.33 at a time on average, where 2 can run at once here)."],
    [100, 250, 2, "2 together took 2.50× one alone: they ran one after the other, and more slowly than alone."],
    [10, 20, 4, "4 together took 2.00× one alone: they partly overlapped (2.00 at a time on average, where 4 can run at once here)."],
  ])("one alone %d ms, together %d ms, %d jobs", (one, together, count, sentence) => {
    expect(describeOverlap(one, together, count)).toBe(sentence);
  });

  test("near a limit below the job count, they ran as many at once as can run here, and the limit is named", () => {
    // notebook 00's threadpool: 4 calls, at most 2 at once on 2 cores
    expect(describeOverlap(10, 20.5, 4, 2)).toBe("4 together took 2.05× one alone: they ran 1.95 at a time on average, as many at once as can run here (2).");
    expect(describeOverlap(10, 37, 4, 2)).toBe("4 together took 3.70× one alone: they ran one after the other (the sum of their times).");
    expect(describeOverlap(10, 28, 4, 2)).toBe("4 together took 2.80× one alone: they partly overlapped (1.43 at a time on average, where 2 can run at once here).");
    expect(describeOverlap(10, 10.2, 4, 8)).toBe("4 together took 1.02× one alone: they ran side by side (the time of one).");
  });

  test("more at once than can run here: a little is noise, much means one alone was timed slow", () => {
    expect(describeOverlap(185, 195, 2, 1)).toBe(
      "2 together took 1.05× one alone: 1.90 at a time on average by these times, more than the 1 that can run at once here: " +
        "one alone was timed slower than these ran (a cold first run, or noise; see the machine check).",
    );
    // 4 x 37.1 / 69 = 2.15 at once where 2 can run: within the margin
    expect(describeOverlap(37.1, 69, 4, 2)).toBe(
      "4 together took 1.86× one alone: they ran as many at once as can run here (2; the times give 2.15, a little more than can be: noise).",
    );
    expect(describeOverlap(100, 200, 2, 1)).toMatch(/one after the other \(the sum of their times\)\.$/);
  });
});

describe("libuv's threadpool", () => {
  const saved = process.env["UV_THREADPOOL_SIZE"];
  afterEach(() => {
    if (saved === undefined) delete process.env["UV_THREADPOOL_SIZE"];
    else process.env["UV_THREADPOOL_SIZE"] = saved;
  });

  test("threadpoolSize reads UV_THREADPOOL_SIZE, else libuv's default of 4", () => {
    delete process.env["UV_THREADPOOL_SIZE"];
    expect(threadpoolSize()).toBe(DEFAULT_THREADPOOL_SIZE);
    process.env["UV_THREADPOOL_SIZE"] = "8";
    expect(threadpoolSize()).toBe(8);
    process.env["UV_THREADPOOL_SIZE"] = "junk";
    expect(threadpoolSize()).toBe(4);
    process.env["UV_THREADPOOL_SIZE"] = "5000";
    expect(threadpoolSize()).toBe(1024);
  });

  test("pbkdf2InFreshNode runs the calls in a new process and returns its own timing", async () => {
    const ms = await pbkdf2InFreshNode({ threadpoolSize: 2, calls: 2, iterations: 1000 });
    expect(Number.isFinite(ms) && ms > 0).toBe(true);
  });

  test("pbkdf2InFreshNode refuses bad options by name", () => {
    expect(thrownBy(() => pbkdf2InFreshNode({ threadpoolSize: 0, calls: 1, iterations: 1 }))).toBeInstanceOf(InvalidOptionError);
  });
});
