/**
 * Length-prefixed messages over a byte stream (the Manager's local socket,
 * a Process child's message pipe):
 * a 4-byte big-endian length, then a v8-serialised payload.
 *
 * Whatever arrives is treated as untrusted: a length over the limit, bytes
 * that do not deserialise, or a stream that ends in the middle of a frame
 * are reported as a {@link ProtocolError} (the caller closes that connection),
 * never thrown from inside a socket's event handler, where they would crash
 * the process that owns the channel.
 */
import type { Writable } from "node:stream";
import v8 from "node:v8";
import { ProtocolError } from "../primitives/errors";
import { UnsendableValueError } from "./sendable";

/** The largest message accepted or sent: 256 MiB. */
export const MAX_FRAME_BYTES = 256 * 1024 * 1024;

const HEADER_BYTES = 4;

/** A body at least this long is written after its header instead of being copied behind it. */
const SEPARATE_BODY_BYTES = 64 * 1024;

/** `payload` serialised, and its frame's header. @throws UnsendableValueError when it is larger than {@link MAX_FRAME_BYTES}. */
function frameParts(payload: unknown, what: string): [header: Buffer, body: Buffer] {
  const body = v8.serialize(payload);
  if (body.length > MAX_FRAME_BYTES) {
    throw new UnsendableValueError(
      what,
      `Cannot send ${what}: it is ${body.length.toLocaleString("en-US")} bytes serialised, over the limit of ` +
        `${MAX_FRAME_BYTES.toLocaleString("en-US")} bytes per message. Send it in parts.`,
    );
  }
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32BE(body.length);
  return [header, body];
}

/** Serialises `payload` into one frame. @throws UnsendableValueError when it is larger than {@link MAX_FRAME_BYTES}. */
export function encodeFrame(payload: unknown, what = "the message"): Buffer {
  return Buffer.concat(frameParts(payload, what));
}

/**
 * Writes one frame on `stream` (a socket or a pipe). A large body (a chunk of
 * numbers, a typed array) is written after its header in the same writev,
 * not copied behind it first. @throws UnsendableValueError when the message is too large.
 */
export function writeFrame(stream: Writable, payload: unknown, what = "the message", written?: (error?: Error | null) => void): void {
  const [header, body] = frameParts(payload, what);
  if (body.length < SEPARATE_BODY_BYTES) {
    stream.write(Buffer.concat([header, body]), written);
    return;
  }
  stream.cork();
  stream.write(header);
  stream.write(body, written);
  stream.uncork();
}

/**
 * The chunks of a byte stream received and not yet handled. A reader looks at
 * a frame's header with {@link peek} and takes the frame with {@link take}
 * once it is whole, so a large frame arriving in many chunks is joined (copied)
 * once. Used by {@link FrameReader} and the Manager lane (manager-lane-owner.ts).
 */
export class ChunkQueue {
  #chunks: Buffer[] = [];
  #buffered = 0;

  /** Bytes received and not yet taken. */
  get length(): number {
    return this.#buffered;
  }

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
  }

  /** A buffer that starts with the next `bytes` bytes (at most {@link length}), not taken. */
  peek(bytes: number): Buffer {
    if (this.#chunks[0]!.length < bytes) this.#chunks = [Buffer.concat(this.#chunks)];
    return this.#chunks[0]!;
  }

  /** Takes the next `bytes` bytes (at most {@link length}). */
  take(bytes: number): Buffer {
    const all = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
    const taken = all.subarray(0, bytes);
    const rest = all.subarray(bytes);
    this.#chunks = rest.length ? [rest] : [];
    this.#buffered = rest.length;
    return taken;
  }

  /** Drops everything not taken. */
  clear(): void {
    this.#chunks = [];
    this.#buffered = 0;
  }
}

/**
 * Splits a byte stream into messages. Feed it every chunk; it calls
 * `onMessage` per whole message, or `onError` once (and then ignores the
 * rest) when the stream is not a valid sequence of frames.
 */
export class FrameReader {
  readonly #received = new ChunkQueue();
  #stopped = false;

  constructor(
    private readonly onMessage: (message: unknown) => void,
    private readonly onError: (error: ProtocolError) => void,
  ) {}

  /** Bytes received and not yet part of a whole message. */
  get pendingBytes(): number {
    return this.#received.length;
  }

  /** Takes the next chunk of the stream. */
  push(chunk: Buffer): void {
    if (this.#stopped) return;
    this.#received.push(chunk);
    while (this.#received.length >= HEADER_BYTES && !this.#stopped) {
      const head = this.#received.peek(HEADER_BYTES);
      const length = head.readUInt32BE(0);
      if (length === 0 || length > MAX_FRAME_BYTES) {
        return this.#fail(`a frame announcing ${length.toLocaleString("en-US")} bytes (accepted: 1 to ${MAX_FRAME_BYTES.toLocaleString("en-US")})`);
      }
      // wait for the whole frame before joining chunks, so a large message is copied once
      if (this.#received.length < HEADER_BYTES + length) return;
      const frame = this.#received.take(HEADER_BYTES + length);
      let message: unknown;
      try {
        message = v8.deserialize(frame.subarray(HEADER_BYTES));
      } catch (error) {
        return this.#fail(`a frame of ${length} bytes that is not a valid message (${(error as Error).message})`);
      }
      this.onMessage(message);
    }
  }

  /**
   * Stops reading: bytes already received and not yet handled are dropped,
   * and so is everything pushed afterwards. For a caller that refuses a
   * message and closes the connection: a frame that came in the same chunk
   * after the refused one is never handled.
   */
  stop(): void {
    this.#stopped = true;
    this.#received.clear();
  }

  /** The stream ended: a partial frame left over is an error. */
  end(): void {
    if (!this.#stopped && this.#received.length > 0) this.#fail(`the stream ended inside a frame (${this.#received.length} bytes left over)`);
  }

  #fail(problem: string): void {
    this.stop();
    this.onError(new ProtocolError(`Malformed message stream: ${problem}.`));
  }
}
