/**
 * A process pool worker's two channels used as one ordered stream
 * (kernel-helpers/src/transport/dual-channel.ts): messages that carry bytes take a socket
 * of their own, the rest Node's IPC channel, and the receiver keeps the sender's
 * order. First the channel alone over in-memory streams (and writeFrame, whose
 * large bodies follow their header unjoined), then through a real
 * process pool: large typed arrays both ways, bytes and JSON messages mixed
 * among quick tasks sent ahead, and garbage written on the byte socket.
 */
import { Duplex, PassThrough } from "node:stream";
import { Pool, ProtocolError, WorkerCrashedError, liveResourceCount, terminateAll } from "kernel-helpers";
import { DualChannel } from "kernel-helpers/dist/transport/dual-channel";
import { poolMessageCarriesBytes, toByteWire, fromJsonWire, BYTES_FROM } from "kernel-helpers/dist/transport/wire";
import { FrameReader, writeFrame } from "kernel-helpers/dist/transport/frames";
import { expectNoLeaks, rejectionOf } from "../test-helpers";

expectNoLeaks({ liveResourceCount, terminateAll });

/** Two channel ends joined in memory; the IPC side's deliveries can be held back to let byte messages overtake them. */
function pair(): { a: DualChannel; b: DualChannel; got: unknown[]; errors: Error[]; releaseIpc(): void; bulkToB: PassThrough } {
  const aToB = new PassThrough();
  const bToA = new PassThrough();
  const got: unknown[] = [];
  const errors: Error[] = [];
  const heldIpc: object[] = [];
  let b!: DualChannel;
  const a = new DualChannel({
    sendIpc: (envelope) => heldIpc.push(envelope),
    bulk: Duplex.from({ readable: bToA, writable: aToB }),
    carriesBytes: poolMessageCarriesBytes,
    deliver: () => undefined,
    onError: (e) => errors.push(e),
    peer: "b",
  });
  b = new DualChannel({
    sendIpc: () => undefined,
    bulk: Duplex.from({ readable: aToB, writable: bToA }),
    carriesBytes: poolMessageCarriesBytes,
    deliver: (m) => got.push(m),
    onError: (e) => errors.push(e),
    peer: "a",
  });
  return { a, b, got, errors, releaseIpc: () => heldIpc.splice(0).forEach((e) => b.fromIpc(JSON.parse(JSON.stringify(e)))), bulkToB: aToB };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
/** The class of a value made in another realm (v8.deserialize builds Node's own typed arrays, not the test sandbox's). */
const kind = (value: unknown): string => Object.prototype.toString.call(value);

describe("DualChannel over in-memory streams", () => {
  test("byte messages that overtake JSON ones are held back: the receiver gets the sender's order", async () => {
    const { a, got, errors, releaseIpc } = pair();
    a.send({ id: 1, argsList: [[1]] });
    a.send({ id: 2, numbers: new Float64Array([2, NaN, -0]) });
    a.send({ id: 3, argsList: [[3]] });
    a.send({ id: 4, results: new Float64Array([4]) });
    await tick(); // the byte messages arrived first: nothing may be handed on yet
    expect(got).toEqual([]);
    releaseIpc();
    await tick();
    expect(got.map((m) => (m as { id: number }).id)).toEqual([1, 2, 3, 4]);
    const numbers = (got[1] as { numbers: Float64Array }).numbers;
    expect(kind(numbers)).toBe("[object Float64Array]");
    expect(Object.is(numbers[2], -0)).toBe(true);
    expect(errors).toEqual([]);
  });

  test("garbage on the byte socket and a number out of line are ProtocolErrors, never thrown", async () => {
    const { b, errors, bulkToB } = pair();
    b.fromIpc({ s: 5, m: {} });
    b.fromIpc("not numbered");
    bulkToB.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]));
    await tick();
    expect(errors.map((e) => e.constructor)).toEqual([ProtocolError, ProtocolError]);
    b.fromIpc({ s: 5, m: {} }); // twice the same number
    expect(errors).toHaveLength(3);
  });

  test("toByteWire keeps a large v8 form as bytes, a small one as base64 text, JSON values as they are; fromJsonWire reads all three", () => {
    const big = [new Float64Array(BYTES_FROM / 8 + 1).fill(1.5)];
    const small = [new Map([["k", 1]])];
    const plain = [1, "two"];
    expect(poolMessageCarriesBytes({ argsList: [toByteWire(big, false)] })).toBe(true);
    expect(poolMessageCarriesBytes({ argsList: [toByteWire(small, false)] })).toBe(false);
    expect(toByteWire(plain, true)).toBe(plain);
    const unwrapped = fromJsonWire(toByteWire(big, false)) as Float64Array[];
    expect(kind(unwrapped[0])).toBe("[object Float64Array]");
    expect(Array.from(unwrapped[0]!)).toEqual(Array.from(big[0]!));
    const map = (fromJsonWire(JSON.parse(JSON.stringify(toByteWire(small, false)))) as Map<string, number>[])[0]!;
    expect([kind(map), Map.prototype.get.call(map, "k")]).toEqual(["[object Map]", 1]);
  });
});

