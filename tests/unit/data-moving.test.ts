/**
 * The data-moving measurements of notebook 00 (section 3): sizes, formatting,
 * the array helpers, the figure's shape, and the measurements themselves on tiny sizes (every
 * method, both Pool backends), leaving no worker or process behind. No
 * timing is asserted, only what was measured and returned.
 */
import {
  InvalidOptionError,
  Pool,
  RAW_MOVES,
  formatBytes,
  liveResourceCount,
  makeFloat64Array,
  measurePoolMoves,
  measureRawMoves,
  moveSizes,
  movesFigure,
  splitIntoSlices,
  terminateAll,
  type MoveTiming,
} from "kernel-helpers";
import { types } from "node:util";
import { thrownBy } from "../test-helpers";

const KiB = 1024;
const MiB = 1024 * KiB;

afterAll(async () => {
  const leaked = liveResourceCount();
  await terminateAll();
  expect(leaked).toBe(0);
});

describe("sizes and formatting", () => {
  test("moveSizes steps by 16 from 1 KiB and ends at the maximum", () => {
    expect(moveSizes(64 * MiB)).toEqual([KiB, 16 * KiB, 256 * KiB, 4 * MiB, 64 * MiB]);
    expect(moveSizes(100 * MiB)).toEqual([KiB, 16 * KiB, 256 * KiB, 4 * MiB, 64 * MiB, 100 * MiB]);
    expect(moveSizes(KiB)).toEqual([KiB]);
  });

  test("moveSizes refuses sizes below 1 KiB or not whole Float64 elements, naming the option", () => {
    expect(thrownBy(() => moveSizes(512))).toBeInstanceOf(InvalidOptionError);
    expect(String(thrownBy(() => moveSizes(KiB + 4)))).toMatch(/maxBytes.*multiple of 8/);
  });

  test("formatBytes uses binary units", () => {
    expect([512, KiB, 16 * KiB, 64 * MiB, 1.5 * 1024 * MiB].map(formatBytes)).toEqual(["512 B", "1 KiB", "16 KiB", "64 MiB", "1.5 GiB"]);
  });
});

describe("array helpers", () => {
  test("makeFloat64Array fills 0..1023 repeating, in plain or shared memory", () => {
    const plain = makeFloat64Array(8 * 1030);
    expect(plain.length).toBe(1030);
    expect([plain[0], plain[1023], plain[1024], plain[1029]]).toEqual([0, 1023, 0, 5]);
    expect(types.isSharedArrayBuffer(makeFloat64Array(64, { shared: true }).buffer)).toBe(true);
    expect(types.isSharedArrayBuffer(plain.buffer)).toBe(false);
    expect(thrownBy(() => makeFloat64Array(12))).toBeInstanceOf(InvalidOptionError);
  });

  test("splitIntoSlices cuts into copies of lengths differing by at most one, in order", () => {
    const array = Float64Array.of(1, 2, 3, 4, 5);
    const slices = splitIntoSlices(array, 2);
    expect(slices.map((s) => Array.from(s))).toEqual([[1, 2, 3], [4, 5]]);
    expect(slices.every((s) => s.buffer !== array.buffer && s.byteOffset === 0)).toBe(true);
    expect(splitIntoSlices(array, 7).map((s) => s.length)).toEqual([1, 1, 1, 1, 1, 0, 0]);
  });
});

test("movesFigure draws one log-log line per method with sizes as tick labels", () => {
  const row = (method: string, bytes: number, medianMs: number): MoveTiming => ({ method, bytes, runs: 1, medianMs, minMs: medianMs, maxMs: medianMs, msPerMiB: medianMs / (bytes / MiB) });
  const figure = movesFigure([row("a", KiB, 1), row("b", KiB, 2), row("a", MiB, 3), row("b", MiB, 4)], { title: "T" });
  expect(figure.data.map((t) => t["name"])).toEqual(["a", "b"]);
  expect(figure.data[0]!["y"]).toEqual([1024, 3]);
  const layout = figure.layout as { xaxis: { type: string; ticktext: string[] }; yaxis: { type: string; title: { text: string } } };
  expect([layout.xaxis.type, layout.yaxis.type]).toEqual(["log", "log"]);
  expect(layout.xaxis.ticktext).toEqual(["1 KiB", "1 MiB"]);
  expect(layout.yaxis.title.text).toMatch(/ms per MiB/);
});

describe("the measurements, on tiny sizes", () => {
  const sizes = [KiB, 16 * KiB];

  test("measureRawMoves times every method at every size, round trips checked, and stops its workers", async () => {
    const rows = await measureRawMoves({ sizes, repeats: 2, warmup: 1 });
    expect(rows.map((r) => [r.method, r.bytes])).toEqual(sizes.flatMap((bytes) => Object.values(RAW_MOVES).map((method) => [method, bytes])));
    for (const r of rows) {
      expect(r.runs).toBe(2);
      expect(r.minMs).toBeLessThanOrEqual(r.medianMs);
      expect(r.medianMs).toBeLessThanOrEqual(r.maxMs);
      expect(r.msPerMiB).toBeCloseTo(r.medianMs / (r.bytes / MiB), 10);
    }
    expect(liveResourceCount()).toBe(0);
  });

  test("measureRawMoves measures only the methods asked for", async () => {
    const rows = await measureRawMoves({ sizes: [KiB], repeats: 1, methods: ["process-pipe"] });
    expect(rows.map((r) => r.method)).toEqual([RAW_MOVES["process-pipe"]]);
  });

  test.each([
    ["thread", false, "Pool, threads: copy"],
    ["thread", true, "Pool, threads: transfer"],
    ["process", false, "Pool, processes: copy"],
    ["process", true, "Pool, processes: transfer"],
  ] as const)("measurePoolMoves on %s workers (transfer: %s) names its method and times every size", async (backend, transfer, method) => {
    const pool = new Pool({ workers: 1, backend });
    try {
      const rows = await measurePoolMoves(pool, { sizes, repeats: 2, transfer });
      expect(rows.map((r) => [r.method, r.bytes, r.runs])).toEqual(sizes.map((bytes) => [method, bytes, 2]));
    } finally {
      pool.close();
      await pool.join();
    }
  });

  test("bad options are refused by name before anything starts", async () => {
    await expect(measureRawMoves({ sizes: [4], repeats: 1 })).rejects.toThrow(/sizes/);
    await expect(measureRawMoves({ sizes: [KiB], repeats: 0 })).rejects.toThrow(/repeats/);
    expect(liveResourceCount()).toBe(0);
  });
});
