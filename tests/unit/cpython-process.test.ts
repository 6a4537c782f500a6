/**
 * Ports of CPython's `_TestProcess` checks (Lib/test/_test_multiprocessing.py),
 * on both backends, with one table where a check has variants. Each test's
 * name starts with the CPython test it ports.
 *
 * Differences kept on purpose (the tests name them):
 * - `join()` rejects with ProcessFailedError when the worker failed; Python's
 *   `join()` returns and `exitcode` tells. `join({ throwOnFailure: false })`
 *   is Python's: it resolves, and `exitCode`, `signal` and `failure` tell.
 * - An error in the target is reported by `join`/`failure` (with the
 *   worker's name, message and stack), not only printed on stderr.
 * - Names: Python's `terminate()` (SIGTERM) is our `kill()`; Python's `kill()`
 *   (SIGKILL) is our `kill("SIGKILL")`, and our `terminate()` is that plus
 *   the wait. A stop we asked for is not a failure: `join()` resolves.
 * - Exit code of a stopped worker: Python's is -SIGTERM or -SIGKILL. A child
 *   process here has `exitCode` null and `signal` naming the signal; a
 *   thread has no signal, and `exitCode` 1 (Node's code for a terminated
 *   worker thread, the same as a target that threw: `failure` tells them
 *   apart).
 *
 * Already checked in process.test.ts (its test names in quotes), not here:
 * test_process's life cycle ("start returns the process itself...", "a
 * process that was not started has no pid..."); join(timeout) while running
 * ("join(timeoutMs) resolves false while the worker runs..."; Python's
 * join(-1) returns at once, ours refuses it: "join with an invalid
 * timeout..."); start twice ("starting twice throws..."); test_args_argument
 * ("an inline target gets its arguments..."); test_wait_for_threads, a
 * difference: ours ends when the target returns ("a worker that leaves a
 * timer running still ends...").
 *
 * Inline targets are sent as source text: they use nothing from this file.
 * No test asserts a duration.
 */
import { Process, ProcessFailedError, Queue, liveResourceCount, terminateAll, type Backend, type QueueLike } from "kernel-helpers";
import { rejectionOf, expectNoLeaks } from "../test-helpers";

const backends: Backend[] = ["process", "thread"];

type Target = ConstructorParameters<typeof Process>[0]["target"];

expectNoLeaks({ liveResourceCount, terminateAll });

/** How a stopped worker's end reads: a child process by its signal, a thread by Node's exit code 1. */
function expectStopped(p: Process, signal: NodeJS.Signals): void {
  expect(p.isAlive()).toBe(false);
  expect(p.failure).toBeUndefined();
  if (p.backend === "process") expect([p.exitCode, p.signal]).toEqual([null, signal]);
  else expect([p.exitCode, p.signal]).toEqual([1, null]);
}

describe.each(backends)("CPython _TestProcess with the %s backend", (backend) => {
  const make = (target: Target, args: unknown[] = []): Process => new Process({ target, args, backend });

  test.each([
    [
      "a synchronous throw",
      () => {
        throw new RangeError("kh-raised");
      },
    ],
    [
      "a rejection after an await",
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 10));
        throw new RangeError("kh-raised");
      },
    ],
  ])(
    "test_process's failing target (%s): exitCode 1, and the error reported in failure; join({ throwOnFailure: false }) resolves as Python's join returns, the default join rejects with it",
    async (_label, target) => {
      const p = make(target).start();
      expect(await p.join({ throwOnFailure: false })).toBe(true);
      expect(p.isAlive()).toBe(false);
      expect(p.exitCode).toBe(1);
      expect(p.signal).toBeNull();
      expect(p.failure).toBeInstanceOf(ProcessFailedError);
      expect(p.failure?.workerError).toMatchObject({ name: "RangeError", message: "kh-raised", stack: expect.stringContaining("kh-raised") });
      expect(p.failure?.exitCode).toBe(1);
      expect(await rejectionOf(p.join())).toBe(p.failure);
    },
  );

  test.each([0, 1, 8, 255])(
    "test_sys_exit: process.exit(%i) in the target (Python: sys.exit(n)) gives that exitCode; join({ throwOnFailure: false }) resolves as Python's join returns, the default join rejects unless it is 0",
    async (code) => {
      const p = make(
        (n: number) => {
          process.exit(n);
        },
        [code],
      ).start();
      expect(await p.join({ throwOnFailure: false })).toBe(true);
      expect(p.isAlive()).toBe(false);
      expect(p.exitCode).toBe(code);
      expect(p.signal).toBeNull();
      if (code === 0) {
        expect(p.failure).toBeUndefined();
        expect(await p.join()).toBe(true);
      } else {
        expect(p.failure?.reason).toBe(`it exited with code ${code}`);
        expect(p.failure?.workerError).toBeUndefined();
        expect(await rejectionOf(p.join())).toBe(p.failure);
      }
    },
  );

  test.each([
    { cpython: "test_terminate", python: "terminate()", ours: "kill()", stop: (p: Process) => p.kill(), signal: "SIGTERM" as const },
    { cpython: "test_kill", python: "kill()", ours: 'kill("SIGKILL")', stop: (p: Process) => p.kill("SIGKILL"), signal: "SIGKILL" as const },
    { cpython: "test_kill", python: "kill() then join()", ours: "terminate()", stop: (p: Process) => p.terminate(), signal: "SIGKILL" as const },
  ])(
    "$cpython: Python's $python is our $ours; before the stop: alive, exitCode null, one live resource (Python: in active_children()), join(0) false. " +
      "After it: join resolves true, not alive, no live resource, no failure; a child process has exitCode null and signal $signal (Python: exitcode -$signal), a thread exitCode 1 and no signal",
    async ({ stop, signal }) => {
      const events = new Queue<string>();
      const p = make(
        async (report: QueueLike<string>) => {
          await report.put("running");
          await new Promise(() => undefined); // Python: time.sleep(100)
        },
        [events],
      ).start();
      expect(await events.get({ timeoutMs: 30_000 })).toBe("running");
      expect(p.isAlive()).toBe(true);
      expect(p.exitCode).toBeNull();
      expect(liveResourceCount()).toBe(1);
      expect(await p.join(0)).toBe(false);
      expect(p.isAlive()).toBe(true);
      await stop(p);
      expect(await p.join()).toBe(true);
      expectStopped(p, signal);
      expect(liveResourceCount()).toBe(0);
      expect(await p.join()).toBe(true); // Python: p.join() again
    },
  );

  test("test_many_processes: 5 processes (Python: 5 under spawn) all end with exitCode 0; 5 more stopped with kill() right after start, before their targets run, all end stopped (Python: -SIGTERM; a thread stopped before it ran reads exitCode 1 too, not the 0 Node gives it)", async () => {
    const quick = [1, 2, 3, 4, 5].map(() =>
      make(
        async (ms: number) => {
          await new Promise((resolve) => setTimeout(resolve, ms));
        },
        [10],
      ).start(),
    );
    expect(await Promise.all(quick.map((p) => p.join()))).toEqual([true, true, true, true, true]);
    expect(quick.map((p) => p.exitCode)).toEqual([0, 0, 0, 0, 0]);

    const sleepers = [1, 2, 3, 4, 5].map(() =>
      make(async () => {
        await new Promise(() => undefined);
      }).start(),
    );
    for (const p of sleepers) p.kill();
    expect(await Promise.all(sleepers.map((p) => p.join()))).toEqual([true, true, true, true, true]);
    for (const p of sleepers) expectStopped(p, "SIGTERM");
  });
});
