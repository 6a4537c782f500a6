/**
 * The manager lane's messages: what a worker sends when it asks its own
 * parent (the process or thread that started it) to run an operation on a
 * {@link Manager} that the parent holds, and the answers. The carriers are
 * manager-lane-owner.ts (the parent's side) and manager-lane-peer.ts (the
 * worker's side); why the lane exists is told there.
 *
 * One request at a time per lane (the worker waits for each answer), so
 * there are no request ids. The layout, in bytes (numbers little-endian):
 *
 *     request  OPEN  1 | v8(address, key)                   may this lane use that manager?
 *              SLEEPING 3                                 (a child) ring my bell once you have answered
 *     (a child's frames are a 4-byte length, then the body; see NO_POLL_BIT and ANSWER_ON_BELL_BIT)
 *              OP    2 | handle u32 | code u8 | ...          one operation
 *                        code GET 1 / DELETE 3 / HAS 4:  key (UTF-16)
 *                        code SET 2:                     key length u32 | key (UTF-16) | value
 *                        code BATCH 5:                   count u32 | count x (code u8 | key length u32 | key
 *                                                        | for a set: value length u32 | value)
 *                        code OTHER 9:                   v8(operation)
 *     answer   OK 0 | value   ERROR 1 | v8({ name, message, option })   OPENED 5 | handle u32
 *              ELSEWHERE 2 (not held there)   REFUSED 3 (wrong key)   UNAVAILABLE 4 (shut down)
 *              LIST 6 | count u32 | count x (value length u32 | value)   (a batch's results)
 *     value    UNDEFINED 0 | NUMBER 1 f64 | TRUE 2 | FALSE 3 | NULL 4 | STRING 5 UTF-16 | V8 6 v8(value)
 *
 * The common case (a number or a string set, got or tested at a short key,
 * alone or in a batch) costs no v8 serialisation on either side. Strings
 * travel as UTF-16, so a lone surrogate arrives as it was sent, never replaced.
 *
 * Whatever arrives is checked: bytes that do not form a request throw a
 * {@link ProtocolError}, never anything else, and the carrier closes the lane.
 */
import v8 from "node:v8";
import { ProtocolError } from "../primitives/errors";
import type { KeyOperation, Operation } from "../primitives/manager-protocol";
import type { ChannelError } from "./owner-channel";

const OPEN = 1;
const OP = 2;
/** A child's "I stopped waiting for the answer in a loop and sleep: ring my bell" (manager-lane-peer.ts). */
export const SLEEPING = 3;
const CODES = { get: 1, set: 2, delete: 3, has: 4 } as const satisfies Record<KeyOperation, number>;
const BATCH = 5;
const OTHER = 9;

const OK = 0;
const ERROR = 1;
const ELSEWHERE = 2;
const REFUSED = 3;
const UNAVAILABLE = 4;
const OPENED = 5;
const LIST = 6;

const UNDEFINED = 0;
const NUMBER = 1;
const TRUE = 2;
const FALSE = 3;
const NULL = 4;
const STRING = 5;
const V8 = 6;

/** The answer of a `set` (read only: it is shared). */
const OK_UNDEFINED = Buffer.from([OK, UNDEFINED]);

/**
 * A request as the parent reads it. `checked`: the operation's form is right
 * by construction (a get, set, delete or has read from its compact layout);
 * otherwise it came in v8's format and is still to be checked.
 */
export type LaneRequest = { kind: "open"; address: string; key: string } | { kind: "op"; handle: number; operation: Operation; checked: boolean };

/** An answer as the worker reads it. */
export type LaneAnswer =
  | { kind: "ok"; value: unknown }
  /** A batch's results (LIST): read back as an "ok" whose value is the array. */
  | { kind: "list"; values: unknown[] }
  | { kind: "error"; error: ChannelError }
  | { kind: "opened"; handle: number }
  | { kind: "elsewhere" }
  | { kind: "refused" }
  | { kind: "unavailable" };

function withTag(tag: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(1 + body.length);
  out[0] = tag;
  body.copy(out, 1);
  return out;
}

