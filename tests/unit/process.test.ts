/**
 * Process, on both backends: life cycle (start, join with and without a
 * timeout, kill, terminate), failures reported by join (uncaught error,
 * non-zero exit, signal) with the queue items the worker held, option
 * validation, module targets (and what a starting worker loads) and output
 * forwarding.
 *
 * Every test joins (or kills and joins) each worker it starts; afterEach
 * checks that nothing is left registered, and for child processes that the
 * pid is gone once join has returned.
 *
 * Inline targets are sent as source text: they use nothing from this file.
 * No test asserts an upper bound on a duration.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  InvalidOptionError,
  Process,
  ProcessFailedError,
  UnsendableValueError,
  Queue,
  liveResourceCount,
  terminateAll,
  type Backend,
  type ModuleTarget,
  type QueueLike,
} from "kernel-helpers";
import { rejectionOf, probePid, thrownBy, expectNoLeaks } from "../test-helpers";

const backends: Backend[] = ["process", "thread"];

/** Awaits a join that must reject with ProcessFailedError, and returns the error. */
async function failureOf(p: Process): Promise<ProcessFailedError> {
  const error = await rejectionOf(p.join());
  expect(error).toBeInstanceOf(ProcessFailedError);
  return error as ProcessFailedError;
}

/** The worker has ended: not alive, and for a child process its pid no longer exists. */
function expectGone(p: Process): void {
  expect(p.isAlive()).toBe(false);
  if (p.backend === "process") {
    expect(p.pid).not.toBe(process.pid);
    expect(probePid(p.pid!)).toBe("ESRCH");
  }
}

type Target = ConstructorParameters<typeof Process>[0]["target"];

expectNoLeaks({ liveResourceCount, terminateAll });

