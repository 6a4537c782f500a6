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
 * Splits a byte stream into messages. Feed it every chunk; it calls
 * `onMessage` per whole message, or `onError` once (and then ignores the
 * rest) when the stream is not a valid sequence of frames.
 */
export class FrameReader {
  #chunks: Buffer[] = [];
  #buffered = 0;
  #stopped = false;

  constructor(
    private readonly onMessage: (message: unknown) => void,
    private readonly onError: (error: ProtocolError) => void,
  ) {}

  /** Bytes received and not yet part of a whole message. */
  get pendingBytes(): number {
    return this.#buffered;
  }

  /** Takes the next chunk of the stream. */
  push(chunk: Buffer): void {
    if (this.#stopped) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    while (this.#buffered >= HEADER_BYTES && !this.#stopped) {
      const head = this.#peek(HEADER_BYTES);
      const length = head.readUInt32BE(0);
      if (length === 0 || length > MAX_FRAME_BYTES) {
        return this.#fail(`a frame announcing ${length.toLocaleString("en-US")} bytes (accepted: 1 to ${MAX_FRAME_BYTES.toLocaleString("en-US")})`);
      }
      // wait for the whole frame before joining chunks, so a large message is copied once
      if (this.#buffered < HEADER_BYTES + length) return;
      const frame = this.#take(HEADER_BYTES + length);
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
    this.#chunks = [];
    this.#buffered = 0;
  }

  /** The stream ended: a partial frame left over is an error. */
  end(): void {
    if (!this.#stopped && this.#buffered > 0) this.#fail(`the stream ended inside a frame (${this.#buffered} bytes left over)`);
  }

  #fail(problem: string): void {
    this.stop();
    this.onError(new ProtocolError(`Malformed message stream: ${problem}.`));
  }

  #peek(bytes: number): Buffer {
    if (this.#chunks[0]!.length < bytes) this.#chunks = [Buffer.concat(this.#chunks)];
    return this.#chunks[0]!;
  }

  #take(bytes: number): Buffer {
    const all = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
    const frame = all.subarray(0, bytes);
    const rest = all.subarray(bytes);
    this.#chunks = rest.length ? [rest] : [];
    this.#buffered = rest.length;
    return frame;
  }
}
