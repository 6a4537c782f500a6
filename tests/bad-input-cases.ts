/**
 * A learner's mistakes, one table for both test tiers: each case runs in a
 * plain Node process (tests/unit/bad-input.test.ts, through
 * tests/fixtures/bad-input-runner.js) and in a real tslab kernel
 * (tests/e2e/bad-input-kernel.test.ts), on both backends.
 *
 * `code` is the body of an async JavaScript function with these in scope:
 * `kh` (kernel-helpers), `pool` (a fresh one-worker Pool of `backend`),
 * `backend` ("thread" | "process") and `require`. Plain JavaScript, so that
 * the same text runs in both places.
 *
 * After every case the runner checks that the pool still works: a next task
 * runs, and close() + join() return (a failed dispatch must never leave a
 * worker marked busy).
 */

/** What a case must end with. */
export type Outcome =
  /** It rejects (or throws) with this error class name, and optionally this `option` path and message parts. */
  | { error: string; option?: string; messageIncludes?: string[] }
  /** It returns this value (compared as JSON). */
  | { returns: unknown };

/** One mistake. */
export interface BadInputCase {
  /** A sentence: what the learner does, and what must happen. */
  name: string;
  code: string;
  expect: Outcome;
}

/** A module target for a Process that sends whatever `body` writes, then waits. */
const rogueModule = (body: string): string => `
  const fs = require("node:fs"), os = require("node:os"), path = require("node:path");
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "kh-rogue-")), "rogue.js");
  fs.writeFileSync(file, ${JSON.stringify(`const { isMainThread, parentPort } = require("node:worker_threads");
exports.run = async () => { ${body}; await new Promise((resolve) => setTimeout(resolve, 5000)); };`)});
  const rogue = new kh.Process({ target: { module: file, exportName: "run" }, backend }).start();
  const honest = new kh.Process({ target: "sleep", args: [50, "fine"], backend }).start();
  let failure;
  try { await rogue.join(); } catch (error) { failure = error; }
  await honest.join();
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  if (failure) throw failure;
  return "the rogue worker was not stopped";
`;

