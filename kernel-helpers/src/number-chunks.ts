/**
 * The fast path of a chunked `map` over plain numbers: a chunk travels as one
 * `Float64Array` instead of a list of argument lists, and its results come
 * back the same way when every result is a number.
 *
 * Why: a chunk of 50,000 numbers as a list of one-element argument lists costs
 * a structured clone (threads) or a JSON text (processes) of 50,000 small
 * arrays each way, plus a check of every item. Python ships one pickled chunk.
 * A Float64Array is one block of bytes: moved without a copy to a thread, and
 * sent as one base64 string to a child process (JSON cannot carry NaN, ±Infinity
 * or -0; the bytes carry every number exactly). A result that is not a number
 * makes the worker answer that chunk in the usual form, so nothing changes
 * for other tasks.
 */

/** The key of a Float64Array's bytes on a child process's JSON channel. */
const NUMBERS_KEY = "__khFloat64";

/** A chunk of numbers as it travels: the array itself (threads) or its bytes in base64 (processes). */
export type NumbersWire = Float64Array | { [NUMBERS_KEY]: string };

/** True when every item is a plain number (`typeof` "number"), so the chunk may travel as a Float64Array. */
export function allNumbers(items: readonly unknown[]): items is number[] {
  for (let i = 0; i < items.length; i++) if (typeof items[i] !== "number") return false;
  return items.length > 0;
}

/**
 * Packs numbers for the trip: for a thread the Float64Array itself (its buffer
 * listed in `transfer`, so it moves instead of being copied), for a child
 * process its bytes as base64.
 */
export function packNumbers(values: Float64Array, toThread: boolean): { wire: NumbersWire; transfer?: ArrayBuffer[] } {
  if (toThread) return { wire: values, transfer: [values.buffer as ArrayBuffer] };
  return { wire: { [NUMBERS_KEY]: Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString("base64") } };
}

/** The numbers of a {@link packNumbers} wire form; undefined when `wire` is not one. */
export function unpackNumbers(wire: unknown): Float64Array | undefined {
  if (wire instanceof Float64Array) return wire;
  if (typeof wire !== "object" || wire === null || Array.isArray(wire)) return undefined;
  const encoded = (wire as { [NUMBERS_KEY]?: unknown })[NUMBERS_KEY];
  if (typeof encoded !== "string") return undefined;
  const bytes = Buffer.from(encoded, "base64");
  // a copy into its own aligned buffer (Buffer's pool may start at any offset)
  const values = new Float64Array(bytes.byteLength / 8);
  new Uint8Array(values.buffer).set(bytes);
  return values;
}

/** A Float64Array as a plain array of numbers (what `map` returns). */
export function toNumberArray(values: Float64Array): number[] {
  const out = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i]!;
  return out;
}
