/**
 * Transfer instead of copy: the `transfer` option of Pool's `applyAsync`,
 * `map` and `starmap`.
 *
 * A structured clone copies every byte of an ArrayBuffer. Transferring it
 * moves the memory to the other side in constant time and leaves the sender's
 * ArrayBuffer **detached**: length 0, every view of it empty. Only worker
 * threads can receive memory this way; a child process has its own address
 * space, so its bytes always go through the pipe. Pool still detaches the
 * caller's buffers on the process backend, so that code behaves the same on
 * both backends.
 */
import { types } from "node:util";
import { isDetached, UnsendableValueError } from "./sendable";

export { isDetached };

/** A plain object: no prototype, or some realm's Object.prototype. */
const isPlainObject = (value: object): boolean => {
  const prototype = Object.getPrototypeOf(value) as object | null;
  return prototype === null || Object.getPrototypeOf(prototype) === null;
};

/** Options of `Pool.applyAsync` (and, through `MapOptions`, of `map` and `starmap`). */
export interface TransferOptions {
  /**
   * Move ArrayBuffers instead of copying them. Default false (copy).
   *
   * With `true`, the ArrayBuffers in the arguments (and under their typed
   * arrays and DataViews, at any depth) are handed to the worker, and those
   * in the task's result are handed back: moving a buffer takes the same
   * short time whatever its size, where a copy takes time per byte.
   *
   * **The sender's buffer becomes detached**: right after the call, your
   * array has length 0 and its old contents are the worker's (keep working
   * on a copy, `array.slice()`, or on what the task returns). A view of a
   * bigger buffer moves the whole buffer. SharedArrayBuffers are shared, never
   * moved; Node's small pooled `Buffer`s are copied (Node marks their shared
   * pool untransferable). Transferring a buffer that is already detached
   * throws UnsendableValueError.
   *
   * Worker threads receive the memory itself (postMessage's transfer list;
   * results come back as `workerpool.Transfer`). A child process has its own
   * memory, so on the process backend the bytes still go through the pipe
   * (typed arrays in v8's compact binary format, see wire.ts) and the
   * sender's buffers are detached afterwards, so that code behaves the same
   * on both backends.
   * @example pool.applyAsync((a: Float64Array) => a.length, [data], { transfer: true })
   */
  transfer?: boolean;
}

/**
 * The distinct ArrayBuffers a transfer of `value` would move: every
 * ArrayBuffer, and the buffer under every typed array or DataView, found at
 * any depth in arrays, plain objects, Maps and Sets. SharedArrayBuffers are
 * left out: they are shared, never moved. A view of a bigger buffer moves the
 * whole buffer (and empties its other views).
 *
 * @param value - the value to search (not changed).
 * @returns each buffer once, in the order first met.
 * @example transferableBuffers([new Float64Array(4), { b: new ArrayBuffer(8) }]).length // 2
 */
export function transferableBuffers(value: unknown): ArrayBuffer[] {
  const found = new Set<ArrayBuffer>();
  const seen = new Set<object>();
  const visit = (v: unknown): void => {
    if (v === null || typeof v !== "object" || seen.has(v)) return;
    seen.add(v);
    if (types.isArrayBuffer(v)) found.add(v);
    else if (ArrayBuffer.isView(v)) {
      if (types.isArrayBuffer(v.buffer)) found.add(v.buffer);
    } else if (types.isMap(v)) for (const [k, item] of v as Map<unknown, unknown>) (visit(k), visit(item));
    else if (types.isSet(v)) for (const item of v as Set<unknown>) visit(item);
    else if (Array.isArray(v) || isPlainObject(v)) for (const item of Object.values(v)) visit(item);
  };
  visit(value);
  return [...found];
}


/**
 * {@link transferableBuffers}, refusing a detached one by name: it was
 * transferred before and its contents are gone.
 * @param where - the value's name in the message, e.g. `args`.
 * @throws UnsendableValueError when a buffer is detached.
 */
export function buffersToMove(value: unknown, where: string): ArrayBuffer[] {
  const buffers = transferableBuffers(value);
  if (buffers.some(isDetached)) throw detachedError(where, "its length is 0 and no view can be made on it");
  return buffers;
}

/**
 * Moves `buffers` into a copy of `value` at once, without copying their
 * bytes: the returned value owns the memory and the caller's buffers are
 * detached. Also returns the buffers as the copy holds them (its transfer
 * list for `postMessage`).
 *
 * @param value - what will be sent; `buffers` must be inside it.
 * @param buffers - from {@link transferableBuffers}.
 * @param where - the value's name in an error message, e.g. `args`.
 * @throws UnsendableValueError when a buffer is already detached (transferred earlier).
 */
export function moveBuffers<T>(value: T, buffers: ArrayBuffer[], where: string): { value: T; buffers: ArrayBuffer[] } {
  try {
    const [moved, list] = structuredClone([value, buffers], { transfer: buffers }) as [T, ArrayBuffer[]];
    return { value: moved, buffers: list };
  } catch (error) {
    throw detachedError(where, error);
  }
}

/**
 * Detaches `buffers` (their bytes were already sent some other way, e.g.
 * through a child process's pipe), so that a transfer reads the same on both
 * backends: afterwards the sender's buffers are empty.
 * @throws UnsendableValueError when a buffer is already detached.
 */
export function detachBuffers(buffers: ArrayBuffer[], where: string): void {
  if (buffers.length === 0) return;
  try {
    structuredClone(buffers, { transfer: buffers });
  } catch (error) {
    throw detachedError(where, error);
  }
}

/** Moving fails only on a buffer that is gone already (v8 says "Unable to deserialize cloned data"). */
function detachedError(where: string, cause: unknown): UnsendableValueError {
  return new UnsendableValueError(
    where,
    `Cannot transfer ${where}: an ArrayBuffer in it is detached (it was transferred before, so it is empty now: ` +
      `${(cause as Error)?.message ?? String(cause)}). A buffer can be transferred once: send a copy (\`array.slice()\`), ` +
      "or leave `transfer` off.",
  );
}

/**
 * The buffers each chunk of a `map` or `starmap` with `transfer` moves (a
 * chunk is one message). A buffer can go to one worker only, so one found in
 * two chunks is refused before anything is sent.
 *
 * @param items - the items (or argument lists), in order.
 * @param chunkSize - items per chunk.
 * @param name - the items' name in messages: `items` or `argsList`.
 * @throws UnsendableValueError naming both items.
 */
export function chunkBuffers(items: readonly unknown[], chunkSize: number, name = "items"): { buffers: ArrayBuffer[]; where: string }[] {
  const owner = new Map<ArrayBuffer, number>();
  const moves: { buffers: ArrayBuffer[]; where: string }[] = [];
  for (let start = 0; start < items.length; start += chunkSize) {
    const buffers: ArrayBuffer[] = [];
    items.slice(start, start + chunkSize).forEach((item, k) => {
      for (const buffer of buffersToMove(item, `${name}[${start + k}]`)) {
        const first = owner.get(buffer);
        if (first !== undefined && first < start) {
          const where = `${name}[${start + k}]`;
          throw new UnsendableValueError(
            where,
            `Cannot transfer ${where}: its buffer is also in ${name}[${first}], which goes to another worker. ` +
              "A buffer can be transferred to one worker only: send copies (`array.slice()`), or leave `transfer` off.",
          );
        }
        if (first === undefined) (owner.set(buffer, start + k), buffers.push(buffer));
      }
    });
    moves.push({ buffers, where: `${name}[${start}..${Math.min(items.length, start + chunkSize) - 1}]` });
  }
  return moves;
}