describe.each(backends)("Process with the %s backend", (backend) => {
  const make = (target: Target, args: unknown[] = [], name?: string): Process =>
    new Process({ target, args, backend, ...(name ? { name } : {}) });

  describe("life cycle", () => {
    test("a process that was not started has no pid, is not alive, and join rejects", async () => {
      const p = make("sumRandomNumbersToQueue", [1, 10, new Queue()]);
      expect(p.backend).toBe(backend);
      expect(p.pid).toBeUndefined();
      expect(p.threadId).toBeUndefined();
      expect(p.isAlive()).toBe(false);
      expect(p.exitCode).toBeNull();
      const error = await rejectionOf(p.join());
      expect((error as Error).message).toMatch(/not started/);
      p.kill(); // harmless
      await p.terminate(); // harmless
      expect(liveResourceCount()).toBe(0);
    });

    test("start returns the process itself, and join resolves true once the target returns", async () => {
      const q = new Queue<[number, number]>();
      const p = make("sumRandomNumbersToQueue", [1, 1_000, q]);
      expect(p.start()).toBe(p);
      expect(p.isAlive()).toBe(true);
      expect(liveResourceCount()).toBe(1);
      if (backend === "process") {
        expect(p.pid).toEqual(expect.any(Number));
        expect(p.pid).not.toBe(process.pid);
        expect(p.threadId).toBeUndefined();
      } else {
        expect(p.pid).toBe(process.pid);
        expect(p.threadId).toEqual(expect.any(Number));
        expect(p.threadId).toBeGreaterThan(0);
      }
      expect(await p.join()).toBe(true);
      expect(p.exitCode).toBe(0);
      expect(p.signal).toBeNull();
      expect(q.length).toBe(1);
      expectGone(p);
      expect(await p.join()).toBe(true); // joining again is harmless
      expect(await p.join(10)).toBe(true);
    });

    test("starting twice throws, before and after the end", async () => {
      const p = make("sumRandomNumbersToQueue", [1, 10, new Queue()]).start();
      expect(() => p.start()).toThrow(/already started/);
      await p.join();
      expect(() => p.start()).toThrow(/already started/);
    });

    test("join(timeoutMs) resolves false while the worker runs, and the worker keeps running", async () => {
      const go = new Queue<number>();
      const p = make(
        async (q: QueueLike<number>) => {
          await q.get();
        },
        [go],
      ).start();
      const started = performance.now();
      expect(await p.join(200)).toBe(false);
      expect(performance.now() - started).toBeGreaterThanOrEqual(200 - 25);
      expect(p.isAlive()).toBe(true);
      expect(await p.join(0)).toBe(false);
      await go.put(1);
      expect(await p.join(30_000)).toBe(true);
      expectGone(p);
    });

    test("join with an invalid timeout rejects with InvalidOptionError", async () => {
      const p = make("sumRandomNumbersToQueue", [1, 10, new Queue()]).start();
      expect(await rejectionOf(p.join(-1))).toBeInstanceOf(InvalidOptionError);
      expect(await rejectionOf(p.join(1.5))).toBeInstanceOf(InvalidOptionError);
      expect(await p.join()).toBe(true);
    });

    test("the name is the given one, or a default Process-<n>", async () => {
      expect(make("sumRandomNumbersToQueue", [1, 1, new Queue()], "my worker").name).toBe("my worker");
      expect(make("sumRandomNumbersToQueue", [1, 1, new Queue()]).name).toMatch(/^Process-\d+$/);
    });

    test("an inline target gets its arguments, including nested data and queues", async () => {
      const out = new Queue<unknown>();
      const p = make(
        async (n: number, text: string, data: { list: number[]; map: Map<string, number> }, nested: { q: QueueLike<unknown> }) => {
          await nested.q.put([n, text, data.list, [...data.map.entries()]]);
        },
        [7, "seven", { list: [1, 2], map: new Map([["a", 1]]) }, { q: out }],
      ).start();
      expect(await p.join()).toBe(true);
      expect(out.drain()).toEqual([[7, "seven", [1, 2], [["a", 1]]]]);
    });

    test("terminate() stops a running worker, join then resolves, and nothing stays registered", async () => {
      const p = make(async () => {
        await new Promise(() => undefined); // waits forever (the channel keeps it alive)
      }).start();
      expect(await p.join(100)).toBe(false);
      await p.terminate();
      expect(await p.join()).toBe(true);
      expectGone(p);
      expect(liveResourceCount()).toBe(0);
      await p.terminate(); // again: harmless
    });

    test("kill() stops a busy loop, and join resolves because the stop was asked for", async () => {
      const out = new Queue<string>();
      const p = make(
        async (q: QueueLike<string>) => {
          await q.put("spinning");
          for (;;) {
            // busy: never yields to the event loop
          }
        },
        [out],
      ).start();
      expect(await out.get({ timeoutMs: 20_000 })).toBe("spinning");
      p.kill();
      expect(await p.join()).toBe(true);
      expectGone(p);
      if (backend === "process") expect(p.signal).toBe("SIGTERM");
      else expect(p.signal).toBeNull();
      p.kill(); // after the end: no effect
    });

    test("a worker that leaves a timer running still ends when its target returns", async () => {
      const p = make(() => {
        setInterval(() => undefined, 1_000);
      }).start();
      expect(await p.join()).toBe(true);
      expectGone(p);
    });
  });

  describe("failures reported by join", () => {
    test("an error thrown by the target rejects join with ProcessFailedError carrying the worker's error and stack", async () => {
      const p = make(
        function explode() {
          throw new RangeError("kh-boom-sync");
        },
        [],
        "exploder",
      ).start();
      const error = await failureOf(p);
      expect(error.processName).toBe("exploder");
      expect(error.workerError?.name).toBe("RangeError");
      expect(error.workerError?.message).toBe("kh-boom-sync");
      expect(error.workerError?.stack).toContain("kh-boom-sync");
      expect(error.reason).toContain("RangeError: kh-boom-sync");
      expect(error.message).toContain("exploder failed");
      expect(error.stack).toContain("--- inside the worker ---");
      expect(error.exitCode).not.toBe(0);
      expect(error.exitCode).toBe(p.exitCode);
      expect(error.signal).toBeNull();
      expect(error.orphanedItems).toEqual([]);
      expectGone(p);
      // join keeps reporting the same failure
      expect(await rejectionOf(p.join())).toBe(error);
    });

    test("a rejection after an await in an async target is reported the same way", async () => {
      const p = make(async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        throw new TypeError("kh-boom-async");
      }).start();
      const error = await failureOf(p);
      expect(error.workerError).toEqual({ name: "TypeError", message: "kh-boom-async", stack: expect.stringContaining("kh-boom-async") });
      expect(error.exitCode).not.toBe(0);
    });

    test("an error thrown from a timer, outside the target's promise, is reported too", async () => {
      const p = make(() => {
        setTimeout(() => {
          throw new SyntaxError("kh-boom-timer");
        }, 20);
        return new Promise(() => undefined);
      }).start();
      const error = await failureOf(p);
      expect(error.workerError?.name).toBe("SyntaxError");
      expect(error.workerError?.message).toBe("kh-boom-timer");
    });

    test("a named task's validation error inside the worker is reported with its class name", async () => {
      const p = make("sumRandomNumbersToQueue", [1, -5, new Queue()]).start();
      const error = await failureOf(p);
      expect(error.workerError?.name).toBe("InvalidOptionError");
      expect(error.workerError?.message).toContain("`count`");
    });

    test("process.exit(3) in the target rejects join with exit code 3 and no worker error", async () => {
      const p = make(() => {
        process.exit(3);
      }).start();
      const error = await failureOf(p);
      expect(error.exitCode).toBe(3);
      expect(p.exitCode).toBe(3);
      expect(error.signal).toBeNull();
      expect(error.workerError).toBeUndefined();
      expect(error.reason).toBe("it exited with code 3");
      expectGone(p);
    });

    test("process.exit(0) in the target counts as a normal end", async () => {
      const p = make(() => {
        process.exit(0);
      }).start();
      expect(await p.join()).toBe(true);
      expect(p.exitCode).toBe(0);
    });

    test("a worker holding an item that exits non-zero names the item in the error and in queue.orphans", async () => {
      const jobs = new Queue<{ job: number }>("jobs");
      const events = new Queue<string>("events");
      await jobs.put({ job: 1 });
      await jobs.put({ job: 2 });
      const p = make(
        async (input: QueueLike<{ job: number }>, report: QueueLike<string>) => {
          await input.get();
          await report.put("took one");
          process.exit(3);
        },
        [jobs, events],
        "holder",
      ).start();
      const error = await failureOf(p);
      expect(error.exitCode).toBe(3);
      expect(error.orphanedItems).toEqual([{ queue: "jobs", item: { job: 1 } }]);
      expect(error.message).toContain('{"job":1} from "jobs"');
      expect(error.message).toContain("requeueOrphans");
      expect(jobs.orphans).toEqual([{ item: { job: 1 }, consumer: "holder" }]);
      expect(events.orphans).toEqual([]); // a put is not a take
      expect(jobs.length).toBe(1);
    });
  });

  describe("a worker killed mid-task", () => {
    if (backend === "process") {
      test("SIGKILL during a busy loop: join rejects with signal SIGKILL, and the pid is gone", async () => {
        const out = new Queue<string>();
        const p = make(
          async (q: QueueLike<string>) => {
            await q.put("spinning");
            for (;;) {
              // busy
            }
          },
          [out],
        ).start();
        expect(await out.get({ timeoutMs: 20_000 })).toBe("spinning");
        process.kill(p.pid!, "SIGKILL");
        const error = await failureOf(p);
        expect(error.signal).toBe("SIGKILL");
        expect(error.exitCode).toBeNull();
        expect(error.reason).toBe("it was killed by signal SIGKILL");
        expect(p.signal).toBe("SIGKILL");
        expectGone(p);
      });

      test("SIGKILL while holding an item: the item is orphaned, requeueOrphans puts it back, and a new worker finishes it", async () => {
        const input = new Queue<number>("input");
        const output = new Queue<[[number, number], number]>("output");
        const events = new Queue<number>("events");
        await input.put(10);
        const p = make(
          async (q: QueueLike<number>, report: QueueLike<number>) => {
            const item = await q.get();
            await report.put(item);
            await new Promise(() => undefined); // holds the item, waiting
          },
          [input, events],
          "victim",
        ).start();
        expect(await events.get({ timeoutMs: 20_000 })).toBe(10);
        process.kill(p.pid!, "SIGKILL");
        const error = await failureOf(p);
        expect(error.signal).toBe("SIGKILL");
        expect(error.orphanedItems).toEqual([{ queue: "input", item: 10 }]);
        expect(input.orphans).toEqual([{ item: 10, consumer: "victim" }]);
        expectGone(p);
        expect(input.length).toBe(0);

        expect(input.requeueOrphans()).toBe(1);
        expect(input.orphans).toEqual([]);
        expect(input.length).toBe(1);

        // The parent keeps working: a new worker takes the requeued item.
        const rescuer = make("sumRandomNumbersJob", [1, 1, input, output]).start();
        expect(await rescuer.join()).toBe(true);
        const results = output.drain();
        expect(results.map(([key]) => key)).toEqual([[1, 10]]);
        expect(input.length).toBe(0);
        expect(input.orphans).toEqual([]);
      });

      test("SIGTERM sent by someone else (not kill()) is a failure too", async () => {
        const p = make(async () => {
          await new Promise(() => undefined);
        }).start();
        expect(await p.join(100)).toBe(false);
        process.kill(p.pid!, "SIGTERM");
        const error = await failureOf(p);
        expect(error.signal).toBe("SIGTERM");
        expectGone(p);
      });
    }

    test("kill() while holding an item: join resolves, and the item is orphaned", async () => {
      const input = new Queue<string>("input");
      const events = new Queue<string>();
      await input.put("held");
      const p = make(
        async (q: QueueLike<string>, report: QueueLike<string>) => {
          await report.put(await q.get());
          await new Promise(() => undefined);
        },
        [input, events],
        "stopped",
      ).start();
      expect(await events.get({ timeoutMs: 20_000 })).toBe("held");
      p.kill();
      expect(await p.join()).toBe(true);
      expectGone(p);
      expect(input.orphans).toEqual([{ item: "held", consumer: "stopped" }]);
      expect(input.requeueOrphans()).toBe(1);
      expect(await input.getNowait()).toBe("held");
    });

    test("after a worker is killed, the owner and new workers carry on", async () => {
      const p = make(async () => {
        await new Promise(() => undefined);
      }).start();
      expect(await p.join(50)).toBe(false);
      p.kill("SIGKILL");
      expect(await p.join()).toBe(true);
      const results = new Queue<[number, number]>();
      const next = make("sumRandomNumbersToQueue", [2, 100, results]).start();
      expect(await next.join()).toBe(true);
      expect(results.drain().map(([id]) => id)).toEqual([2]);
    });
  });

  describe("module targets", () => {
    let dir: string;
    let modulePath: string;
    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "kh-process-test-"));
      modulePath = path.join(dir, "job.js");
      fs.writeFileSync(
        modulePath,
        [
          '"use strict";',
          "exports.putDouble = async function putDouble(out, x) {",
          "  await out.put({ doubled: x * 2, pid: process.pid });",
          "};",
          'exports.default = async function (out) { await out.put("default export ran"); };',
          "exports.notAFunction = 42;",
          "exports.loaded = async function (out) {",
          "  const files = Object.keys(require.cache).map((f) => f.split(require('path').sep).join('/'));",
          "  const builtins = (process.moduleLoadList || []).filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13));",
          "  await out.put({ files, builtins });",
          "};",
          "",
        ].join("\n"),
      );
    });
    afterAll(() => {
      fs.rmSync(dir, { recursive: true, force: true });
    });

    test("a named export of a CommonJS module runs and puts onto a queue", async () => {
      const out = new Queue<{ doubled: number; pid: number }>();
      const target: ModuleTarget = { module: modulePath, exportName: "putDouble" };
      const p = make(target, [out, 21]).start();
      expect(await p.join()).toBe(true);
      const [result] = out.drain();
      expect(result?.doubled).toBe(42);
      expect(result?.pid).toBe(p.pid); // the child's pid, or this process's for a thread
    });

    test("without exportName the default export runs", async () => {
      const out = new Queue<string>();
      const p = make({ module: modulePath }, [out]).start();
      expect(await p.join()).toBe(true);
      expect(out.drain()).toEqual(["default export ran"]);
    });

    test.each(["nope", "notAFunction"])("an export %p that is not a function fails join with a clear worker error", async (exportName) => {
      const p = make({ module: modulePath, exportName }, [new Queue()]).start();
      const error = await failureOf(p);
      expect(error.workerError?.message).toContain(`has no exported function "${exportName}"`);
    });

    test("a starting worker loads its own side only: not the owner's Queue, Manager, lanes or child_process", async () => {
      const out = new Queue<{ files: string[]; builtins: string[] }>();
      const p = make({ module: modulePath, exportName: "loaded" }, [out]).start();
      expect(await p.join()).toBe(true);
      const [seen] = out.drain();
      const ours = seen!.files.filter((f) => f.includes("/kernel-helpers/dist/")).map((f) => f.replace(/.*\/kernel-helpers\/dist\//, ""));
      expect(ours).toContain("transport/workers/process-entry.js"); // what this checks is there
      expect(ours).toContain("transport/owner-link.js");
      for (const ownerSide of ["primitives/queue.js", "primitives/manager.js", "primitives/pool.js", "transport/process-channel.js", "transport/manager-lane-owner.js", "transport/manager-proxy.js", "transport/encode-args.js", "index.js"]) {
        expect(ours).not.toContain(ownerSide);
      }
      // a thread shares its process's list of built-in modules with the owner; a child has its own
      if (backend === "process") {
        expect(seen!.builtins).toContain("net");
        for (const builtin of ["child_process", "crypto"]) expect(seen!.builtins).not.toContain(builtin);
      }
    });

    test("a module that does not exist fails join with the loader's error", async () => {
      const p = make({ module: path.join(dir, "missing.js") }, []).start();
      const error = await failureOf(p);
      expect(error.workerError?.message).toContain("Cannot find module");
    });
  });

  describe("output forwarding", () => {
    test.each([
      ["stdout", 0],
      ["stderr", 0],
      ["stdout", 3],
    ] as const)("what the worker prints to %s (then exit code %p) reaches the same stream here by the time join settles", async (stream, code) => {
      const marker = `kh-${stream}-${backend}-${code}-${Math.random().toString(36).slice(2)}`;
      const seen: string[] = [];
      const spy = jest.spyOn(process[stream], "write").mockImplementation(((chunk: string | Uint8Array) => {
        seen.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
        return true;
      }) as typeof process.stdout.write);
      let outcome: unknown;
      try {
        const p = make(
          (text: string, which: string, exitCode: number) => {
            if (which === "stdout") console.log(text);
            else console.error(text);
            if (exitCode !== 0) process.exit(exitCode);
          },
          [marker, stream, code],
        ).start();
        outcome = await p.join().catch((error: unknown) => error);
      } finally {
        spy.mockRestore();
      }
      if (code === 0) expect(outcome).toBe(true);
      else expect((outcome as ProcessFailedError).exitCode).toBe(code);
      expect(seen.join("")).toContain(marker);
    });
  });
});