/** A value after a tag byte: the common primitives in place, anything else in v8's format. */
function encodeValue(value: unknown): Buffer {
  switch (typeof value) {
    case "undefined":
      return Buffer.from([UNDEFINED]);
    case "boolean":
      return Buffer.from([value ? TRUE : FALSE]);
    case "number": {
      const out = Buffer.allocUnsafe(9);
      out[0] = NUMBER;
      out.writeDoubleLE(value, 1);
      return out;
    }
    case "string": {
      const out = Buffer.allocUnsafe(1 + value.length * 2);
      out[0] = STRING;
      out.write(value, 1, "utf16le");
      return out;
    }
    default:
      return value === null ? Buffer.from([NULL]) : withTag(V8, v8.serialize(value));
  }
}

function decodeValue(bytes: Buffer, at: number): unknown {
  const tag = bytes[at];
  if ((tag === UNDEFINED || tag === TRUE || tag === FALSE || tag === NULL) && bytes.length !== at + 1) {
    throw new ProtocolError("Manager lane: bytes after a value that has none.");
  }
  switch (tag) {
    case UNDEFINED:
      return undefined;
    case TRUE:
      return true;
    case FALSE:
      return false;
    case NULL:
      return null;
    case NUMBER:
      if (bytes.length !== at + 9) throw new ProtocolError("Manager lane: a number of the wrong length.");
      return bytes.readDoubleLE(at + 1);
    case STRING:
      if ((bytes.length - at - 1) % 2 !== 0) throw new ProtocolError("Manager lane: a string of an odd number of bytes.");
      return bytes.toString("utf16le", at + 1);
    case V8:
      return deserialize(bytes.subarray(at + 1));
    default:
      throw new ProtocolError(`Manager lane: an unknown value tag ${String(bytes[at])}.`);
  }
}

function deserialize(bytes: Buffer): unknown {
  try {
    return v8.deserialize(bytes);
  } catch (error) {
    throw new ProtocolError(`Manager lane: bytes that are not a value (${(error as Error).message}).`);
  }
}

/** "May this lane use the manager at `address`, which I know by `key` (hex)?" */
export function encodeOpen(address: string, key: string): Buffer {
  return withTag(OPEN, v8.serialize([address, key]));
}

const u32 = (n: number): Buffer => {
  const out = Buffer.allocUnsafe(4);
  out.writeUInt32LE(n);
  return out;
};

type SimpleOperation = Extract<Operation, { op: KeyOperation }>;
/** A get, set, delete or has: an operation with a code of its own in {@link CODES}. */
const isSimple = (operation: Operation): operation is SimpleOperation => Object.hasOwn(CODES, operation.op);

/** One operation on the manager the parent gave `handle`. */
export function encodeOperation(handle: number, operation: Operation): Buffer {
  const batch = operation.op === "batch" && operation.operations.every(isSimple) ? (operation.operations as SimpleOperation[]) : undefined;
  const code = isSimple(operation) ? CODES[operation.op] : batch ? BATCH : OTHER;
  const head = Buffer.allocUnsafe(6);
  head[0] = OP;
  head.writeUInt32LE(handle, 1);
  head[5] = code;
  if (batch) {
    const parts = [head, u32(batch.length)];
    for (const o of batch) {
      const key = Buffer.from(o.key, "utf16le");
      parts.push(Buffer.from([CODES[o.op]]), u32(key.length), key);
      if (o.op === "set") {
        const value = encodeValue(o.value);
        parts.push(u32(value.length), value);
      }
    }
    return Buffer.concat(parts);
  }
  if (!isSimple(operation)) return Buffer.concat([head, v8.serialize(operation)]);
  const key = Buffer.from(operation.key, "utf16le");
  if (operation.op !== "set") return Buffer.concat([head, key]);
  return Buffer.concat([head, u32(key.length), key, encodeValue(operation.value)]);
}

/** The value at `at` in `bytes` after its length (u32), and where it ends; `bad()` for one cut short or empty. */
function sizedValue(bytes: Buffer, at: number, bad: () => never): { value: unknown; end: number } {
  if (at + 4 > bytes.length) bad();
  const end = at + 4 + bytes.readUInt32LE(at);
  if (end > bytes.length || end === at + 4) bad();
  return { value: decodeValue(bytes.subarray(0, end), at + 4), end };
}

