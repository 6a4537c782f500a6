/**
 * Pool's `transfer` option, on both backends with one table of cases: typed
 * arrays and ArrayBuffers are moved to the worker (the caller's buffer is
 * detached at once) and results are moved back (the worker's own copy is
 * detached), the values arrive unchanged, and the mistakes (a buffer moved
 * twice, one buffer for two workers) are refused by name. No timings.
 */
import {
  Pool,
  UnsendableValueError,
  isDetached,
  liveResourceCount,
  terminateAll,
  transferableBuffers,
  type Backend,
} from "kernel-helpers";
import { rejectionOf, thrownBy } from "../test-helpers";

const backends: Backend[] = ["thread", "process"];

/** 0, 1, 2, ... as a Float64Array of `length` elements. */
const counting = (length: number): Float64Array => Float64Array.from({ length }, (_, i) => i);

afterAll(async () => {
  const leaked = liveResourceCount();
  await terminateAll();
  expect(leaked).toBe(0);
});

describe("transferableBuffers", () => {
  test("lists every ArrayBuffer once, at any depth, and leaves SharedArrayBuffers out", () => {
    const array = new Float64Array(4);
    const raw = new ArrayBuffer(8);
    const shared = new Int32Array(new SharedArrayBuffer(16));
    const value = [array, { nested: [raw, array.subarray(1)] }, new Map([["k", raw]]), new Set([shared]), 3, "text"];
    expect(transferableBuffers(value)).toEqual([array.buffer, raw]);
    expect(transferableBuffers(shared)).toEqual([]);
    expect(transferableBuffers(42)).toEqual([]);
  });

  test("isDetached tells a transferred buffer from an empty one", () => {
    const moved = new ArrayBuffer(8);
    structuredClone(moved, { transfer: [moved] });
    expect([isDetached(moved), isDetached(new ArrayBuffer(0)), isDetached(new ArrayBuffer(8))]).toEqual([true, false, false]);
  });
});