describe("option validation (nothing starts)", () => {
  /** Builds a Process from options that must be refused, and returns the InvalidOptionError. */
  function refusal(options: Record<string, unknown>): InvalidOptionError {
    const error = thrownBy(() => new Process(options as unknown as ConstructorParameters<typeof Process>[0]));
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(liveResourceCount()).toBe(0);
    return error as InvalidOptionError;
  }

  test.each(backends)("a function inside args (%s backend) throws UnsendableValueError naming its path", (backend) => {
    const error = refusal({ target: "sumRandomNumbersToQueue", args: [1, () => 2], backend });
    expect(error).toBeInstanceOf(UnsendableValueError);
    expect(error.option).toBe("args[1]");
    expect(error.message).toMatch(/^Cannot send args\[1\] to Process-\d+: it is a function/);
  });

  test("a function nested in an object inside args throws UnsendableValueError naming the path inside it", () => {
    const error = refusal({ target: "sumRandomNumbersToQueue", args: [{ deep: { callback: () => 1 } }] });
    expect(error.option).toBe("args[0].deep.callback");
  });

  test("args that are not an array throw InvalidOptionError naming `args`", () => {
    expect(refusal({ target: "sumRandomNumbersToQueue", args: "1, 2" }).option).toBe("`args`");
  });

  test('backend "fiber" throws InvalidOptionError naming the option, the value and the choices', () => {
    const error = refusal({ target: "sumRandomNumbersToQueue", args: [], backend: "fiber" });
    expect(error.option).toBe("`backend`");
    expect(error.message).toContain('"fiber"');
    expect(error.message).toContain('"process"');
    expect(error.message).toContain('"thread"');
  });

  test("an unknown task name throws InvalidOptionError naming the task and listing the known ones", () => {
    const error = refusal({ target: "noSuchTask", args: [] });
    expect(error.message).toContain('"noSuchTask"');
    expect(error.message).toContain("sumRandomNumbersToQueue");
  });

  test.each([
    ["a number", 42],
    ["a native function", Math.max],
    ["a method shorthand", { m() {} }.m],
    ["a module target with an empty path", { module: "" }],
  ])("a target that is %s throws InvalidOptionError", (_label, target) => {
    refusal({ target, args: [] });
  });

  test("an empty name throws InvalidOptionError naming `name`", () => {
    expect(refusal({ target: "sumRandomNumbersToQueue", args: [], name: "" }).option).toBe("`name`");
  });

  test("the default backend is process", () => {
    expect(new Process({ target: "sumRandomNumbersToQueue", args: [1, 1, new Queue()] }).backend).toBe("process");
  });
});