export const CASES: BadInputCase[] = [
  {
    name: "a function as an argument (the commonest mistake) is refused at submission, naming args[0]",
    code: `return await pool.applyAsync("echo", [() => 1]).get();`,
    expect: { error: "UnsendableValueError", option: "args[0]", messageIncludes: ["is a function", "put the code inside the task"] },
  },
  {
    name: "a function deep inside an argument is refused with the path to it",
    code: `return await pool.applyAsync("echo", [{ options: { callback() { return 1; } } }]).get();`,
    expect: { error: "UnsendableValueError", option: "args[0].options.callback" },
  },
  {
    name: "a Symbol argument is refused, not crashed on or turned into null",
    code: `return await pool.applyAsync("echo", [Symbol("tag")]).get();`,
    expect: { error: "UnsendableValueError", option: "args[0]", messageIncludes: ["symbol"] },
  },
  {
    name: "a BigInt argument travels and comes back unchanged",
    code: `const big = BigInt("123456789012345678901234567890");
      const back = await pool.applyAsync("echo", [big]).get();
      return typeof back === "bigint" && back === big;`,
    expect: { returns: true },
  },
  {
    name: "a circular object is refused as a cycle, naming where it loops",
    code: `const node = { name: "a", next: null }; node.next = { name: "b", next: node };
      return await pool.applyAsync("echo", [node]).get();`,
    expect: { error: "UnsendableValueError", option: "args[0].next.next", messageIncludes: ["contains itself (a cycle)"] },
  },
  {
    name: "a class instance is refused by name instead of arriving without its methods",
    code: `class Point { x = 1; norm() { return this.x; } }
      return await pool.applyAsync("echo", [new Point()]).get();`,
    expect: { error: "UnsendableValueError", option: "args[0]", messageIncludes: ["instance of Point"] },
  },
  {
    name: "Map, Set, Uint8Array, Date, NaN, -0 and undefined arrive unchanged as arguments and as results",
    code: `const sent = () => [new Map([[1, 2]]), new Set([3]), new Uint8Array([1, 2]), new Date(5), NaN, -0, undefined, { u: undefined }];
      const check = (back) => {
        const wrong = [];
        if (!(back[0] instanceof Map) || back[0].get(1) !== 2) wrong.push("Map");
        if (!(back[1] instanceof Set) || !back[1].has(3)) wrong.push("Set");
        if (!(back[2] instanceof Uint8Array) || back[2][1] !== 2) wrong.push("Uint8Array");
        if (!(back[3] instanceof Date) || back[3].getTime() !== 5) wrong.push("Date");
        if (!Number.isNaN(back[4])) wrong.push("NaN");
        if (!Object.is(back[5], -0)) wrong.push("-0");
        if (back.length !== 8 || back[6] !== undefined) wrong.push("undefined");
        if (!("u" in back[7])) wrong.push("undefined property");
        return wrong;
      };
      const asArgument = check(await pool.applyAsync("echo", [sent()]).get());
      const asResult = check(await pool.applyAsync(() => [new Map([[1, 2]]), new Set([3]), new Uint8Array([1, 2]), new Date(5), NaN, -0, undefined, { u: undefined }], []).get());
      return { asArgument, asResult };`,
    expect: { returns: { asArgument: [], asResult: [] } },
  },
  {
    name: "a sparse array, an array with an extra property, a nested undefined and a large Float64Array arrive unchanged",
    code: `const sparse = [1, , 3]; const tagged = Object.assign([1, 2], { unit: "ms" });
      const big = new Float64Array(100000).map((_, i) => i / 3);
      const [s, t, n, b] = await pool.applyAsync("echo", [[sparse, tagged, { a: { b: undefined, c: [undefined] } }, big]]).get();
      return { holes: s.length === 3 && !(1 in s), unit: t.unit, nested: "b" in n.a && n.a.c.length === 1 && n.a.c[0] === undefined,
        big: b instanceof Float64Array && b.length === 100000 && b[99999] === 99999 / 3 };`,
    expect: { returns: { holes: true, unit: "ms", nested: true, big: true } },
  },
  {
    name: "a typed array whose buffer was transferred away earlier is refused by name, not sent as an empty array or a raw DataCloneError",
    code: `const numbers = new Float64Array([1, 2, 3]);
      structuredClone(numbers.buffer, { transfer: [numbers.buffer] });
      return await pool.applyAsync("echo", [{ numbers }]).get();`,
    expect: { error: "UnsendableValueError", option: "args[0].numbers", messageIncludes: ["detached"] },
  },
  {
    name: "a task returning a function fails with a TaskError naming the result, instead of resolving undefined",
    code: `return await pool.applyAsync(() => () => 1, []).get();`,
    expect: { error: "TaskError", messageIncludes: ["UnsendableValueError", "the result", "is a function"] },
  },
  {
    name: "a task that throws a non-Error value fails with a TaskError that says what was thrown",
    code: `return await pool.applyAsync(() => { throw () => 1; }, []).get();`,
    expect: { error: "TaskError", messageIncludes: ["threw a function"] },
  },
  {
    name: "map with a function among the items rejects, naming the item",
    code: `return await pool.map("echo", [1, () => 2, 3]);`,
    expect: { error: "UnsendableValueError", option: "items[1]" },
  },
  {
    name: "get(-1) and get(0.5) reject (a Promise-returning method never throws synchronously)",
    code: `const handle = pool.applyAsync("echo", [1]);
      let negative, fractional;
      try { negative = handle.get(-1); fractional = handle.get(0.5); } catch (error) { return "threw synchronously: " + error.name; }
      const names = [];
      for (const p of [negative, fractional]) names.push(await p.then(() => "resolved", (e) => e.name));
      await handle.get();
      return names;`,
    expect: { returns: ["InvalidOptionError", "InvalidOptionError"] },
  },
  {
    name: "a Queue item holding a function is refused at put, naming the path",
    code: `const queue = new kh.Queue("jobs");
      await queue.put({ id: 1, onDone() {} });`,
    expect: { error: "UnsendableValueError", option: "item.onDone" },
  },
  {
    name: "a Process whose target puts a function on a Queue fails with the named error; the owner carries on",
    code: `const queue = new kh.Queue("results");
      const p = new kh.Process({ target: async (q) => { await q.put({ callback: () => 1 }); }, args: [queue], backend }).start();
      await p.join();`,
    expect: { error: "ProcessFailedError", messageIncludes: ["UnsendableValueError", "item.callback"] },
  },
  {
    name: "a Process that sends a malformed message is stopped with a ProtocolError; another Process is unaffected",
    code: rogueModule(`const frame = (m) => { const body = require("node:v8").serialize(m); const head = Buffer.alloc(4); head.writeUInt32BE(body.length); return Buffer.concat([head, body]); };
      if (isMainThread) require("node:fs").writeSync(3, frame({ kind: "bogus" })); else parentPort.postMessage({ kind: "bogus" })`),
    expect: { error: "ProcessFailedError", messageIncludes: ["ProtocolError"] },
  },
  {
    name: "a Process child that writes garbage bytes on its message pipe is stopped with a ProtocolError (the owner does not crash)",
    code: rogueModule(`if (isMainThread) require("node:fs").writeSync(3, Buffer.from("garbage!garbage!")); else parentPort.postMessage("garbage!")`),
    expect: { error: "ProcessFailedError", messageIncludes: ["ProtocolError"] },
  },
  {
    name: "garbage, a wrong key, the bare key, an oversized header, a truncated frame and a malformed request on a Manager's socket each close that connection with a ProtocolError; nothing changes and the manager keeps serving",
    // Each attack reads the manager's key challenge ("KHCHAL01" + a 32-byte nonce) first; a right
    // answer is "KHANSW01" + HMAC-SHA256(key, "peer" + nonce) + a nonce of the peer's own.
    code: `const net = require("node:net"), v8 = require("node:v8"), crypto = require("node:crypto");
      const manager = await kh.Manager.start({ a: 1 });
      const frame = (payload) => { const body = v8.serialize(payload); const head = Buffer.alloc(4); head.writeUInt32BE(body.length); return Buffer.concat([head, body]); };
      const key = Buffer.from(manager.reference().key, "hex"), wrongKey = Buffer.alloc(32);
      const answer = (challenge, k) => Buffer.concat([Buffer.from("KHANSW01"), crypto.createHmac("sha256", k).update("peer").update(challenge.subarray(8, 40)).digest(), crypto.randomBytes(32)]);
      const setA = frame({ id: 1, operation: { op: "set", key: "a", value: 666 } });
      const attacks = [
        () => Buffer.from([1, 2, 3, 4]),
        (c) => Buffer.concat([answer(c, wrongKey), setA]),
        () => Buffer.concat([frame({ key: manager.reference().key }), setA]),
        (c) => Buffer.concat([answer(c, key), Buffer.from([0xff, 0xff, 0xff, 0xf0, 1])]),
        (c) => Buffer.concat([answer(c, key), Buffer.from([0, 0, 0, 9, 1])]),
        (c) => Buffer.concat([answer(c, key), frame({ id: 1, operation: { op: "drop table" } }), setA]),
        (c) => Buffer.concat([answer(c, key), Buffer.from([0, 0, 0, 4, 0xde, 0xad, 0xbe, 0xef])]),
      ];
      for (const attack of attacks) {
        await new Promise((resolve) => {
          const socket = net.createConnection(manager.address);
          let challenge = Buffer.alloc(0);
          socket.on("data", (chunk) => {
            if (challenge.length >= 40) return;
            challenge = Buffer.concat([challenge, chunk]);
            if (challenge.length >= 40) socket.end(attack(challenge));
          });
          socket.on("close", resolve);
          socket.on("error", () => undefined);
        });
      }
      const viaTask = await pool.applyAsync(async (m) => { await m.set("b", 2); return m.get("a"); }, [manager]).get();
      const names = manager.connectionErrors.map((e) => e.name);
      const b = await manager.get("b");
      await manager.shutdown();
      return { viaTask, b, names };`,
    expect: { returns: { viaTask: 1, b: 2, names: Array(7).fill("ProtocolError") } },
  },
];