describe.each(backends)("Pool with %s workers and { transfer: true }", (backend) => {
  let pool: Pool;
  beforeAll(() => {
    pool = new Pool({ workers: 2, backend });
  });
  afterAll(async () => {
    pool.close();
    await pool.join();
  });

  test("the worker receives the values and the caller's array is detached right after the call", async () => {
    const data = counting(1000);
    const handle = pool.applyAsync((a: Float64Array) => [a.length, a.reduce((s, x) => s + x, 0)], [data], { transfer: true });
    expect(data.length).toBe(0);
    expect(data.buffer.byteLength).toBe(0);
    expect(await handle.get()).toEqual([1000, (999 * 1000) / 2]);
  });

  test("without the option the array is copied and stays usable", async () => {
    const data = counting(1000);
    expect(await pool.applyAsync((a: Float64Array) => a.length, [data]).get()).toBe(1000);
    expect(data.length).toBe(1000);
    expect(data[999]).toBe(999);
  });

  test("an array can go to the worker and come back (ping-pong), changed in place there", async () => {
    const double = (a: Float64Array) => {
      for (let i = 0; i < a.length; i++) a[i] = a[i]! * 2;
      return a;
    };
    let data = counting(100);
    for (let round = 0; round < 3; round++) data = await pool.applyAsync(double, [data], { transfer: true }).get();
    expect(Object.prototype.toString.call(data)).toBe("[object Float64Array]"); // not instanceof: jest runs tests in another realm
    expect(Array.from(data)).toEqual(Array.from(counting(100), (x) => x * 8));
  });

  test("a result moved back leaves the worker's own copy detached; a copied one does not", async () => {
    const keep = (length: number) => {
      const kept = new Float64Array(length).fill(7);
      (globalThis as { kept?: Float64Array }).kept = kept;
      return kept;
    };
    const keptLength = () => (globalThis as { kept?: Float64Array }).kept?.length ?? -1;
    const one = new Pool({ workers: 1, backend });
    try {
      const moved = await one.applyAsync(keep, [50], { transfer: true }).get();
      expect(Array.from(moved)).toEqual(new Array(50).fill(7));
      expect(await one.applyAsync(keptLength, []).get()).toBe(0);
      await one.applyAsync(keep, [50]).get();
      expect(await one.applyAsync(keptLength, []).get()).toBe(50);
    } finally {
      one.close();
      await one.join();
    }
  });

  test("nested arrays and raw ArrayBuffers are all moved, and a view moves its whole buffer", async () => {
    const whole = counting(10);
    const view = whole.subarray(2, 4);
    const raw = new Uint8Array([1, 2, 3]).buffer;
    const args = { view, list: [raw] };
    const got = await pool.applyAsync((x: { view: Float64Array; list: ArrayBuffer[] }) => [Array.from(x.view), x.list[0]!.byteLength], [args], { transfer: true }).get();
    expect(got).toEqual([[2, 3], 3]);
    expect([whole.length, view.length, raw.byteLength]).toEqual([0, 0, 0]);
  });

  test("map and starmap move each item's buffer and return the results in order", async () => {
    const items = [counting(10), counting(20), counting(30)];
    expect(await pool.map((a: Float64Array) => a.length, items, { transfer: true, chunkSize: 1 })).toEqual([10, 20, 30]);
    expect(items.map((a) => a.length)).toEqual([0, 0, 0]);
    const pairs: [Float64Array, number][] = [[counting(4), 1], [counting(4), 2]];
    expect(await pool.starmap((a: Float64Array, k: number) => a[3]! * k, pairs, { transfer: true })).toEqual([3, 6]);
    expect(pairs.map(([a]) => a.length)).toEqual([0, 0]);
  });

  test("transferring an array that was transferred already is refused by name, before anything is sent", async () => {
    const data = counting(10);
    await pool.applyAsync((a: Float64Array) => a.length, [data], { transfer: true }).get();
    const error = thrownBy(() => pool.applyAsync((a: Float64Array) => a.length, [data], { transfer: true }));
    expect(error).toBeInstanceOf(UnsendableValueError);
    expect(String(error)).toMatch(/Cannot transfer args: .*detached/);
  });

  test("one buffer in two chunks of a map is refused, naming both items, and nothing is detached", async () => {
    const shared = counting(8);
    const error = await rejectionOf(pool.map((a: Float64Array) => a.length, [shared, counting(2), shared.subarray(4)], { transfer: true, chunkSize: 1 }));
    expect(error).toBeInstanceOf(UnsendableValueError);
    expect(String(error)).toMatch(/items\[2\].*items\[0\]/);
    expect(shared.length).toBe(8);
  });

  test("the pool still runs tasks after the refusals", async () => {
    expect(await pool.applyAsync("leibnizPi", [1000]).get()).toBeCloseTo(Math.PI, 2);
  });
});

test("threads: a SharedArrayBuffer is shared, not moved, even with { transfer: true }", async () => {
  const pool = new Pool({ workers: 1, backend: "thread" });
  try {
    const shared = new Int32Array(new SharedArrayBuffer(16));
    await pool.applyAsync((a: Int32Array) => void (a[0] = 42), [shared], { transfer: true }).get();
    expect([shared.length, shared[0]]).toEqual([4, 42]);
  } finally {
    await pool.terminate();
  }
});

test("processes: a SharedArrayBuffer is refused with or without { transfer: true } (no shared memory)", async () => {
  const pool = new Pool({ workers: 1, backend: "process" });
  try {
    const shared = new Int32Array(new SharedArrayBuffer(16));
    expect(thrownBy(() => pool.applyAsync((a: Int32Array) => a.length, [shared], { transfer: true }))).toBeInstanceOf(UnsendableValueError);
    expect(shared.length).toBe(4);
  } finally {
    await pool.terminate();
  }
});