describe("a Queue inside a Map in args", () => {
  // A Queue inside a Map or Set is encoded like one in an array; inside a
  // class instance it is refused by the constructor (it would arrive lifeless).
  test("is either refused by the constructor or usable by the worker", async () => {
    const q = new Queue<number>("in a map");
    let p: Process;
    try {
      p = new Process({
        target: async (m: Map<string, QueueLike<number>>) => {
          await m.get("q")!.put(1);
        },
        args: [new Map([["q", q]])],
        backend: "thread",
      });
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidOptionError);
      return;
    }
    const outcome = await p.start().join().catch((error: unknown) => error);
    expect(outcome).toBe(true);
    expect(q.drain()).toEqual([1]);
  });
});

describe.each(backends)("consumers with the same name (%s backend)", (backend) => {
  // The queues key the items a consumer holds by a per-Process id, not by
  // the name, which need not be unique.
  test("when one of two same-named workers dies, its own item is the orphan, not the other's", async () => {
    const jobs = new Queue<string>("jobs");
    const events = new Queue<string>();
    const goA = new Queue<number>();
    const goB = new Queue<number>();
    await jobs.put("first");
    await jobs.put("second");
    const holder = async (input: QueueLike<string>, report: QueueLike<string>, go: QueueLike<number>, code: number): Promise<void> => {
      await report.put(await input.get());
      await go.get();
      if (code !== 0) process.exit(code); // dies holding its item
      await input.taskDone();
    };
    const a = new Process({ target: holder, args: [jobs, events, goA, 3], backend, name: "worker" }).start();
    const b = new Process({ target: holder, args: [jobs, events, goB, 0], backend, name: "worker" });
    let aError: ProcessFailedError | undefined;
    let orphans: unknown;
    try {
      expect(await events.get({ timeoutMs: 20_000 })).toBe("first");
      b.start();
      expect(await events.get({ timeoutMs: 20_000 })).toBe("second");
      await goA.put(0); // A exits with code 3 holding "first"; B still holds "second".
      aError = (await rejectionOf(a.join())) as ProcessFailedError;
      orphans = jobs.orphans.map((o) => o.item);
      await goB.put(0);
      await b.join();
    } finally {
      await a.terminate();
      await b.terminate();
    }
    expect(aError).toBeInstanceOf(ProcessFailedError);
    expect(aError?.orphanedItems.filter((o) => o.queue === "jobs").map((o) => o.item)).toEqual(["first"]);
    expect(orphans).toEqual(["first"]);
  });
});

describe("queues in other containers", () => {
  test("a Queue inside a Set reaches the worker as a usable proxy", async () => {
    const results = new Queue<string>("from-set");
    const p = new Process({
      backend: "thread",
      target: async (set: Set<{ put(x: string): Promise<void> }>) => {
        for (const q of set) await q.put("via set");
      },
      args: [new Set([results])],
    }).start();
    await p.join();
    expect(results.drain()).toEqual(["via set"]);
  });

  test("a Queue inside a class instance is refused with UnsendableValueError naming the instance", () => {
    class Holder {
      constructor(readonly queue: Queue<number>) {}
    }
    expect(() => new Process({ target: "sumRandomNumbersToQueue", args: [new Holder(new Queue())] })).toThrow(
      expect.objectContaining({ name: "UnsendableValueError", option: "args[0]", message: expect.stringContaining("instance of Holder") }),
    );
  });
});
