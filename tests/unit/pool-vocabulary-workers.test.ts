/**
 * The Pool's per-worker vocabulary on both backends: `initializer` +
 * `initargs`, `maxTasksPerChild`, `apply`, any iterable as input, unknown
 * options refused by name, worker errors rebuilt as their class, an
 * immediate `terminate()`, and idle workers that let a plain script exit.
 * (Streaming and cancelling: pool-vocabulary.test.ts.)
 *
 * No assertion on time: "immediate" is checked as "the running task was
 * cancelled and its worker is gone", and the script that must exit by itself
 * has a long timeout only as a guard against a hang.
 */
import { spawn } from "node:child_process";
import {
  InitializerError,
  InvalidOptionError,
  Pool,
  PoolClosedError,
  TaskCancelledError,
  TaskError,
  UnsendableValueError,
  liveResourceCount,
  terminateAll,
  type Backend,
} from "kernel-helpers";
import { expectNoLeaks, rejectionOf, thrownBy } from "../test-helpers";
import { backends, collect, isAlive, startThenLoopForever, until, useMarkers, withTestPool } from "../pool-test-helpers";

expectNoLeaks({ liveResourceCount, terminateAll });
const markers = useMarkers();

const square = (x: number): number => x * x;

describe.each(backends)("per-worker set-up and lifetime with %s workers", (backend) => {
  test("the initializer runs once in each worker, before its first task, with initargs", async () => {
    const setUp = (base: number, label: string): void => {
      const g = globalThis as { table?: { base: number; label: string }; setUps?: number };
      g.table = { base, label };
      g.setUps = (g.setUps ?? 0) + 1;
    };
    await withTestPool({ workers: 2, backend, initializer: setUp, initargs: [100, "ready"] }, async (pool) => {
      const readTable = (x: number): [number, string, number] => {
        const g = globalThis as unknown as { table: { base: number; label: string }; setUps: number };
        return [g.table.base + x, g.table.label, g.setUps];
      };
      const results = await pool.map(readTable, [1, 2, 3, 4, 5, 6], { chunkSize: 1 });
      expect(results).toEqual([1, 2, 3, 4, 5, 6].map((x) => [100 + x, "ready", 1]));
    });
  });

  test("a named task can be the initializer", async () => {
    await withTestPool({ workers: 1, backend, initializer: "sleep", initargs: [0, "ignored"] }, async (pool) => {
      expect(await pool.apply(square, [5])).toBe(25);
    });
  });

  test("an initializer that throws fails every task with InitializerError carrying its error, and nothing hangs", async () => {
    const failing = (): void => {
      throw new TypeError("the table file is missing");
    };
    await withTestPool({ workers: 2, backend, initializer: failing }, async (pool) => {
      const outcomes = await Promise.all([
        rejectionOf(pool.apply(square, [1])),
        rejectionOf(pool.map(square, [1, 2, 3, 4])),
        rejectionOf(collect(pool.imap(square, [1, 2, 3]))),
      ]);
      for (const error of outcomes) {
        expect(error).toBeInstanceOf(InitializerError);
        expect((error as InitializerError).cause).toBeInstanceOf(TypeError);
        expect((error as InitializerError).cause.message).toBe("the table file is missing");
        expect((error as Error).message).toContain('initializer "failing"');
      }
      // later calls fail the same way, at once
      expect(thrownBy(() => pool.applyAsync(square, [2]))).toBeInstanceOf(InitializerError);
      expect(await rejectionOf(pool.apply(square, [2]))).toBeInstanceOf(InitializerError);
    });
  });

  test("maxTasksPerChild replaces a worker after that many tasks; the results stay right", async () => {
    await withTestPool({ workers: 2, backend, maxTasksPerChild: 3 }, async (pool) => {
      const squareWhere = (x: number): [number, string] => {
        const { threadId } = process.mainModule!.require("node:worker_threads") as { threadId: number };
        return [x * x, `${process.pid}:${threadId}`];
      };
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => pool.apply(squareWhere, [i])));
      expect(results.map(([value]) => value)).toEqual(Array.from({ length: 12 }, (_, i) => i * i));
      const perWorker = new Map<string, number>();
      for (const [, id] of results) perWorker.set(id, (perWorker.get(id) ?? 0) + 1);
      expect([...perWorker.values()].every((count) => count <= 3)).toBe(true);
      expect(perWorker.size).toBeGreaterThanOrEqual(4);
      expect(pool.stats().totalWorkers).toBe(2);
    });
  });

  test("with maxTasksPerChild a chunk of map counts as one task, and the initializer runs again in each new worker", async () => {
    const setUp = (): void => {
      const g = globalThis as { setUps?: number };
      g.setUps = (g.setUps ?? 0) + 1;
    };
    await withTestPool({ workers: 1, backend, maxTasksPerChild: 2, initializer: setUp }, async (pool) => {
      const where = (x: number): [number, string, number] => {
        const { threadId } = process.mainModule!.require("node:worker_threads") as { threadId: number };
        return [x, `${process.pid}:${threadId}`, (globalThis as unknown as { setUps: number }).setUps];
      };
      const results = await pool.map(where, Array.from({ length: 12 }, (_, i) => i), { chunkSize: 3 });
      expect(results.map(([x]) => x)).toEqual(Array.from({ length: 12 }, (_, i) => i));
      expect(results.every(([, , setUps]) => setUps === 1)).toBe(true);
      // 4 chunks, 2 per worker: items 0-5 on one worker, 6-11 on the next
      const ids = results.map(([, id]) => id);
      expect(new Set(ids.slice(0, 6)).size).toBe(1);
      expect(new Set(ids.slice(6)).size).toBe(1);
      expect(ids[0]).not.toBe(ids[6]);
    });
  });

  test("apply runs one task and resolves with its result; after close() it rejects with PoolClosedError", async () => {
    const pool = new Pool({ workers: 1, backend });
    expect(await pool.apply((a: number, b: number) => a * b, [6, 7])).toBe(42);
    expect(await pool.apply("leibnizPiById", [3, 10])).toEqual([3, expect.any(Number)]);
    pool.close();
    const refused = pool.apply(square, [1]);
    expect(refused).toBeInstanceOf(Promise);
    expect(await rejectionOf(refused)).toBeInstanceOf(PoolClosedError);
    await pool.join();
  });

  test("map and starmap take a Set and a generator as well as an array", async () => {
    await withTestPool({ workers: 2, backend }, async (pool) => {
      function* numbers(): Generator<number> {
        yield* [1, 2, 3];
      }
      function* pairs(): Generator<[number, number]> {
        yield* [[1, 2], [3, 4]] as [number, number][];
      }
      const multiply = (a: number, b: number): number => a * b;
      expect(await pool.map(square, new Set([1, 2, 3]))).toEqual([1, 4, 9]);
      expect(await pool.map(square, numbers())).toEqual([1, 4, 9]);
      expect(await pool.starmap(multiply, new Set<[number, number]>([[2, 3], [4, 5]]))).toEqual([6, 20]);
      expect(await pool.starmap(multiply, pairs())).toEqual([2, 12]);
    });
  });

  test("terminate() while a worker computes an endless loop cancels that task and stops its worker", async () => {
    const pool = new Pool({ workers: 1, backend });
    const marker = markers.path();
    const running = pool.applyAsync(startThenLoopForever, [marker]);
    const queued = pool.applyAsync(square, [3]);
    await until(() => markers.read(marker) !== undefined);
    await pool.terminate();
    expect(await rejectionOf(running.get())).toBeInstanceOf(TaskCancelledError);
    expect(await rejectionOf(queued.get())).toBeInstanceOf(TaskCancelledError);
    expect(pool.state).toBe("terminated");
    expect(pool.stats()).toMatchObject({ totalWorkers: 0, busyWorkers: 0, pendingTasks: 0 });
    if (backend === "process") expect(isAlive(Number(markers.read(marker)!.split(":")[0]))).toBe(false);
  });
});

