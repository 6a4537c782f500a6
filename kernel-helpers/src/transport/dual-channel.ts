/**
 * A process-backend pool worker's two channels to its pool, used as one
 * ordered stream of messages.
 *
 * Node's IPC channel (JSON) is the fast way for small messages, but bytes do
 * not fit JSON: a chunk of 25,000 numbers became a 270 KB base64 string that
 * Node's IPC code then scans, joins and parses as text (about 0.8 ms per such
 * message, more than the work on it), and 64 MiB of typed array took 0.8 s
 * each way. So a message that carries bytes (a `Float64Array` chunk, or a value
 * in v8's format: see wire.ts) takes a second channel, a socket of its own
 * (the child's file descriptor 4), as one length-prefixed v8 frame
 * (frames.ts), where bytes stay bytes. Everything else keeps the IPC channel.
 *
 * Two channels do not keep order between them, and the pool relies on order
 * (a worker runs its jobs in the order they were sent). So each side numbers
 * what it sends, and the receiver hands messages on in that order, holding
 * back one that overtook an earlier one until that one arrives.
 */
import type { Duplex } from "node:stream";
import { FrameReader, writeFrame } from "./frames";
import { ProtocolError } from "../primitives/errors";

/** What travels on either channel: the sender's running number and the message. */
interface Numbered {
  s: number;
  m: unknown;
}

/** The pieces a {@link DualChannel} joins. */
export interface DualChannelOptions {
  /** Sends on Node's IPC channel (JSON). */
  sendIpc(envelope: object): void;
  /** The byte socket: the parent's `child.stdio[4]`, the child's `new net.Socket({ fd: 4 })`. */
  bulk: Duplex;
  /** True when the message carries bytes and must take the byte socket. */
  carriesBytes(message: unknown): boolean;
  /** Receives every message, in the order the other side sent them. */
  deliver(message: unknown): void;
  /** The byte socket brought something that is not a frame, or a number out of line. */
  onError(error: ProtocolError): void;
  /** Names the other side in errors, e.g. "the pool worker". */
  peer: string;
}

/** One ordered stream over Node's IPC channel and a byte socket. */
export class DualChannel {
  readonly #options: DualChannelOptions;
  #sent = 0;
  #expected = 0;
  /** Messages that arrived before an earlier one, by number. */
  readonly #held = new Map<number, unknown>();

  constructor(options: DualChannelOptions) {
    this.#options = options;
    const reader = new FrameReader((envelope) => this.#arrive(envelope), options.onError);
    options.bulk.on("data", (chunk: Buffer) => reader.push(chunk));
    options.bulk.on("end", () => reader.end());
    // a socket error (the other side gone) shows as the process's exit; nothing to add here
    options.bulk.on("error", () => undefined);
  }

  /** Sends `message` on the channel that suits it. @throws UnsendableValueError when a byte message is over the frame limit. */
  send(message: object): void {
    const envelope: Numbered = { s: this.#sent, m: message };
    if (this.#options.carriesBytes(message)) writeFrame(this.#options.bulk, envelope, `a message to ${this.#options.peer}`);
    else this.#options.sendIpc(envelope);
    this.#sent++;
  }

  /** Takes what arrived on the IPC channel. */
  fromIpc(envelope: unknown): void {
    this.#arrive(envelope);
  }

  #arrive(envelope: unknown): void {
    const numbered = envelope as Partial<Numbered> | null;
    const s = numbered?.s;
    if (typeof s !== "number" || !Number.isInteger(s) || s < this.#expected || this.#held.has(s)) {
      this.#options.onError(new ProtocolError(`Malformed message from ${this.#options.peer}: not a numbered message in line (expected number ${this.#expected}).`));
      return;
    }
    if (s !== this.#expected) {
      this.#held.set(s, numbered!.m);
      return;
    }
    this.#options.deliver(numbered!.m);
    this.#expected++;
    while (this.#held.has(this.#expected)) {
      const next = this.#held.get(this.#expected);
      this.#held.delete(this.#expected++);
      this.#options.deliver(next);
    }
  }
}