describe("writeFrame", () => {
  test("small and large frames (a large body is written after its header, not copied behind it) arrive whole, in order, each write acknowledged", async () => {
    const stream = new PassThrough();
    const got: unknown[] = [];
    const errors: Error[] = [];
    const reader = new FrameReader((m) => got.push(m), (e) => errors.push(e));
    stream.on("data", (chunk: Buffer) => reader.push(chunk));
    const large = Float64Array.from({ length: 100_000 }, (_, i) => (i % 5 === 0 ? -0 : i / 7)); // 800 KB
    const sent = [{ n: 1 }, { n: 2, large }, "small", { n: 4, large: large.subarray(0, 9_000) }, { n: 5 }]; // 72 KB: just over the split
    let acknowledged = 0;
    for (const message of sent) writeFrame(stream, message, "a test message", () => acknowledged++);
    await tick();
    expect(errors).toEqual([]);
    expect(acknowledged).toBe(sent.length);
    expect(got).toHaveLength(sent.length);
    expect(got[0]).toEqual({ n: 1 });
    expect(got[2]).toBe("small");
    const big = got[1] as { n: number; large: Float64Array };
    expect(big.n).toBe(2);
    expect(Array.from(big.large)).toEqual(Array.from(large));
    expect(Object.is(big.large[0], -0)).toBe(true);
    expect(Array.from((got[3] as { large: Float64Array }).large)).toEqual(Array.from(large.subarray(0, 9_000)));
    expect(got[4]).toEqual({ n: 5 });
    expect(reader.pendingBytes).toBe(0);
  });
});

describe("through a process pool", () => {
  test("typed arrays of several MiB go to the worker and back exactly, with and without transfer", async () => {
    const pool = new Pool({ workers: 1, backend: "process" });
    const sent = Float64Array.from({ length: 1 << 20 }, (_, i) => (i % 7 === 0 ? NaN : i / 3));
    const back = await pool.apply((x: Float64Array) => x.map((v) => v * 2), [sent]);
    expect(kind(back)).toBe("[object Float64Array]");
    expect(back.length).toBe(sent.length);
    expect(back[3]).toBe(2);
    expect(back[7]).toBeNaN();
    const moved = new Uint8Array(3 << 20).fill(7);
    const sum = await pool.apply((x: Uint8Array) => x.reduce((s, v) => s + v, 0), [moved], { transfer: true });
    expect(sum).toBe(7 * (3 << 20));
    expect(moved.length).toBe(0); // detached, as with transfer on threads
    await pool.terminate();
  });

  test("quick tasks sent ahead, some carrying bytes and some not, answer in order with their own values", async () => {
    const pool = new Pool({ workers: 2, backend: "process" });
    await pool.map("echo", Array.from({ length: 300 }, (_, i) => i)); // the workers are quick ones now
    const inputs = Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? new Float64Array(4_096).fill(i) : i));
    const handles = inputs.map((x) => pool.applyAsync((v: Float64Array | number) => (typeof v === "number" ? v : v[0]! + v.length), [x]));
    expect(await Promise.all(handles.map((h) => h.get()))).toEqual(inputs.map((x) => (typeof x === "number" ? x : x[0]! + 4_096)));
    await pool.terminate();
  });

  test("a task that writes garbage on its worker's byte socket: that task fails, the pool carries on", async () => {
    const pool = new Pool({ workers: 1, backend: "process" });
    const scribble = async (): Promise<number> => {
      const fs = (process as unknown as { mainModule: NodeJS.Module }).mainModule.require("node:fs") as typeof import("node:fs");
      fs.writeSync(4, Buffer.from([0, 0, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
      // the task is still running when the pool reads the garbage (its answer would race the garbage otherwise)
      await new Promise((resolve) => setTimeout(resolve, 60_000));
      return 1;
    };
    const error = await rejectionOf(pool.apply(scribble, []));
    // the pool reads a frame that is not a message, stops that worker, and the task fails as in a crash
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect(await pool.apply("echo", ["after"])).toBe("after");
    await pool.terminate();
  });
});