describe.each(backends)("worker errors rebuilt as their class, with %s workers", (backend) => {
  const throwers: [string, () => unknown, new (...args: never[]) => Error][] = [
    ["TypeError", () => (null as unknown as { size: number }).size, TypeError],
    ["RangeError", () => (1).toFixed(200), RangeError],
    ["SyntaxError", () => JSON.parse("{oops"), SyntaxError],
    ["Error", () => { throw new Error("plain"); }, Error],
  ];
  test.each(throwers)("a task throwing %s rejects with TaskError whose cause is rebuilt as that class, with the worker's message and stack", async (name, thrower, Class) => {
    await withTestPool({ workers: 1, backend }, async (pool) => {
      const error = await rejectionOf(pool.apply(thrower, []));
      expect(error).toBeInstanceOf(TaskError);
      const { cause, workerErrorName, workerMessage } = error as TaskError;
      expect(cause).toBeInstanceOf(Class);
      expect(cause.name).toBe(name);
      expect(workerErrorName).toBe(name);
      expect(cause.message).toBe(workerMessage);
      expect(cause.message.length).toBeGreaterThan(0);
      expect(cause.stack).toContain(`${name}: ${cause.message}`);
      expect(cause.stack).toMatch(/\n\s+at /);
    });
  });

  test("a custom error class keeps its name and message (the cause is an Error named like it)", async () => {
    await withTestPool({ workers: 1, backend }, async (pool) => {
      const parse = (text: string): never => {
        class ParseError extends Error {
          override name = "ParseError";
        }
        throw new ParseError(`unexpected token in ${text}`);
      };
      const error = (await rejectionOf(pool.apply(parse, ["x = ;"]))) as TaskError;
      expect(error).toBeInstanceOf(TaskError);
      expect(error.cause).toBeInstanceOf(Error);
      expect(error.cause).toMatchObject({ name: "ParseError", message: "unexpected token in x = ;" });
      expect(error.message).toContain("ParseError: unexpected token in x = ;");
      expect(error.cause.stack).toContain("ParseError");
    });
  });

  test("a Node error keeps its code (ENOENT), so it can be matched as in the worker", async () => {
    await withTestPool({ workers: 1, backend }, async (pool) => {
      const read = (file: string): string => (process.mainModule!.require("node:fs") as { readFileSync(f: string, e: string): string }).readFileSync(file, "utf8");
      const error = (await rejectionOf(pool.apply(read, [markers.path()]))) as TaskError;
      expect(error).toBeInstanceOf(TaskError);
      expect(error.cause).toBeInstanceOf(Error);
      expect(error.cause).toMatchObject({ code: "ENOENT" });
    });
  });
});

