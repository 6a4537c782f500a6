/**
 * Manager, owner and proxies, on both backends: the owner's API (start,
 * get/set/delete/has/keys/entries/size/snapshot, batch, update, key checks),
 * the copy caveat seen from the owner, pool tasks and Processes, atomic
 * updates from many workers at once (exact totals), unsendable values named
 * with their path (at the owner and inside workers), consistency when a
 * worker dies mid-run, shutdown (and terminateAll), the shared-memory counter
 * task, and a Manager in Pool task arguments (Queues there: pool-queues.test.ts).
 *
 * Every test stops every pool, process and manager it starts; afterEach checks
 * that nothing is left registered and that no manager socket of this test
 * process is left in the temporary directory.
 *
 * Inline tasks and targets are sent as source text: they use nothing from this
 * file and get the manager (as a proxy) through their arguments.
 * Read-modify-write is allowed to lose updates, so it is only bounded, never
 * required to lose. No test asserts an upper bound on a duration.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { types } from "node:util";
import {
  InvalidOptionError,
  Manager,
  ManagerUnavailableError,
  Pool,
  Process,
  Queue,
  TaskError,
  UnsendableValueError,
  WorkerCrashedError,
  checkSendable,
  connectManager,
  incrementSharedCounter,
  liveResourceCount,
  terminateAll,
  type Backend,
  type LucasEntry,
  type ManagerLike,
  type QueueLike,
} from "kernel-helpers";
import { rejectionOf, probePid, thrownBy, expectNoLeaks } from "../test-helpers";

const backends: Backend[] = ["thread", "process"];

/** The sockets of this test process's managers still in the temporary directory. */
function leftoverSockets(): string[] {
  const prefix = `kh-manager-${process.pid}-`;
  return fs.readdirSync(os.tmpdir()).filter((name) => name.startsWith(prefix));
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Stops a pool the polite way (every task it was given has finished). */
async function closeAndJoin(pool: Pool): Promise<void> {
  pool.close();
  await pool.join();
}

expectNoLeaks({ liveResourceCount, terminateAll }, () => {
  expect(leftoverSockets()).toEqual([]);
});

describe("the owner's API", () => {
  test("start copies initial data from a plain object, registers the manager and listens on a socket", async () => {
    const initial = { 1: { Sequence: [0, 1], CompFinished: false }, b: { Sequence: [2], CompFinished: true } };
    const manager = await Manager.start<{ Sequence: number[]; CompFinished: boolean }>(initial);
    expect(liveResourceCount()).toBe(1);
    expect(fs.existsSync(manager.address)).toBe(true);
    // a socket in a folder only this user may open, and a 256-bit key that proxies must present
    expect((fs.statSync(path.dirname(manager.address)).mode & 0o777).toString(8)).toBe("700");
    expect(manager.reference()).toEqual({ __khManager: manager.address, key: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(await manager.keys()).toEqual(["1", "b"]);
    expect(await manager.get(1)).toEqual({ Sequence: [0, 1], CompFinished: false });
    expect(await manager.get("1")).toEqual({ Sequence: [0, 1], CompFinished: false });
    initial[1].Sequence.push(99); // the manager holds a copy
    expect(await manager.get(1)).toEqual({ Sequence: [0, 1], CompFinished: false });
    await manager.shutdown();
    expect(liveResourceCount()).toBe(0);
    expect(fs.existsSync(manager.address)).toBe(false);
    expect(fs.existsSync(path.dirname(manager.address))).toBe(false);
  });

  test("start accepts a Map, and its numeric keys become strings", async () => {
    const manager = await Manager.start(new Map<string | number, string>([[1, "one"], ["two", "2"], [2.5, "two and a half"]]));
    expect(await manager.keys()).toEqual(["1", "two", "2.5"]);
    expect(await manager.get("1")).toBe("one");
    expect(await manager.get(2.5)).toBe("two and a half");
    expect(await manager.has(1)).toBe(true);
    expect(await manager.snapshot()).toEqual({ 1: "one", two: "2", "2.5": "two and a half" });
    await manager.shutdown();
  });

  test("start with an unsendable initial value rejects naming its key, and leaves nothing running", async () => {
    const error = await rejectionOf(Manager.start<unknown>({ fine: 1, bad: { f: () => 1 } }));
    expect(error).toBeInstanceOf(UnsendableValueError);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as Error).message).toContain('manager["bad"].f');
    expect(liveResourceCount()).toBe(0);
    expect(leftoverSockets()).toEqual([]);
  });

  test("get, set, delete, has, keys, entries, size and snapshot work on the owner's data", async () => {
    const manager = await Manager.start<number | string>();
    expect(await manager.size()).toBe(0);
    expect(await manager.get("missing")).toBeUndefined();
    expect(await manager.has("missing")).toBe(false);
    await manager.set("a", 1);
    await manager.set(2, "two");
    await manager.set("c", 3);
    expect(await manager.size()).toBe(3);
    expect(await manager.keys()).toEqual(["a", "2", "c"]);
    expect(await manager.entries()).toEqual([["a", 1], ["2", "two"], ["c", 3]]);
    expect(await manager.has(2)).toBe(true);
    expect(await manager.delete("a")).toBe(true);
    expect(await manager.delete("a")).toBe(false);
    expect(await manager.has("a")).toBe(false);
    await manager.set("c", 30); // overwrite keeps the key's place
    const snapshot = await manager.snapshot();
    expect(snapshot).toEqual({ 2: "two", c: 30 });
    expect(Object.getPrototypeOf(snapshot)).toBe(Object.prototype);
    expect(await manager.size()).toBe(2);
    await manager.shutdown();
  });

  test("batch runs its operations in order and returns their results in order", async () => {
    const manager = await Manager.start<number>({ a: 1, b: 2 });
    const results = await manager.batch([
      { op: "get", key: "a" },
      { op: "set", key: "a", value: 10 },
      { op: "get", key: "a" },
      { op: "delete", key: "b" },
      { op: "has", key: "b" },
      { op: "set", key: 3, value: 3 },
      { op: "has", key: "3" },
      { op: "delete", key: "nothing" },
    ]);
    expect(results).toEqual([1, undefined, 10, true, false, undefined, true, false]);
    expect(await manager.snapshot()).toEqual({ a: 10, 3: 3 });
    expect(await manager.batch([])).toEqual([]);
    await manager.shutdown();
  });

  test("a bad value, a bad key or an unknown operation stops a batch before anything changed", async () => {
    const manager = await Manager.start<unknown>({ a: 1, b: 2 });
    const badValue = await rejectionOf(
      manager.batch([
        { op: "set", key: "a", value: 100 },
        { op: "delete", key: "b" },
        { op: "set", key: "c", value: { list: [1, () => 2] } },
      ]),
    );
    expect(badValue).toBeInstanceOf(UnsendableValueError);
    expect((badValue as Error).message).toContain('manager["c"].list[1]');
    const badKey = await rejectionOf(manager.batch([{ op: "set", key: "a", value: 100 }, { op: "get", key: NaN }]));
    expect(badKey).toBeInstanceOf(InvalidOptionError);
    expect((badKey as InvalidOptionError).option).toBe("`key`");
    const badOp = await rejectionOf(manager.batch([{ op: "set", key: "a", value: 100 }, { op: "update", key: "a" } as never]));
    expect(badOp).toBeInstanceOf(InvalidOptionError);
    expect((badOp as InvalidOptionError).option).toBe("`operations`");
    expect((badOp as Error).message).toMatch(/Unknown batch operation .*"update"/);
    expect(await rejectionOf(manager.batch("nope" as never))).toBeInstanceOf(InvalidOptionError);
    expect(await manager.snapshot()).toEqual({ a: 1, b: 2 });
    await manager.shutdown();
  });

  test("update stores and returns fn's value; fn gets a copy of the current value (undefined if absent) and the args", async () => {
    const manager = await Manager.start<{ total: number; seen: string[] }>();
    const add = (current: { total: number; seen: string[] } | undefined, amount: number, who: string) => ({
      total: (current?.total ?? 0) + amount,
      seen: [...(current?.seen ?? []), who],
    });
    expect(await manager.update("k", add, 5, "first")).toEqual({ total: 5, seen: ["first"] });
    const second = await manager.update("k", add, 7, "second");
    expect(second).toEqual({ total: 12, seen: ["first", "second"] });
    second.seen.push("changed outside"); // the returned value is a copy too
    expect(await manager.get("k")).toEqual({ total: 12, seen: ["first", "second"] });
    expect(await manager.update("absent", (current) => ({ total: current === undefined ? -1 : 1, seen: [] }))).toEqual({ total: -1, seen: [] });
    expect(await manager.update(4, function (current, label: string) { return { total: 4, seen: [String(current), label] }; }, "plain function")).toEqual({
      total: 4,
      seen: ["undefined", "plain function"],
    });
    expect(await manager.keys()).toEqual(["k", "absent", "4"]);
    await manager.shutdown();
  });

  test("an update fn that throws rejects with its message and leaves the value unchanged", async () => {
    const manager = await Manager.start<number>({ n: 41 });
    const error = await rejectionOf(
      manager.update("n", (current, limit: number) => {
        if ((current ?? 0) < limit) throw new RangeError(`too small for ${limit}`);
        return 0;
      }, 100),
    );
    expect(error).toBeInstanceOf(RangeError);
    expect((error as Error).message).toBe("too small for 100");
    expect(await manager.get("n")).toBe(41);
    await manager.shutdown();
  });

  test("an update fn that returns an unsendable value is refused, naming the key, and the value is unchanged", async () => {
    const manager = await Manager.start<unknown>({ n: 1 });
    const error = await rejectionOf(manager.update("n", (current) => ({ current, later: () => current })));
    expect(error).toBeInstanceOf(UnsendableValueError);
    expect((error as Error).message).toContain('manager["n"].later');
    expect(await manager.get("n")).toBe(1);
    await manager.shutdown();
  });

  test("update refuses unsendable args and functions that cannot travel as source text", async () => {
    const manager = await Manager.start<unknown>({ n: 1 });
    const badArgs = await rejectionOf(manager.update("n", (current: unknown, f: unknown) => [current, f], () => 1));
    expect(badArgs).toBeInstanceOf(UnsendableValueError);
    expect((badArgs as Error).message).toContain("the update's arguments[0]");
    const shorthand = { bump(current: unknown) { return current; } };
    const badFn = await rejectionOf(manager.update("n", shorthand.bump));
    expect(badFn).toBeInstanceOf(InvalidOptionError);
    expect((badFn as InvalidOptionError).option).toBe("`fn`");
    expect(await rejectionOf(manager.update("n", "x => x" as never))).toBeInstanceOf(InvalidOptionError);
    expect(await manager.get("n")).toBe(1);
    await manager.shutdown();
  });

  test.each([
    ["NaN", NaN],
    ["Infinity", Infinity],
    ["an object", {}],
    ["an array", ["a"]],
    ["undefined", undefined],
    ["null", null],
    ["a boolean", true],
  ])("a key that is %s is refused by every method with InvalidOptionError naming `key`", async (_, key) => {
    const manager = await Manager.start<number>({ a: 1 });
    const k = key as never;
    const calls: [string, () => Promise<unknown>][] = [
      ["get", () => manager.get(k)],
      ["set", () => manager.set(k, 1)],
      ["delete", () => manager.delete(k)],
      ["has", () => manager.has(k)],
      ["update", () => manager.update(k, () => 1)],
      ["batch", () => manager.batch([{ op: "set", key: k, value: 1 }])],
    ];
    for (const [method, call] of calls) {
      const error = await rejectionOf(call());
      expect([method, error instanceof InvalidOptionError]).toEqual([method, true]);
      expect((error as InvalidOptionError).option).toBe("`key`");
      expect((error as Error).message).toMatch(/string or a finite number/);
    }
    expect(await manager.snapshot()).toEqual({ a: 1 });
    await manager.shutdown();
  });

  test("a proxy's set, update and batch reject a bad key with InvalidOptionError naming `key`", async () => {
    const manager = await Manager.start<number>({ a: 1 });
    const proxy = connectManager<number>(manager.reference());
    for (const call of [() => proxy.set(NaN, 1), () => proxy.update({} as never, () => 1), () => proxy.batch([{ op: "get", key: Infinity }])]) {
      const error = await rejectionOf(call());
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect((error as InvalidOptionError).option).toBe("`key`");
    }
    expect(await proxy.get(["a"][0]!)).toBe(1); // and it still works
    proxy.close();
    await manager.shutdown();
  });

  // Regression: the proxy's get, delete and has once threw synchronously on a bad key.
  test("a proxy's get, delete and has reject a bad key instead of throwing synchronously", async () => {
    const manager = await Manager.start<number>({ a: 1 });
    const proxy = connectManager<number>(manager.reference());
    try {
      const outcomes = await Promise.all(
        [() => proxy.get(NaN), () => proxy.delete(NaN), () => proxy.has(NaN)].map((call) => {
          try {
            return call().then(
              () => "resolved",
              (error: Error) => `rejected with ${error.name}`,
            );
          } catch (error) {
            return `threw ${(error as Error).name} synchronously`;
          }
        }),
      );
      expect(outcomes).toEqual(Array(3).fill("rejected with InvalidOptionError"));
    } finally {
      proxy.close();
      await manager.shutdown();
    }
  });
});

describe("the copy caveat", () => {
  interface Entry {
    items: number[];
    done: boolean;
  }

  test("at the owner, get, entries and snapshot return copies, and set stores a copy", async () => {
    const manager = await Manager.start<Entry>({ k: { items: [1, 2, 3], done: false } });
    const copy = (await manager.get("k"))!;
    copy.items.push(4);
    copy.done = true;
    expect(await manager.get("k")).toEqual({ items: [1, 2, 3], done: false }); // changed nothing...
    (await manager.entries())[0]![1].items.length = 0;
    (await manager.snapshot()).k!.done = true;
    expect(await manager.get("k")).toEqual({ items: [1, 2, 3], done: false });
    // ...until it is assigned back. (Rebuilt in this realm: setting the copy
    // itself is refused under jest, see the realm bug below.)
    const changed = { items: [...copy.items], done: copy.done };
    await manager.set("k", changed);
    expect(await manager.get("k")).toEqual({ items: [1, 2, 3, 4], done: true });
    changed.items.push(5); // and what was stored is a copy of it
    expect(await manager.get("k")).toEqual({ items: [1, 2, 3, 4], done: true });
    await manager.shutdown();
  });

  test("at the owner, a batch stores copies of its values and its gets return copies; numbers and strings come back as they went", async () => {
    const manager = await Manager.start<Entry | number | string>();
    const entry: Entry = { items: [1], done: false };
    const [, got] = (await manager.batch([
      { op: "set", key: "e", value: entry },
      { op: "get", key: "e" },
      { op: "set", key: "n", value: -0 },
      { op: "set", key: "s", value: "text" },
    ])) as [undefined, Entry];
    entry.items.push(2); // the caller's object, after the batch
    got.items.push(3); // the batch's answer
    expect(await manager.get("e")).toEqual({ items: [1], done: false });
    expect(Object.is(await manager.get("n"), -0)).toBe(true);
    expect(await manager.get("s")).toBe("text");
    await manager.shutdown();
  });

  describe.each(backends)("from a pool with %s workers", (backend) => {
    test("a task that changes its copy without set leaves the manager unchanged; with set it changes", async () => {
      const manager = await Manager.start<Entry>({ k: { items: [1, 2, 3], done: false } });
      const pool = new Pool({ workers: 1, backend });
      const changeCopy = async (m: ManagerLike<Entry>, assign: boolean): Promise<Entry> => {
        const entry = (await m.get("k"))!;
        entry.items.push(4);
        entry.done = true;
        if (assign) await m.set("k", entry);
        return entry;
      };
      expect(await pool.applyAsync(changeCopy, [manager, false]).get()).toEqual({ items: [1, 2, 3, 4], done: true });
      expect(await manager.get("k")).toEqual({ items: [1, 2, 3], done: false });
      expect(await pool.applyAsync(changeCopy, [manager, true]).get()).toEqual({ items: [1, 2, 3, 4], done: true });
      expect(await manager.get("k")).toEqual({ items: [1, 2, 3, 4], done: true });
      await closeAndJoin(pool);
      await manager.shutdown();
    });

    test("lucasSequenceWorker extends every entry through the manager (copy, change, set)", async () => {
      const limit = 1_000;
      const manager = await Manager.start<LucasEntry>(
        new Map([1, 2, 3].map((key): [number, LucasEntry] => [key, { Sequence: [2, 1], CompFinished: false }])),
      );
      const pool = new Pool({ workers: 2, backend });
      const returned = await pool.starmap("lucasSequenceWorker", [1, 2, 3].map((key) => [manager, key, limit] as [Manager<LucasEntry>, number, number]), { chunkSize: 1 });
      await closeAndJoin(pool);
      const stored = await manager.snapshot();
      expect(Object.keys(stored)).toEqual(["1", "2", "3"]);
      [1, 2, 3].forEach((key, i) => {
        const entry = stored[key]!;
        expect(entry).toEqual(returned[i]);
        expect(entry.CompFinished).toBe(true);
        expect(entry.P).toBeGreaterThanOrEqual(1);
        expect(entry.P).toBeLessThanOrEqual(key);
        expect(entry.Q).toBeLessThanOrEqual(-1);
        expect(entry.Q).toBeGreaterThanOrEqual(-key);
        const s = entry.Sequence;
        expect(s.slice(0, 2)).toEqual([2, 1]);
        for (let n = 2; n < s.length; n++) expect(s[n]).toBe(entry.P! * s[n - 1]! - entry.Q! * s[n - 2]!);
        expect(s[s.length - 1]).toBeGreaterThanOrEqual(limit);
        expect(s[s.length - 2]).toBeLessThan(limit);
      });
      await manager.shutdown();
    });
  });

  describe.each(backends)("from a Process with the %s backend", (backend) => {
    test("a process that changes its copy without set leaves the manager unchanged; with set it changes", async () => {
      const manager = await Manager.start<Entry>({ k: { items: [1, 2, 3], done: false } });
      const changeCopy = async (m: ManagerLike<Entry>, assign: boolean): Promise<void> => {
        const entry = (await m.get("k"))!;
        entry.items.push(4);
        entry.done = true;
        if (assign) await m.set("k", entry);
      };
      const withoutSet = new Process({ target: changeCopy, args: [manager, false], backend }).start();
      expect(await withoutSet.join()).toBe(true);
      expect(await manager.get("k")).toEqual({ items: [1, 2, 3], done: false });
      const withSet = new Process({ target: changeCopy, args: [manager, true], backend }).start();
      expect(await withSet.join()).toBe(true);
      expect(await manager.get("k")).toEqual({ items: [1, 2, 3, 4], done: true });
      await manager.shutdown();
    });
  });
});

describe("updates from many workers at once", () => {
  describe.each(backends)("a pool with %s workers", (backend) => {
    const tasks = 4;
    const times = 200;

    test(`${tasks} tasks × ${times} atomic updates of the same key end with exactly ${tasks * times}`, async () => {
      const manager = await Manager.start<number>({ n: 0 });
      const pool = new Pool({ workers: tasks, backend });
      const done = await Promise.all(
        Array.from({ length: tasks }, () => pool.applyAsync("incrementCounter", [manager, "n", times, "atomic-update"]).get()),
      );
      expect(done).toEqual(Array(tasks).fill(times));
      expect(await manager.get("n")).toBe(tasks * times);
      await closeAndJoin(pool);
      await manager.shutdown();
    });

    test("read-modify-write may lose updates but never adds any: the total is a whole number, at most the expected one", async () => {
      const manager = await Manager.start<number>();
      const pool = new Pool({ workers: tasks, backend });
      await pool.map((i: number) => i, [0, 1, 2, 3]); // warm up, so the counters overlap
      await Promise.all(
        Array.from({ length: tasks }, () => pool.applyAsync("incrementCounter", [manager, "n", times, "read-modify-write"]).get()),
      );
      const total = (await manager.get("n"))!;
      expect(Number.isInteger(total)).toBe(true);
      expect(total).toBeGreaterThanOrEqual(1);
      expect(total).toBeLessThanOrEqual(tasks * times);
      await closeAndJoin(pool);
      await manager.shutdown();
    });
  });

  describe.each(backends)("Processes with the %s backend", (backend) => {
    test("4 processes × 200 atomic updates of the same key end with exactly 800", async () => {
      const manager = await Manager.start<number>();
      const workers = Array.from({ length: 4 }, (_, i) =>
        new Process({ target: "incrementCounter", args: [manager, "n", 200, "atomic-update"], backend, name: `counter-${i}` }).start(),
      );
      expect(await Promise.all(workers.map((p) => p.join()))).toEqual([true, true, true, true]);
      expect(await manager.get("n")).toBe(800);
      if (backend === "process") for (const p of workers) expect(probePid(p.pid!)).toBe("ESRCH");
      await manager.shutdown();
    });
  });

  test("pool threads, pool processes and Processes of both kinds updating one key together end with the exact total", async () => {
    const times = 150;
    const manager = await Manager.start<number>({ n: 0 });
    const pools = backends.map((backend) => new Pool({ workers: 2, backend }));
    const poolRuns = pools.flatMap((pool) =>
      [0, 1].map(() => pool.applyAsync("incrementCounter", [manager, "n", times, "atomic-update"]).get()),
    );
    const processes = backends.map((backend) => new Process({ target: "incrementCounter", args: [manager, "n", times, "atomic-update"], backend }).start());
    const byDirectProxy = (async () => {
      const proxy = connectManager<number>(manager.reference()); // a proxy in this very process counts too
      for (let i = 0; i < times; i++) await proxy.update("n", (current) => (current ?? 0) + 1);
      proxy.close();
    })();
    const byOwner = (async () => {
      for (let i = 0; i < times; i++) await manager.update("n", (current) => (current ?? 0) + 1);
    })();
    await Promise.all([...poolRuns, ...processes.map((p) => p.join()), byDirectProxy, byOwner]);
    expect(await manager.get("n")).toBe((4 + 2 + 2) * times);
    await Promise.all(pools.map(closeAndJoin));
    await manager.shutdown();
  });
});

describe("unsendable values", () => {
  class Point {
    constructor(readonly x = 0) {}
  }
  const cyclic: Record<string, unknown> = { a: { b: [0, 1] } };
  ((cyclic.a as { b: unknown[] }).b as unknown[]).push(cyclic);

  test.each<[string, unknown, string, RegExp]>([
    ["a function", { a: { b: [0, 1, function helper() {}] } }, 'manager["k"].a.b[2]', /a function \(helper\)/],
    ["a symbol", { a: { b: [0, 1, Symbol("tag")] } }, 'manager["k"].a.b[2]', /a symbol \(Symbol\(tag\)\)/],
    ["a cycle", cyclic, 'manager["k"].a.b[2]', /contains itself \(a cycle\)/],
    ["a class instance", { a: { b: [0, 1, new Point(3)] } }, 'manager["k"].a.b[2]', /instance of Point, which would arrive without its class/],
    ["a function in a Map", { m: new Map([["x", () => 1]]) }, 'manager["k"].m.get("x")', /a function/],
    ["a class instance in a Set", { s: new Set([1, new Point()]) }, 'manager["k"].s (Set item 1)', /instance of Point/],
    ["a symbol key", { [Symbol("hidden")]: 1 }, 'manager["k"]', /a symbol key/],
  ])("%s is refused at the owner with UnsendableValueError naming its path", async (_, value, where, reason) => {
    const manager = await Manager.start<unknown>({ k: "before" });
    const error = await rejectionOf(manager.set("k", value));
    expect(error).toBeInstanceOf(UnsendableValueError);
    expect((error as Error).name).toBe("UnsendableValueError");
    expect((error as UnsendableValueError).option).toBe(where);
    expect((error as Error).message).toContain(`Cannot send ${where} to the manager`);
    expect((error as Error).message).toMatch(reason);
    expect(await manager.get("k")).toBe("before");
    expect(() => checkSendable(value, "value")).toThrow(UnsendableValueError);
    await manager.shutdown();
  });

  test("data of every allowed kind is stored and read back, shared (not cyclic) references included", async () => {
    const manager = await Manager.start<unknown>();
    const shared = { z: 1 };
    const value = {
      n: 1.5, s: "text", b: true, nothing: null, big: 10n, missing: undefined,
      list: [1, [2, 3]], when: new Date(0), pattern: /a+b/gi,
      map: new Map<unknown, unknown>([[1, "one"], [{ k: 1 }, [2]]]), set: new Set([1, "a"]),
      bytes: new Uint8Array([1, 2, 3]), floats: new Float64Array([0.5]), buffer: new ArrayBuffer(4),
      bare: Object.assign(Object.create(null) as Record<string, number>, { q: 1 }),
      p: shared, q: shared,
    };
    await manager.set("k", value);
    const back = (await manager.get("k")) as typeof value;
    // The copies are made in Node's main realm, not jest's: compare without instanceof.
    const { map, set, when, pattern, bytes, floats, buffer, ...rest } = back;
    expect(rest).toEqual({ n: 1.5, s: "text", b: true, nothing: null, big: 10n, list: [1, [2, 3]], bare: { q: 1 }, p: { z: 1 }, q: { z: 1 } });
    expect("missing" in back).toBe(true);
    expect(types.isMap(map) && [...map]).toEqual([[1, "one"], [{ k: 1 }, [2]]]);
    expect(types.isSet(set) && [...set]).toEqual([1, "a"]);
    expect(types.isDate(when) && when.getTime()).toBe(0);
    expect(types.isRegExp(pattern) && [pattern.source, pattern.flags]).toEqual(["a+b", "gi"]);
    expect(types.isUint8Array(bytes) && [...bytes]).toEqual([1, 2, 3]);
    expect(types.isFloat64Array(floats) && [...floats]).toEqual([0.5]);
    expect(types.isArrayBuffer(buffer) && buffer.byteLength).toBe(4);
    await manager.shutdown();
  });

  // Regression: a function set as an extra property of an array once slipped past the check.
  test("a function hidden in an array's extra property is refused by name, and a batch holding it changes nothing", async () => {
    const manager = await Manager.start<unknown>({ a: 1 });
    try {
      const list: unknown[] & { helper?: () => number } = [1, 2];
      list.helper = () => 1;
      const error = await rejectionOf(manager.batch([{ op: "set", key: "a", value: 99 }, { op: "set", key: "b", value: list }]));
      expect(await manager.snapshot()).toEqual({ a: 1 });
      expect(error).toBeInstanceOf(UnsendableValueError);
      expect((error as Error).message).toContain('manager["b"].helper');
    } finally {
      await manager.shutdown();
    }
  });

  describe.each(backends)("inside a pool task with %s workers", (backend) => {
    test("a set with a function inside fails the task with TaskError naming UnsendableValueError and the path", async () => {
      const manager = await Manager.start<unknown>({ k: "before" });
      const pool = new Pool({ workers: 1, backend });
      const error = await rejectionOf(
        pool.applyAsync(async (m: ManagerLike<unknown>) => {
          await m.set("k", { a: { b: [0, 1, () => 2] } });
        }, [manager]).get(),
      );
      expect(error).toBeInstanceOf(TaskError);
      expect((error as TaskError).workerErrorName).toBe("UnsendableValueError");
      expect((error as Error).message).toContain("UnsendableValueError");
      expect((error as Error).message).toContain('manager["k"].a.b[2]');
      expect(await manager.get("k")).toBe("before");
      await closeAndJoin(pool);
      await manager.shutdown();
    });

    test("a task can catch the error: symbol, cycle and class instance each give UnsendableValueError with the path", async () => {
      const manager = await Manager.start<unknown>({ k: "before" });
      const pool = new Pool({ workers: 1, backend });
      const report = await pool.applyAsync(async (m: ManagerLike<unknown>) => {
        class Point {
          x = 1;
        }
        const cycle: Record<string, unknown> = {};
        cycle.self = { back: cycle };
        const outcomes: string[][] = [];
        for (const value of [{ a: [Symbol("s")] }, cycle, { a: { p: new Point() } }]) {
          try {
            await m.set("k", value);
            outcomes.push(["stored"]);
          } catch (e) {
            const error = e as Error & { option?: string };
            outcomes.push([error.name, String(error.option), String(error instanceof Error)]);
          }
        }
        return outcomes;
      }, [manager]).get();
      expect(report).toEqual([
        ["UnsendableValueError", 'manager["k"].a[0]', "true"],
        ["UnsendableValueError", 'manager["k"].self.back', "true"],
        ["UnsendableValueError", 'manager["k"].a.p', "true"],
      ]);
      expect(await manager.get("k")).toBe("before");
      await closeAndJoin(pool);
      await manager.shutdown();
    });
  });

  describe.each(backends)("inside a Process with the %s backend", (backend) => {
    test("set refuses a function, a symbol, a cycle and a class instance, and an update fn's error arrives with its name and message", async () => {
      const manager = await Manager.start<unknown>({ n: 1 });
      const out = new Queue<string[]>("reports");
      const target = async (m: ManagerLike<unknown>, reports: QueueLike<string[]>): Promise<void> => {
        class Point {
          x = 1;
        }
        const cycle: Record<string, unknown> = { list: [] };
        (cycle.list as unknown[]).push(cycle);
        const attempts: [string, unknown][] = [
          ["fn", { a: { b: [0, 1, () => 2] } }],
          ["sym", Symbol("s")],
          ["cycle", cycle],
          ["class", new Map([["p", new Point()]])],
        ];
        for (const [key, value] of attempts) {
          try {
            await m.set(key, value);
            await reports.put([key, "stored"]);
          } catch (e) {
            const error = e as Error & { option?: string };
            await reports.put([key, error.name, String(error.option), error.message]);
          }
        }
        try {
          await m.update("n", (current: unknown, limit: number) => {
            throw new RangeError(`${String(current)} is below ${limit}`);
          }, 7);
          await reports.put(["update", "stored"]);
        } catch (e) {
          await reports.put(["update", (e as Error).name, (e as Error).message]);
        }
      };
      const p = new Process({ target, args: [manager, out], backend }).start();
      const reports: string[][] = [];
      for (let i = 0; i < 5; i++) reports.push(await out.get({ timeoutMs: 30_000 }));
      expect(await p.join()).toBe(true);
      expect(reports.map((r) => r.slice(0, 3))).toEqual([
        ["fn", "UnsendableValueError", 'manager["fn"].a.b[2]'],
        ["sym", "UnsendableValueError", 'manager["sym"]'],
        ["cycle", "UnsendableValueError", 'manager["cycle"].list[0]'],
        ["class", "UnsendableValueError", 'manager["class"].get("p")'],
        ["update", "RangeError", "1 is below 7"],
      ]);
      expect(reports[3]![3]).toMatch(/instance of Point/);
      expect(await manager.snapshot()).toEqual({ n: 1 });
      await manager.shutdown();
    });
  });

  // Regression: a non-Error thrown by an update fn once reached the worker without its text.
  test("an update fn that throws a string reaches a worker's proxy with that text", async () => {
    const manager = await Manager.start<number>({ n: 1 });
    const proxy = connectManager<number>(manager.reference());
    try {
      const error = await rejectionOf(
        proxy.update("n", () => {
          throw "the counter is locked";
        }),
      );
      expect((error as Error).message).toContain("the counter is locked");
      expect(typeof (error as Error).name).toBe("string");
    } finally {
      proxy.close();
      await manager.shutdown();
    }
  });
});

// Regression: checks once used realm-bound tests (instanceof, Object.prototype), so values from
// another realm (jest's vm context, a deserialised message) were refused as class instances.
describe("values made in another realm (jest runs this file in a vm context)", () => {
  test("at the owner, a value read with get, changed and set back is stored (the copy-modify-assign pattern)", async () => {
    const manager = await Manager.start<{ items: number[] }>({ k: { items: [1] } });
    try {
      const copy = (await manager.get("k"))!;
      copy.items.push(2);
      await manager.set("k", copy);
      expect(await manager.get("k")).toEqual({ items: [1, 2] });
    } finally {
      await manager.shutdown();
    }
  });

  test("an update fn that changes its copy in place and returns it is stored (object, Map, Date)", async () => {
    const manager = await Manager.start<unknown>({ o: { n: 1 }, m: new Map([["n", 1]]), d: new Date(0) });
    try {
      expect(await manager.update("o", (current) => {
        (current as { n: number }).n += 1;
        return current;
      })).toEqual({ n: 2 });
      expect([...((await manager.update("m", (current) => (current as Map<string, number>).set("n", 2))) as Map<string, number>)]).toEqual([["n", 2]]);
      expect(((await manager.update("d", (current) => current)) as Date).getTime()).toBe(0);
      expect(await manager.get("o")).toEqual({ n: 2 });
    } finally {
      await manager.shutdown();
    }
  });

  test("a worker's batch of plain objects is stored", async () => {
    const manager = await Manager.start<unknown>();
    const pool = new Pool({ workers: 1, backend: "thread" });
    try {
      await pool.applyAsync(
        (m: ManagerLike<unknown>) => m.batch([{ op: "set", key: "o", value: { n: 1 } }, { op: "set", key: "p", value: { n: 2 } }]),
        [manager],
      ).get();
      expect(await manager.snapshot()).toEqual({ o: { n: 1 }, p: { n: 2 } });
    } finally {
      await closeAndJoin(pool);
      await manager.shutdown();
    }
  });
});

describe("a worker that dies", () => {
  interface Stamped {
    i: number;
    check: number;
    pad: string;
  }
  type Tuple = [number, number, string];
  const padLength = 50_000; // large frames, so a kill often lands in the middle of one

  /** A value some completed operation wrote: whole, never half of one. */
  function expectWhole(key: string, value: unknown): void {
    const v = value as Stamped;
    expect([key, Number.isInteger(v.i), v.check === v.i * 2, v.pad?.length]).toEqual([key, true, true, padLength]);
  }

  describe.each(backends)("a Process with the %s backend killed while writing", (backend) => {
    test("leaves only whole values, a batch all-or-nothing, the manager serving others, and no process", async () => {
      const manager = await Manager.start<Stamped | Tuple | number>({ count: 0 });
      // The batch writes tuples, not objects: see the realm bug below (a
      // worker's batch of plain objects is refused by an owner running under jest).
      const writer = async (m: ManagerLike<unknown>, length: number): Promise<void> => {
        const pad = "x".repeat(length);
        for (let i = 0; ; i++) {
          await m.batch([
            { op: "set", key: "a", value: [i, i * 2, pad] },
            { op: "set", key: "b", value: [i, i * 2, pad] },
          ]);
          await m.set(`k${i % 5}`, { i, check: i * 2, pad });
          await m.update("count", (current: unknown) => ((current as number | undefined) ?? 0) + 1);
        }
      };
      const p = new Process({ target: writer, args: [manager, padLength], backend, name: "writer" }).start();
      const deadline = Date.now() + 30_000;
      while (((await manager.get("count")) as number) < 30 && p.isAlive() && Date.now() < deadline) await pause(5);
      expect(p.isAlive()).toBe(true);
      p.kill("SIGKILL"); // mid-run: SIGKILL for a child process, terminate() for a thread
      expect(await p.join()).toBe(true); // a kill we asked for is not a failure
      expect(p.isAlive()).toBe(false);
      if (backend === "process") {
        expect(p.signal).toBe("SIGKILL");
        expect(probePid(p.pid!)).toBe("ESRCH");
      }

      const stored = await manager.snapshot();
      const count = stored.count as number;
      expect(Number.isInteger(count)).toBe(true);
      expect(count).toBeGreaterThanOrEqual(30);
      expect(Object.keys(stored).sort()).toEqual(["a", "b", "count", "k0", "k1", "k2", "k3", "k4"]);
      for (const [key, value] of Object.entries(stored)) {
        if (key === "a" || key === "b") {
          const [i, check, pad] = value as Tuple;
          expectWhole(key, { i, check, pad });
        } else if (key !== "count") expectWhole(key, value);
      }
      const batched = (stored.a as Tuple)[0];
      expect((stored.b as Tuple)[0]).toBe(batched); // one batch is one message: both or neither
      // Every set of round i follows the batch of round i and precedes the update that counts it.
      const newest = Math.max(...[0, 1, 2, 3, 4].map((j) => (stored[`k${j}`] as Stamped).i));
      expect(batched).toBeGreaterThanOrEqual(newest);
      expect(newest).toBeGreaterThanOrEqual(count - 1);

      // The manager keeps serving: a new worker updates it, exactly.
      const next = new Process({ target: "incrementCounter", args: [manager, "count", 5, "atomic-update"], backend }).start();
      expect(await next.join()).toBe(true);
      expect(await manager.get("count")).toBe(count + 5);
      await manager.shutdown();
    });
  });

  describe.each(backends)("a pool with %s workers", (backend) => {
    test("a worker that exits in the middle of a task does not disturb the others' updates, and the pool keeps serving", async () => {
      const manager = await Manager.start<number>({ n: 0 });
      const pool = new Pool({ workers: 3, backend });
      const crashing = pool.applyAsync(async (m: ManagerLike<number>) => {
        await m.update("n", (current: number | undefined) => (current ?? 0) + 1);
        await m.set("crashed-here", 1);
        process.exit(7);
      }, [manager]);
      const counters = [0, 1, 2].map(() => pool.applyAsync("incrementCounter", [manager, "n", 300, "atomic-update"]));
      const error = await rejectionOf(crashing.get());
      expect(error).toBeInstanceOf(WorkerCrashedError);
      expect((error as WorkerCrashedError).detail).toBe("the worker exited with code 7");
      expect(await Promise.all(counters.map((c) => c.get()))).toEqual([300, 300, 300]);
      expect(await manager.get("n")).toBe(3 * 300 + 1);
      expect(await manager.get("crashed-here")).toBe(1);
      // A fresh worker replaces the dead one and reaches the manager too.
      await Promise.all([0, 1, 2].map(() => pool.applyAsync("incrementCounter", [manager, "n", 10, "atomic-update"]).get()));
      expect(await manager.get("n")).toBe(3 * 300 + 1 + 30);
      await closeAndJoin(pool);
      await manager.shutdown();
    });
  });
});

describe("shutdown", () => {
  describe.each(backends)("seen from a pool with %s workers", (backend) => {
    test("afterwards a task's proxy call rejects with ManagerUnavailableError, and the owner still reads its data", async () => {
      const manager = await Manager.start<number>({ a: 1 });
      const neverUsed = await Manager.start<number>({ b: 2 });
      const pool = new Pool({ workers: 1, backend });
      const tryGet = (m: ManagerLike<number>, key: string): Promise<string[]> =>
        m.get(key).then(
          (value) => ["resolved", String(value)],
          (error: Error) => [error.name, error.message],
        );
      expect(await pool.applyAsync(tryGet, [manager, "a"]).get()).toEqual(["resolved", "1"]); // connected now
      await manager.shutdown();
      await neverUsed.shutdown();
      expect(liveResourceCount()).toBe(1); // the pool only
      expect(leftoverSockets()).toEqual([]);
      for (const [m, key] of [[manager, "a"], [neverUsed, "b"]] as const) {
        const [name, message] = await pool.applyAsync(tryGet, [m, key]).get();
        expect(name).toBe("ManagerUnavailableError");
        expect(message).toContain(m.address);
      }
      const failedTask = await rejectionOf(pool.applyAsync((m: ManagerLike<number>) => m.set("a", 2), [manager]).get());
      expect((failedTask as TaskError).workerErrorName).toBe("ManagerUnavailableError");
      expect(await manager.get("a")).toBe(1);
      expect(await manager.snapshot()).toEqual({ a: 1 });
      expect(await neverUsed.keys()).toEqual(["b"]);
      await manager.shutdown(); // twice is fine
      await closeAndJoin(pool);
    });
  });

  describe.each(backends)("seen from a Process with the %s backend", (backend) => {
    test("a connected worker's next call after shutdown rejects with ManagerUnavailableError", async () => {
      const manager = await Manager.start<number>();
      const go = new Queue<string>("go");
      const out = new Queue<string[]>("out");
      const target = async (m: ManagerLike<number>, start: QueueLike<string>, reports: QueueLike<string[]>): Promise<void> => {
        await m.set("hello", 1);
        await reports.put(["connected"]);
        await start.get();
        try {
          await m.get("hello");
          await reports.put(["resolved"]);
        } catch (e) {
          await reports.put([(e as Error).name, String(e instanceof Error)]);
        }
      };
      const p = new Process({ target, args: [manager, go, out], backend }).start();
      expect(await out.get({ timeoutMs: 30_000 })).toEqual(["connected"]);
      await manager.shutdown();
      await go.put("go");
      expect(await out.get({ timeoutMs: 30_000 })).toEqual(["ManagerUnavailableError", "true"]);
      expect(await p.join()).toBe(true);
      expect(await manager.get("hello")).toBe(1);
      await manager.shutdown();
    });
  });

  test("a proxy in this process gets ManagerUnavailableError after shutdown; shutdown twice is fine", async () => {
    const manager = await Manager.start<number>({ a: 1 });
    const proxy = connectManager<number>(manager.reference());
    expect(await proxy.get("a")).toBe(1);
    await Promise.all([manager.shutdown(), manager.shutdown()]);
    await manager.shutdown();
    const error = await rejectionOf(proxy.get("a"));
    expect(error).toBeInstanceOf(ManagerUnavailableError);
    expect((error as Error).message).toContain(manager.address);
    expect(await rejectionOf(proxy.update("a", () => 2))).toBeInstanceOf(ManagerUnavailableError);
    await manager.set("a", 2); // the owner's data stays usable
    expect(await manager.snapshot()).toEqual({ a: 2 });
    proxy.close();
  });

  test("terminateAll shuts managers down too", async () => {
    const managers = [await Manager.start<number>({ a: 1 }), await Manager.start<number>({ b: 2 })];
    const proxy = connectManager<number>(managers[0]!.reference());
    expect(await proxy.get("a")).toBe(1);
    expect(liveResourceCount()).toBe(2);
    expect(leftoverSockets()).toHaveLength(2);
    expect(await terminateAll()).toBe(2);
    expect(liveResourceCount()).toBe(0);
    expect(leftoverSockets()).toEqual([]);
    expect(await rejectionOf(proxy.get("a"))).toBeInstanceOf(ManagerUnavailableError);
    expect(await managers[1]!.get("b")).toBe(2);
    proxy.close();
    await managers[0]!.shutdown(); // after terminateAll, harmless
  });
});

describe("a counter in shared memory (incrementSharedCounter)", () => {
  const participants = 4;
  const times = 100_000;

  test(`with Atomics, ${participants} threads end with exactly ${participants} × ${times}`, async () => {
    const buffer = new SharedArrayBuffer(8);
    const pool = new Pool({ workers: participants, backend: "thread" });
    const done = await Promise.all(
      Array.from({ length: participants }, () => pool.applyAsync("incrementSharedCounter", [buffer, times, true, participants]).get()),
    );
    expect(done).toEqual(Array(participants).fill(times));
    const counter = new Int32Array(buffer);
    expect(counter[0]).toBe(participants * times);
    expect(counter[1]).toBe(participants); // everyone checked in at the start line
    await closeAndJoin(pool);
  });

  test("without Atomics the count is a whole number, at most the exact one", async () => {
    const buffer = new SharedArrayBuffer(8);
    const pool = new Pool({ workers: participants, backend: "thread" });
    await Promise.all(
      Array.from({ length: participants }, () => pool.applyAsync("incrementSharedCounter", [buffer, times, false, participants]).get()),
    );
    const count = new Int32Array(buffer)[0]!;
    expect(Number.isInteger(count)).toBe(true);
    expect(count).toBeGreaterThan(0);
    expect(count).toBeLessThanOrEqual(participants * times);
    await closeAndJoin(pool);
  });

  test("in this thread it counts too, and refuses what is not a SharedArrayBuffer of 8 bytes or more", () => {
    const buffer = new SharedArrayBuffer(8);
    expect(incrementSharedCounter(buffer, 10, true)).toBe(10);
    expect(incrementSharedCounter(buffer, 5, false)).toBe(5);
    expect(new Int32Array(buffer)[0]).toBe(15);
    for (const bad of [new ArrayBuffer(8), new SharedArrayBuffer(4), new Int32Array(2), undefined]) {
      expect(() => incrementSharedCounter(bad as never, 1, true)).toThrow(TypeError);
      expect(() => incrementSharedCounter(bad as never, 1, true)).toThrow(/Expected a SharedArrayBuffer of at least 8 bytes/);
    }
    expect(() => incrementSharedCounter(buffer, -1, true)).toThrow(InvalidOptionError);
    expect(() => incrementSharedCounter(buffer, 1, true, 0)).toThrow(InvalidOptionError);
  });

  test("a thread task given an ArrayBuffer fails with a clear TypeError", async () => {
    const pool = new Pool({ workers: 1, backend: "thread" });
    const error = await rejectionOf(pool.applyAsync("incrementSharedCounter", [new ArrayBuffer(8) as never, 1, true]).get());
    expect(error).toBeInstanceOf(TaskError);
    expect((error as TaskError).workerErrorName).toBe("TypeError");
    expect((error as Error).message).toMatch(/Expected a SharedArrayBuffer/);
    await closeAndJoin(pool);
  });

  test("a process pool cannot share memory: the task is refused at submission with a clear error and the buffer is untouched", async () => {
    const buffer = new SharedArrayBuffer(8);
    const pool = new Pool({ workers: 1, backend: "process" });
    const error = thrownBy(() => pool.applyAsync("incrementSharedCounter", [buffer, 10, true]));
    expect(error).toBeInstanceOf(UnsendableValueError);
    expect((error as UnsendableValueError).option).toBe("args[0]");
    expect((error as Error).message).toMatch(/child processes cannot share memory.*Use the thread backend/);
    expect([...new Int32Array(buffer)]).toEqual([0, 0]);
    await closeAndJoin(pool);
  });

  // Regression: a SharedArrayBuffer in a process-backend Process's args once crashed the owner on start().
  test("a Process on the process backend refuses a SharedArrayBuffer in its args with InvalidOptionError naming `args`", () => {
    const buffer = new SharedArrayBuffer(8);
    const error = (() => {
      try {
        new Process({ target: "incrementSharedCounter", args: [buffer, 10, true], backend: "process" }); // never started
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(UnsendableValueError);
    expect((error as InvalidOptionError).option).toBe("args[0]");
  });
});

describe("Pool task arguments", () => {
  // Queues in a task's args arrive as proxies too: pool-queues.test.ts
  test("a Manager inside arrays and plain objects is accepted; inside a class instance it is refused by name", async () => {
    const pool = new Pool({ workers: 1, backend: "thread" });
    const manager = await Manager.start<number>({ a: 1 });
    class Holder {
      constructor(readonly m: unknown) {}
    }
    const hidden = await rejectionOf(pool.map("echo", [new Holder(manager)]));
    expect(hidden).toBeInstanceOf(UnsendableValueError);
    expect((hidden as InvalidOptionError).option).toBe("items[0]");
    expect((hidden as Error).message).toMatch(/instance of Holder, which would arrive without its class/);
    // A Manager inside arrays and plain objects arrives as a proxy.
    expect(
      await pool.applyAsync(async (box: { managers: ManagerLike<number>[] }) => box.managers[0]!.get("a"), [{ managers: [manager] }]).get(),
    ).toBe(1);
    expect(pool.stats().pendingTasks).toBe(0);
    await closeAndJoin(pool);
    await manager.shutdown();
  });
});
