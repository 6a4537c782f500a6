/**
 * The fast path of a chunked `map` over plain numbers: a chunk travels as one
 * `Float64Array` instead of a list of argument lists, and its results come
 * back the same way when every result is a number.
 *
 * Why: a chunk of 50,000 numbers as a list of one-element argument lists costs
 * a structured clone (threads) or a JSON text (processes) of 50,000 small
 * arrays each way, plus a check of every item. Python ships one pickled chunk.
 * A Float64Array is one block of bytes: moved without a copy to a thread, and
 * sent as bytes to a child process, on the socket that carries bytes
 * (dual-channel.ts; JSON could not carry NaN, ±Infinity or -0, and base64 text
 * cost more than the work). Every number arrives exactly. A result that is not a number
 * makes the worker answer that chunk in the usual form, so nothing changes
 * for other tasks.
 */

/** A chunk of numbers as it travels: a Float64Array, moved to a thread, or as bytes on a process worker's byte socket (dual-channel.ts). */
export type NumbersWire = Float64Array;

/** True when every item is a plain number (`typeof` "number"), so the chunk may travel as a Float64Array. */
export function allNumbers(items: readonly unknown[]): items is number[] {
  for (let i = 0; i < items.length; i++) if (typeof items[i] !== "number") return false;
  return items.length > 0;
}

/**
 * Packs numbers for the trip: the Float64Array itself; for a thread its
 * buffer is listed in `transfer`, so it moves instead of being copied; a
 * child process gets its bytes on the byte socket.
 */
export function packNumbers(values: Float64Array, toThread: boolean): { wire: NumbersWire; transfer?: ArrayBuffer[] } {
  return toThread ? { wire: values, transfer: [values.buffer as ArrayBuffer] } : { wire: values };
}

/** The numbers of a {@link packNumbers} wire form; undefined when `wire` is not one. */
export function unpackNumbers(wire: unknown): Float64Array | undefined {
  return wire instanceof Float64Array ? wire : undefined;
}

/** A Float64Array as a plain array of numbers (what `map` returns). */
export function toNumberArray(values: Float64Array): number[] {
  const out = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i]!;
  return out;
}