type Refusal = [string, (pool: Pool) => unknown, string, string];
/** A misspelt option of each method, the option named in the error, and the name it suggests. */
const misspelt: Refusal[] = [
  ["applyAsync", (pool) => pool.applyAsync(square, [1], { signl: undefined } as never), "`signl`", "`signal`"],
  ["apply", (pool) => pool.apply(square, [1], { transfr: true } as never), "`transfr`", "`transfer`"],
  ["map", (pool) => pool.map(square, [1], { chunksize: 2 } as never), "`chunksize`", "`chunkSize`"],
  ["map (an imap-only option)", (pool) => pool.map(square, [1], { lookAhead: 2 } as never), "`lookAhead`", "`onProgress`"],
  ["starmap", (pool) => pool.starmap(square, [[1]], { chunk_size: 2 } as never), "`chunk_size`", "`chunkSize`"],
  ["imap", (pool) => collect(pool.imap(square, [1], { lookahead: 2 } as never)), "`lookahead`", "`lookAhead`"],
  ["imapUnordered", (pool) => collect(pool.imapUnordered(square, [1], { onprogress: () => 0 } as never)), "`onprogress`", "`onProgress`"],
];

describe.each(backends)("unknown options refused by name, with %s workers", (backend) => {
  test.each(misspelt)("%s: a misspelt option is refused, naming it and the closest known one", async (method, call, option, suggestion) => {
    await withTestPool({ workers: 1, backend }, async (pool) => {
      let outcome: unknown;
      try {
        const returned = call(pool);
        outcome = returned instanceof Promise ? await rejectionOf(returned) : new Error("accepted");
      } catch (error) {
        outcome = error; // applyAsync throws at once, as its JSDoc says; the others reject
        expect(method).toBe("applyAsync");
      }
      expect(outcome).toBeInstanceOf(InvalidOptionError);
      expect((outcome as InvalidOptionError).option).toBe(option);
      expect((outcome as Error).message).toContain(method.startsWith("map (") ? "The options are" : `did you mean ${suggestion}`);
      expect(pool.stats().pendingTasks).toBe(0);
    });
  });

  test.each([
    [{ maxTaskPerChild: 2 }, "`maxTaskPerChild`", "`maxTasksPerChild`"],
    [{ worker: 2 }, "`worker`", "`workers`"],
    [{ initArgs: [1] }, "`initArgs`", "`initargs`"],
    [{ backends: "thread" }, "`backends`", "`backend`"],
  ])("new Pool(%j) is refused, naming the option and the closest known one", (options, option, suggestion) => {
    const error = thrownBy(() => new Pool({ backend, ...(options as object) }));
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).option).toBe(option);
    expect((error as Error).message).toContain(`did you mean ${suggestion}`);
  });
});