/**
 * A count (u32 at `countAt`), then that many items read by `readOne` from
 * where the last one ended, to the end of `bytes`. @throws ProtocolError
 * (saying `what`) for bytes cut short, left over, or that `readOne` refuses.
 */
function readCounted<T>(bytes: Buffer, countAt: number, what: string, readOne: (at: number, bad: () => never) => { item: T; end: number }): T[] {
  const bad = (): never => {
    throw new ProtocolError(`Manager lane: ${what}.`);
  };
  if (bytes.length < countAt + 4) bad();
  const count = bytes.readUInt32LE(countAt);
  const items: T[] = [];
  let at = countAt + 4;
  for (let i = 0; i < count; i++) {
    const { item, end } = readOne(at, bad);
    items.push(item);
    at = end;
  }
  if (at !== bytes.length) bad();
  return items;
}

/** The operations of a BATCH request (`bytes`: the whole request). */
function decodeBatch(bytes: Buffer): SimpleOperation[] {
  return readCounted<SimpleOperation>(bytes, 6, "a batch cut short or with an unknown operation", (at, bad) => {
    if (at + 5 > bytes.length) bad();
    const code = bytes[at]!;
    const keyEnd = at + 5 + bytes.readUInt32LE(at + 1);
    if ((keyEnd - at - 5) % 2 !== 0 || keyEnd > bytes.length) bad();
    const key = bytes.toString("utf16le", at + 5, keyEnd);
    if (code === CODES.set) {
      const { value, end } = sizedValue(bytes, keyEnd, bad);
      return { item: { op: "set", key, value }, end };
    }
    const op = code === CODES.get ? "get" : code === CODES.delete ? "delete" : code === CODES.has ? "has" : bad();
    return { item: { op, key }, end: keyEnd };
  });
}

/** Reads a request. @throws ProtocolError if `bytes` is not one. */
export function decodeRequest(bytes: Buffer): LaneRequest {
  if (bytes[0] === OPEN) {
    const parts = deserialize(bytes.subarray(1));
    if (!Array.isArray(parts) || parts.length !== 2 || typeof parts[0] !== "string" || typeof parts[1] !== "string") {
      throw new ProtocolError("Manager lane: an open request without an address and a key.");
    }
    return { kind: "open", address: parts[0], key: parts[1] };
  }
  if (bytes[0] !== OP || bytes.length < 6) throw new ProtocolError("Manager lane: bytes that are not a request.");
  const handle = bytes.readUInt32LE(1);
  const code = bytes[5];
  if (code === OTHER) return { kind: "op", handle, operation: deserialize(bytes.subarray(6)) as Operation, checked: false };
  if (code === BATCH) return { kind: "op", handle, operation: { op: "batch", operations: decodeBatch(bytes) }, checked: true };
  if (code === CODES.set) {
    const keyBytes = bytes.length >= 10 ? bytes.readUInt32LE(6) : -1;
    if (keyBytes < 0 || keyBytes % 2 !== 0 || 10 + keyBytes >= bytes.length) throw new ProtocolError("Manager lane: a set without a whole key and value.");
    return { kind: "op", handle, operation: { op: "set", key: bytes.toString("utf16le", 10, 10 + keyBytes), value: decodeValue(bytes, 10 + keyBytes) }, checked: true };
  }
  const op = code === CODES.get ? "get" : code === CODES.delete ? "delete" : code === CODES.has ? "has" : undefined;
  if (!op || (bytes.length - 6) % 2 !== 0) throw new ProtocolError(`Manager lane: an unknown operation code ${String(code)}.`);
  return { kind: "op", handle, operation: { op, key: bytes.toString("utf16le", 6) }, checked: true };
}

