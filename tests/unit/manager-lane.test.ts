/**
 * The manager lane (transport/manager-lane*.ts): a pool worker or a Process
 * reaches a Manager that its parent holds through a lane of its own, and
 * waits for each answer as Python's proxy does, instead of the manager's
 * socket. Checked here: the lane's messages (values arrive exactly, garbage
 * is a ProtocolError), the parent's answers (the key is checked, a manager
 * held elsewhere sends the worker to the socket, a shut-down one is
 * unavailable), and, on both backends, that workers really use it (they
 * work with the manager's socket file gone), large values, a wrong key, and
 * a child that writes garbage on its lane.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import type { Duplex } from "node:stream";
import { Manager, ManagerUnavailableError, Pool, Process, ProtocolError, liveResourceCount, terminateAll, type Backend, type ManagerLike } from "kernel-helpers";
import { decodeAnswer, decodeRequest, encodeAnswer, encodeOpen, encodeOperation } from "kernel-helpers/dist/transport/manager-lane";
import { answerLaneRequest, serveChildLane } from "kernel-helpers/dist/transport/manager-lane-owner";
import type { Operation } from "kernel-helpers/dist/primitives/manager-protocol";
import { expectNoLeaks, rejectionOf } from "../test-helpers";

const backends: Backend[] = ["thread", "process"];

expectNoLeaks({ liveResourceCount, terminateAll });

describe("the lane's messages", () => {
  const values: [string, unknown][] = [
    ["a number", 42.5],
    ["minus zero", -0],
    ["NaN", NaN],
    ["a string with a lone surrogate", "a\uD800b"],
    ["an empty string", ""],
    ["true", true],
    ["false", false],
    ["null", null],
    ["undefined", undefined],
    ["an object with an array and a bigint", { list: [1, "two", [3n]], nested: { deep: null } }],
  ];
  test.each(values)("%s set at a key travels exactly, and comes back exactly in an answer", (_, value) => {
    const operation: Operation = { op: "set", key: "k\uDC00", value };
    expect(decodeRequest(encodeOperation(7, operation))).toEqual({ kind: "op", handle: 7, operation, checked: true });
    const answer = decodeAnswer(encodeAnswer({ kind: "ok", value }));
    expect(answer).toEqual({ kind: "ok", value });
  });

  test("other operations, opening and every kind of answer travel as they were", () => {
    const operations: Operation[] = [{ op: "get", key: "a" }, { op: "delete", key: "" }, { op: "has", key: "h" }, { op: "keys" }, { op: "update", key: "u", source: "(c) => c", args: [1] }, { op: "batch", operations: [{ op: "get", key: "x" }] }];
    // get, delete, has and a batch of them travel in the compact layout (their form right by construction), the rest in v8's format, to be checked
    for (const operation of operations) {
      expect(decodeRequest(encodeOperation(3, operation))).toEqual({ kind: "op", handle: 3, operation, checked: ["get", "delete", "has", "batch"].includes(operation.op) });
    }
    expect(decodeRequest(encodeOpen("/a/b.sock", "ff".repeat(32)))).toEqual({ kind: "open", address: "/a/b.sock", key: "ff".repeat(32) });
    for (const answer of [{ kind: "opened", handle: 9 }, { kind: "elsewhere" }, { kind: "refused" }, { kind: "unavailable" }, { kind: "error", error: { name: "TypeError", message: "m" } }] as const) {
      expect(decodeAnswer(encodeAnswer(answer))).toEqual(answer);
    }
  });

  test("a batch of every simple operation travels in the compact layout, values exactly (v8's format only for the values that need it)", () => {
    const operations: Operation[] = [
      { op: "set", key: "n", value: -0 },
      { op: "set", key: "s\uD800", value: "a\uDC00b" },
      { op: "set", key: "", value: { deep: [1n, null, undefined] } },
      { op: "set", key: "u", value: undefined },
      { op: "get", key: "n" },
      { op: "delete", key: "gone" },
      { op: "has", key: "" },
    ];
    const bytes = encodeOperation(4, { op: "batch", operations });
    expect(bytes[5]).toBe(5); // BATCH, not v8's format
    expect(decodeRequest(bytes)).toEqual({ kind: "op", handle: 4, operation: { op: "batch", operations }, checked: true });
    expect(decodeRequest(encodeOperation(4, { op: "batch", operations: [] }))).toEqual({ kind: "op", handle: 4, operation: { op: "batch", operations: [] }, checked: true });
    // a batch's results come back as one list, each value exactly
    const values = [undefined, -0, NaN, "x\uD800", true, null, { a: [1, "b"] }];
    expect(decodeAnswer(encodeAnswer({ kind: "list", values }))).toEqual({ kind: "ok", value: values });
    expect(decodeAnswer(encodeAnswer({ kind: "list", values: [] }))).toEqual({ kind: "ok", value: [] });
  });

  test.each([
    ["a count with no operations after it", [2, 1, 0, 0, 0, 5, 1, 0, 0, 0]],
    ["an unknown operation in it", [2, 1, 0, 0, 0, 5, 1, 0, 0, 0, 7, 0, 0, 0, 0]],
    ["a key longer than what follows", [2, 1, 0, 0, 0, 5, 1, 0, 0, 0, 1, 8, 0, 0, 0, 97, 0]],
    ["a set without its value", [2, 1, 0, 0, 0, 5, 1, 0, 0, 0, 2, 2, 0, 0, 0, 97, 0]],
    ["a set whose value is empty", [2, 1, 0, 0, 0, 5, 1, 0, 0, 0, 2, 2, 0, 0, 0, 97, 0, 0, 0, 0, 0]],
    ["bytes after the last operation", [2, 1, 0, 0, 0, 5, 1, 0, 0, 0, 1, 2, 0, 0, 0, 97, 0, 9]],
    ["no count", [2, 1, 0, 0, 0, 5, 1]],
  ])("a batch with %s is a ProtocolError", (_, bytes) => {
    expect(() => decodeRequest(Buffer.from(bytes))).toThrow(ProtocolError);
  });

  test.each([
    ["no count", [6, 1]],
    ["fewer values than its count", [6, 2, 0, 0, 0, 1, 0, 0, 0, 0]],
    ["a value longer than what follows", [6, 1, 0, 0, 0, 9, 0, 0, 0, 1, 0]],
    ["bytes after the last value", [6, 1, 0, 0, 0, 1, 0, 0, 0, 0, 4]],
  ])("a list of results with %s is a ProtocolError", (_, bytes) => {
    expect(() => decodeAnswer(Buffer.from(bytes))).toThrow(ProtocolError);
  });

  test.each([
    ["nothing", []],
    ["an unknown kind", [7, 0, 0]],
    ["an unknown operation code", [2, 1, 0, 0, 0, 5, 97, 0]],
    ["a set cut short", [2, 1, 0, 0, 0, 2, 200, 0, 0, 0, 97]],
    ["a number of the wrong length", [2, 1, 0, 0, 0, 2, 2, 0, 0, 0, 97, 0, 1, 0, 0]],
    ["an unknown value tag", [2, 1, 0, 0, 0, 2, 2, 0, 0, 0, 97, 0, 77]],
    ["bytes that are not v8's format", [2, 1, 0, 0, 0, 9, 255, 255, 255]],
    ["a key of an odd number of bytes", [2, 1, 0, 0, 0, 1, 97]],
  ])("%s is a ProtocolError, never anything else", (_, bytes) => {
    expect(() => decodeRequest(Buffer.from(bytes))).toThrow(ProtocolError);
  });
});

describe("the parent's answers", () => {
  test("open checks the key; an unopened handle is refused as malformed; a shut-down manager is unavailable", async () => {
    const manager = await Manager.start({ a: 1 });
    const { __khManager: address, key } = manager.reference();
    const opened = new Set<number>();
    expect(decodeAnswer(answerLaneRequest(encodeOpen("/nowhere.sock", key), opened))).toEqual({ kind: "elsewhere" });
    expect(decodeAnswer(answerLaneRequest(encodeOpen(address, "00".repeat(32)), opened))).toEqual({ kind: "refused" });
    expect(decodeAnswer(answerLaneRequest(encodeOpen(address, "not hex"), opened))).toEqual({ kind: "refused" });
    expect(opened.size).toBe(0);
    // without having shown the key, no handle works, even the right one
    const stranger = new Set<number>();
    const answer = decodeAnswer(answerLaneRequest(encodeOpen(address, key), opened));
    expect(answer.kind).toBe("opened");
    const handle = (answer as { handle: number }).handle;
    expect(() => answerLaneRequest(encodeOperation(handle, { op: "set", key: "a", value: 2 }), stranger)).toThrow(ProtocolError);
    expect(await manager.get("a")).toBe(1);
    expect(decodeAnswer(answerLaneRequest(encodeOperation(handle, { op: "set", key: "a", value: 3 }), opened))).toEqual({ kind: "ok", value: undefined });
    expect(await manager.get("a")).toBe(3);
    // the owner's errors travel by name
    const failed = decodeAnswer(answerLaneRequest(encodeOperation(handle, { op: "update", key: "a", source: "() => { throw new RangeError('no') }", args: [] }), opened));
    expect(failed).toEqual({ kind: "error", error: { name: "RangeError", message: "no" } });
    await manager.shutdown();
    expect(decodeAnswer(answerLaneRequest(encodeOperation(handle, { op: "get", key: "a" }), opened))).toEqual({ kind: "unavailable" });
  });

  test("a child that writes garbage on its lane has it closed; the parent carries on and the child reads the end", async () => {
    const child = spawn(process.execPath, ["-e", `const fs = require("fs"); fs.writeSync(3, Buffer.from([5, 0, 0, 0, 1, 2, 3, 4, 5])); const b = Buffer.alloc(8); process.stdout.write(String(fs.readSync(3, b, 0, 8, null)));`], {
      stdio: ["ignore", "pipe", "inherit", "pipe", "pipe"],
    });
    const lane = child.stdio as unknown as Duplex[];
    serveChildLane(lane[3]!, lane[4]!);
    let out = "";
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    const code = await new Promise((resolve) => child.on("exit", resolve));
    expect(code).toBe(0);
    expect(out).toBe("0"); // the end of the lane, not an answer
    expect(lane[3]!.destroyed).toBe(true);
  });
});

describe.each(backends)("pool workers and Processes with the %s backend", (backend) => {
  test("reach their parent's manager through the lane: they work with the manager's socket file gone", async () => {
    const manager = await Manager.start<number | string>({ n: 0 });
    fs.rmSync(manager.address); // no new connection can reach the socket now
    const pool = new Pool({ workers: 2, backend });
    const work = async (m: ManagerLike<number | string>, i: number): Promise<unknown[]> => {
      for (let k = 0; k < 50; k++) await m.update("n", (c, d) => (c as number) + d, 1);
      await m.set(`w${i}`, `worker ${i}`);
      return [await m.get(`w${i}`), await m.has("n"), await m.delete("none")];
    };
    expect(await pool.starmap(work, [[manager, 0], [manager, 1], [manager, 2]])).toEqual([0, 1, 2].map((i) => [`worker ${i}`, true, false]));
    expect(await manager.get("n")).toBe(150);
    const p = new Process({ target: async (m: ManagerLike<number | string>) => void (await m.set("from", "process")), args: [manager], backend }).start();
    expect(await p.join()).toBe(true);
    expect(await manager.get("from")).toBe("process");
    await pool.terminate();
    await manager.shutdown();
  });

  test("values too large for the lane's buffers arrive whole both ways", async () => {
    const manager = await Manager.start<string>();
    const pool = new Pool({ workers: 1, backend });
    const big = "x".repeat(300_000) + "\uD800";
    const echo = async (m: ManagerLike<string>, value: string): Promise<boolean> => {
      await m.set("big", value);
      return (await m.get("big")) === value;
    };
    expect(await pool.apply(echo, [manager, big])).toBe(true);
    expect(await manager.get("big")).toBe(big);
    await pool.terminate();
    await manager.shutdown();
  });

  test("a reference with a wrong key is refused through the lane and changes nothing; after shutdown the lane says unavailable", async () => {
    const manager = await Manager.start({ a: 1 });
    const pool = new Pool({ workers: 1, backend });
    const wrong = { ...manager.reference(), key: "00".repeat(32) };
    const tryIt = async (m: ManagerLike<number>): Promise<string> => {
      try {
        await m.set("a", 2);
        return "set";
      } catch (error) {
        return `${(error as Error).name}: ${(error as Error).message}`;
      }
    };
    expect(await pool.apply(tryIt, [wrong as unknown as ManagerLike<number>])).toMatch(/^ManagerUnavailableError: .*refused this proxy: its key is not the manager's key/);
    expect(await manager.get("a")).toBe(1);
    // a proxy that has used the lane, then its manager shuts down
    const setTwice = async (m: ManagerLike<number>, phase: number): Promise<string> => {
      try {
        await m.set("a", phase);
        return "set";
      } catch (error) {
        return (error as Error).name;
      }
    };
    expect(await pool.apply(setTwice, [manager, 5])).toBe("set");
    expect(await manager.get("a")).toBe(5);
    await manager.shutdown();
    expect(await pool.apply(setTwice, [manager, 6])).toBe("ManagerUnavailableError");
    await pool.terminate();
  });

  test("while workers keep asking, the parent's event loop still runs (its polling for their next requests yields): a timer there stops them", async () => {
    const manager = await Manager.start<number | boolean>();
    const pool = new Pool({ workers: 2, backend });
    // each worker sets its own key until the parent's timer sets "stop"; a worker's clock ends it after 10 s otherwise
    const keepAsking = async (m: ManagerLike<number | boolean>, i: number): Promise<{ sets: number; stoppedBy: string }> => {
      const giveUp = Date.now() + 10_000;
      let sets = 0;
      while (!(await m.get("stop"))) {
        if (Date.now() > giveUp) return { sets, stoppedBy: "its clock" };
        await m.set(`w${i}`, ++sets);
      }
      return { sets, stoppedBy: "the parent" };
    };
    const running = pool.starmap(keepAsking, [[manager, 0], [manager, 1]], { chunkSize: 1 });
    // timers of the parent's event loop: one sees both workers at work (however long they took to start), then one stops them
    const stopped = new Promise<void>((resolve) => {
      const check = setInterval(() => {
        void Promise.all([manager.has("w0"), manager.has("w1")]).then(([a, b]) => {
          if (!a || !b) return;
          clearInterval(check);
          setTimeout(() => void manager.set("stop", true).then(resolve), 50);
        });
      }, 5);
    });
    const results = await running;
    await stopped;
    for (const [i, { sets, stoppedBy }] of results.entries()) {
      expect(stoppedBy).toBe("the parent");
      expect(sets).toBeGreaterThan(0);
      expect(await manager.get(`w${i}`)).toBe(sets); // every set arrived, the last one last
    }
    await pool.terminate();
    await manager.shutdown();
  });

  test("requests of mixed sizes from two workers at once are answered in order, each exactly", async () => {
    const manager = await Manager.start<string>();
    const pool = new Pool({ workers: 2, backend });
    const mixed = async (m: ManagerLike<string>, i: number): Promise<number> => {
      let wrong = 0;
      for (let k = 0; k < 400; k++) {
        const value = `${i}:${k}:` + "y".repeat(k % 7 === 0 ? 100_000 + k : k); // some larger than one read
        await m.set(`k${i}`, value);
        if ((await m.get(`k${i}`)) !== value) wrong++;
      }
      return wrong;
    };
    expect(await pool.starmap(mixed, [[manager, 0], [manager, 1]], { chunkSize: 1 })).toEqual([0, 0]);
    expect(await manager.get("k1")).toBe("1:399:" + "y".repeat(399 % 7 === 0 ? 100_399 : 399));
    await pool.terminate();
    await manager.shutdown();
  });
});

test("a proxy in the manager's own thread has no lane and uses the socket", async () => {
  const manager = await Manager.start({ a: 1 });
  const { connectManager } = await import("kernel-helpers");
  const proxy = connectManager<number>(manager.reference());
  await proxy.set("a", 2);
  expect(await manager.get("a")).toBe(2);
  fs.rmSync(manager.address);
  const other = connectManager<number>(manager.reference());
  expect(await rejectionOf(other.get("a"))).toBeInstanceOf(ManagerUnavailableError);
  proxy.close();
  await manager.shutdown();
});

test("an operation in v8's format is checked at the parent: a malformed one closes the lane (ProtocolError), the manager unchanged", async () => {
  const manager = await Manager.start({ a: 1 });
  const { __khManager: address, key } = manager.reference();
  const opened = new Set<number>();
  const { handle } = decodeAnswer(answerLaneRequest(encodeOpen(address, key), opened)) as { handle: number };
  const malformed = [{ op: "update", key: "a", source: 5, args: [] }, { op: "batch", operations: [{ op: "drop", key: "a" }] }, { op: "update", key: 7, source: "(c) => c", args: [] }, { op: "nope" }];
  for (const operation of malformed) {
    expect(() => answerLaneRequest(encodeOperation(handle, operation as unknown as Operation), opened)).toThrow(ProtocolError);
  }
  expect(await manager.snapshot()).toEqual({ a: 1 });
  await manager.shutdown();
});
