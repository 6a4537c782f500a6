/**
 * The fast path of `map` over plain numbers (kernel-helpers/src/transport/number-chunks.ts):
 * a chunk travels as one Float64Array (on a process worker's byte socket:
 * dual-channel.ts), on both backends with one table of cases.
 * What a user must not notice: every number arrives exactly (NaN, ±Infinity, -0,
 * the largest and smallest doubles), results that are not numbers come back as
 * they are, errors still name the item, and other inputs are unaffected. No timings.
 */
import { Pool, TaskError, UnsendableValueError, liveResourceCount, terminateAll, type Backend } from "kernel-helpers";
import { allNumbers, packNumbers, toNumberArray, unpackNumbers } from "../../kernel-helpers/src/transport/number-chunks";
import { rejectionOf } from "../test-helpers";

const backends: Backend[] = ["thread", "process"];
const EDGE = [0, -0, 1.5, -2, NaN, Infinity, -Infinity, Number.MAX_VALUE, Number.MIN_VALUE, Number.MAX_SAFE_INTEGER + 2, 2 ** -1074, 2 ** 31, -(2 ** 31), 2 ** 30, -0.5, 30_000_000];

afterAll(async () => {
  const leaked = liveResourceCount(); // each table row's pool lives for its describe block only
  await terminateAll();
  expect(leaked).toBe(0);
});

describe("number-chunks, called directly", () => {
  test("allNumbers is true only for a non-empty list of plain numbers", () => {
    expect([allNumbers([1, NaN, -0]), allNumbers([]), allNumbers([1, "2"]), allNumbers([1, 2n]), allNumbers([new Number(1)])]).toEqual([true, false, false, false, false]);
  });

  test.each([true, false])("packNumbers keeps the array itself, its buffer to move only for a thread (to a thread: %s)", (toThread) => {
    const values = Float64Array.from(EDGE);
    const { wire, transfer } = packNumbers(values, toThread);
    expect(wire).toBe(values);
    expect(transfer).toEqual(toThread ? [values.buffer] : undefined);
    expect(unpackNumbers(wire)).toBe(values);
    expect(Object.is(toNumberArray(values)[1], -0)).toBe(true);
  });

  test("unpackNumbers leaves other values alone", () => {
    expect([unpackNumbers([1, 2]), unpackNumbers({ __khFloat64: "AAAA" }), unpackNumbers(null), unpackNumbers(new Float32Array(2))]).toEqual([undefined, undefined, undefined, undefined]);
  });
});

describe.each(backends)("map over numbers with %s workers", (backend) => {
  let pool: Pool;
  beforeAll(() => {
    pool = new Pool({ workers: 2, backend });
  });
  afterAll(async () => {
    await pool.terminate();
  });

  test("every number arrives and returns exactly, in order, whatever the chunk size", async () => {
    for (const chunkSize of [1, 3, 100]) {
      const out = await pool.map("echo", EDGE, { chunkSize });
      expect(out).toHaveLength(EDGE.length);
      out.forEach((value, i) => expect(Object.is(value, EDGE[i])).toBe(true));
    }
  });

  test("a task that returns numbers gets numbers; one that returns other values gets those, in order", async () => {
    expect(await pool.map((x: number) => x * 2, [1, 2, 3, 4, 5], { chunkSize: 2 })).toEqual([2, 4, 6, 8, 10]);
    const mixed = await pool.map((x: number) => (x % 2 ? String(x) : x > 2 ? { x } : x), [0, 1, 2, 3, 4, 5], { chunkSize: 6 });
    expect(mixed).toEqual([0, "1", 2, "3", { x: 4 }, "5"]);
    expect(await pool.map((x: number) => (x > 1 ? undefined : NaN), [1, 2])).toEqual([NaN, undefined]);
  });

  test("async tasks are awaited on this path too", async () => {
    expect(await pool.map(async (x: number) => x + 0.5, [1, 2, 3])).toEqual([1.5, 2.5, 3.5]);
  });

  test("a result that cannot travel back is refused by name, with the item's place in the chunk", async () => {
    const error = await rejectionOf(pool.map((x: number) => (x === 2 ? () => x : x), [0, 1, 2, 3], { chunkSize: 4 }));
    expect(error).toBeInstanceOf(TaskError);
    expect((error as TaskError).cause).toBeInstanceOf(UnsendableValueError);
    expect((error as TaskError).message).toMatch(/result for item 2 of the chunk/);
  });

  test("an error thrown by the task reaches the caller as on the other path", async () => {
    const error = await rejectionOf(pool.map((x: number) => { if (x === 3) throw new RangeError(`no ${x}`); return x; }, [1, 2, 3]));
    expect(error).toBeInstanceOf(TaskError);
    expect((error as TaskError).cause).toBeInstanceOf(RangeError);
    expect((error as TaskError).cause.message).toBe("no 3");
  });

  test("lists that are not all plain numbers take the usual path and come back unchanged", async () => {
    expect(await pool.map("echo", [1, "2", 3])).toEqual([1, "2", 3]);
    expect(await pool.map("echo", [1n, 2n])).toEqual([1n, 2n]);
    expect(await pool.map("echo", [])).toEqual([]);
    expect(await pool.starmap((a: number, b: number) => a + b, [[1, 2], [3, 4]])).toEqual([3, 7]);
  });
});