/** Writes an answer (v8 may throw for a value over its limits: the caller answers with that error instead). */
export function encodeAnswer(answer: LaneAnswer): Buffer {
  switch (answer.kind) {
    case "ok":
      return answer.value === undefined ? OK_UNDEFINED : withTag(OK, encodeValue(answer.value));
    case "list": {
      const parts = [Buffer.from([LIST]), u32(answer.values.length)];
      for (const value of answer.values) {
        const bytes = encodeValue(value);
        parts.push(u32(bytes.length), bytes);
      }
      return Buffer.concat(parts);
    }
    case "error":
      return withTag(ERROR, v8.serialize(answer.error));
    case "opened": {
      const out = Buffer.allocUnsafe(5);
      out[0] = OPENED;
      out.writeUInt32LE(answer.handle, 1);
      return out;
    }
    case "elsewhere":
      return Buffer.from([ELSEWHERE]);
    case "refused":
      return Buffer.from([REFUSED]);
    case "unavailable":
      return Buffer.from([UNAVAILABLE]);
  }
}

/** The values of a LIST answer. */
function decodeList(bytes: Buffer): unknown[] {
  return readCounted(bytes, 1, "a list of results cut short", (at, bad) => {
    const { value, end } = sizedValue(bytes, at, bad);
    return { item: value, end };
  });
}

/** Reads an answer. @throws ProtocolError if `bytes` is not one. */
export function decodeAnswer(bytes: Buffer): LaneAnswer {
  switch (bytes[0]) {
    case OK:
      return { kind: "ok", value: decodeValue(bytes, 1) };
    case LIST:
      return { kind: "ok", value: decodeList(bytes) };
    case ERROR:
      return { kind: "error", error: deserialize(bytes.subarray(1)) as ChannelError };
    case OPENED:
      if (bytes.length !== 5) break;
      return { kind: "opened", handle: bytes.readUInt32LE(1) };
    case ELSEWHERE:
      return { kind: "elsewhere" };
    case REFUSED:
      return { kind: "refused" };
    case UNAVAILABLE:
      return { kind: "unavailable" };
  }
  throw new ProtocolError("Manager lane: bytes that are not an answer.");
}

/**
 * In a child's lane, the top bit of an answer's length says "do not poll for
 * the next answer" (the length itself is at most 256 MiB); the top bit of a
 * request's length, "I do not poll: answer on my bell" ({@link ANSWER_ON_BELL_BIT}).
 */
export const NO_POLL_BIT = 0x80000000;
/** The top bit of a child's request length: it sleeps on its bell socket, so the answer goes there. */
export const ANSWER_ON_BELL_BIT = 0x80000000;
/** The body of the frame that rings a child's bell after a SLEEPING (its answer is on the lane socket). */
export const RING = 0xff;

/** The argument that tells a child process the file descriptors of its lane and of its bell: `--kh-manager-lane=5,6`. */
export const CHILD_LANE_FLAG = "--kh-manager-lane=";

/**
 * A thread's lane is a SharedArrayBuffer: six 32-bit slots (24 bytes), then the bytes
 * of the request or the answer in place (up to {@link INLINE_BYTES}; larger
 * ones travel on the lane's message port, and the length slot says -1).
 */
export const THREAD_LANE = {
  /** The worker's request number; the parent waits on it. {@link THREAD_LANE.CLOSED} there ends the parent's side. */
  REQUEST: 0,
  /** The number of the request answered last; the worker waits on it. */
  ANSWER: 1,
  REQUEST_BYTES: 2,
  ANSWER_BYTES: 3,
  /** 1 once the parent has closed the lane (after answering the request that made it close it). */
  SHUT: 4,
  /** 1 when the parent says "do not poll for the next answer" (more lanes at work than cores: manager-lane-polling.ts, mayPoll). */
  NO_POLL: 5,
  ON_PORT: -1,
  CLOSED: -1,
  HEADER_BYTES: 24,
} as const;

/** The largest request or answer that a thread's lane carries in its shared memory. */
export const INLINE_BYTES = 64 * 1024;

/** What a thread's parent gives it (in `workerData`) so that it can use its lane. */
export interface ThreadLaneEnds {
  shared: SharedArrayBuffer;
  port: import("node:worker_threads").MessagePort;
}