/** A bad value of each new option: the option the error names, and what its message shows. */
const badValues: [string, (backend: Backend) => unknown, string, string][] = [
  ["maxTasksPerChild 0", (backend) => new Pool({ backend, maxTasksPerChild: 0 }), "`maxTasksPerChild`", "0"],
  ["maxTasksPerChild 1.5", (backend) => new Pool({ backend, maxTasksPerChild: 1.5 }), "`maxTasksPerChild`", "1.5"],
  ["an initializer that is a number", (backend) => new Pool({ backend, initializer: 42 as never }), "`initializer`", "number"],
  ["an unknown initializer name", (backend) => new Pool({ backend, initializer: "loadTable" as never }), "`initializer`", "loadTable"],
  ["initargs that are not an array", (backend) => new Pool({ backend, initializer: "sleep", initargs: 5 as never }), "`initargs`", "5"],
  ["initargs without an initializer", (backend) => new Pool({ backend, initargs: [1] }), "`initargs`", "initializer"],
  ["a signal that is a string", (backend) => withTestPool({ backend, workers: 1 }, async (pool) => pool.apply(square, [1], { signal: "stop" as never })), "`signal`", "stop"],
  ["lookAhead 0", (backend) => withTestPool({ backend, workers: 1 }, async (pool) => collect(pool.imap(square, [1], { lookAhead: 0 }))), "`lookAhead`", "0"],
  ["onProgress that is a number", (backend) => withTestPool({ backend, workers: 1 }, async (pool) => collect(pool.imapUnordered(square, [1], { onProgress: 5 as never }))), "`onProgress`", "5"],
];

describe.each(backends)("bad values of the new options, with %s workers", (backend) => {
  test.each(badValues)("%s is refused, naming the option and showing the value", async (_case, make, option, shown) => {
    let error: unknown;
    try {
      const made = make(backend);
      error = made instanceof Promise ? await rejectionOf(made) : new Error("accepted");
      if (made instanceof Pool) await made.terminate();
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).option).toBe(option);
    expect((error as Error).message).toContain(shown);
  });

  test("initargs that cannot travel to a worker are refused with UnsendableValueError naming their path, and no pool is left", () => {
    const error = thrownBy(() => new Pool({ backend, initializer: "sleep", initargs: [0, () => 1] }));
    expect(error).toBeInstanceOf(UnsendableValueError);
    expect((error as Error).message).toContain("initargs[1]");
    expect(liveResourceCount()).toBe(0);
  });
});

describe.each(backends)("a plain Node script with %s workers", (backend: Backend) => {
  test("what a task prints reaches this process's stdout.write (where tslab captures a cell's output)", async () => {
    const write = process.stdout.write;
    let captured = "";
    process.stdout.write = ((chunk: string | Uint8Array) => ((captured += chunk.toString()), true)) as typeof write;
    try {
      await withTestPool({ workers: 1, backend }, async (pool) => {
        await pool.apply((text: string) => console.log(text), [`printed by a ${backend} worker`]);
        await until(() => captured.includes(`printed by a ${backend} worker`));
      });
    } finally {
      process.stdout.write = write;
    }
  });


  test("exits by itself after its tasks, without closing its pool, and its workers go with it", async () => {
    const library = require.resolve("kernel-helpers");
    const script = `
      const { Pool } = require(${JSON.stringify(library)});
      const pool = new Pool({ workers: 2, backend: ${JSON.stringify(backend)} });
      pool.apply(() => process.pid, []).then((pid) => console.log(JSON.stringify({ pid })));
    `;
    const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "pipe"] });
    try {
      let output = "";
      child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
      const code = await new Promise<number | null>((resolve, reject) => {
        const guard = setTimeout(() => reject(new Error(`the script did not exit by itself; output: ${output}`)), 45_000);
        child.once("exit", (exitCode) => {
          clearTimeout(guard);
          resolve(exitCode);
        });
      });
      expect(code).toBe(0);
      const { pid } = JSON.parse(output.trim()) as { pid: number };
      if (backend === "process") {
        expect(pid).not.toBe(child.pid);
        await until(() => !isAlive(pid)); // the worker saw its parent go and exited
      } else {
        expect(pid).toBe(child.pid);
      }
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  });
});
