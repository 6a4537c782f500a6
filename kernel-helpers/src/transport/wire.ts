/**
 * How values cross the JSON channel of a process-backend pool worker.
 *
 * workerpool talks to a child process over Node's IPC channel in its default
 * JSON mode, which silently changes what JSON cannot carry: a Map becomes
 * `{}`, NaN becomes `null`, `undefined` disappears, a BigInt throws. Node's
 * other mode, `serialization: "advanced"` (v8's structured clone format),
 * carries them all but was measured about 20 % slower for every message
 * (trivial round trips 17,600/s against 22,000/s here, 2 workers), most of
 * which are plain numbers and strings. So a value goes as JSON when JSON
 * carries it exactly (the sendable check already walks it and says so), and
 * otherwise as one string holding its v8 serialisation, which the other side
 * turns back into the same value.
 */
import v8 from "node:v8";

/** The key of the envelope; the value it replaces is always an array, so an object here is unambiguous. */
const WIRE_KEY = "__khStructuredClone";

/** A value JSON cannot carry, wrapped for the trip: its v8 form in base64, or as bytes on a channel that carries bytes (see {@link toByteWire}). */
export interface WireEnvelope {
  [WIRE_KEY]: string | Uint8Array;
}

/** A v8 form at least this large stays bytes on a channel that carries them (base64 text would be a third larger, and scanned as text). */
export const BYTES_FROM = 16 * 1024;

/**
 * Like {@link toJsonWire}, for a process pool's channel, which carries bytes
 * as well as JSON (dual-channel.ts): a v8 form of {@link BYTES_FROM} bytes or
 * more stays a Buffer, and the message holding it takes the byte socket.
 */
export function toByteWire(value: unknown[], jsonSafe: boolean): unknown[] | WireEnvelope {
  if (jsonSafe) return value;
  const bytes = v8.serialize(value);
  return { [WIRE_KEY]: bytes.length >= BYTES_FROM ? bytes : bytes.toString("base64") };
}

/** True for an envelope made by {@link toByteWire} that holds bytes. */
export function isByteEnvelope(value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as Partial<WireEnvelope>)[WIRE_KEY] instanceof Uint8Array;
}

/**
 * True when a pool message carries bytes, so that it must take the byte
 * socket of a process worker: a chunk of numbers (`numbers`, a Float64Array:
 * number-chunks.ts), an argument list, initializer arguments or results in a
 * byte envelope, or a batch holding such a job. Every other message is JSON.
 */
export function poolMessageCarriesBytes(message: unknown): boolean {
  if (typeof message !== "object" || message === null) return false;
  const m = message as { batch?: unknown; numbers?: unknown; argsList?: unknown; args?: unknown; results?: unknown };
  if (Array.isArray(m.batch)) return m.batch.some(poolMessageCarriesBytes);
  return (
    m.numbers instanceof Float64Array ||
    m.results instanceof Float64Array ||
    isByteEnvelope(m.results) ||
    isByteEnvelope(m.args) ||
    (Array.isArray(m.argsList) && m.argsList.some(isByteEnvelope))
  );
}

/** Wraps `value` for the JSON channel unless JSON carries it exactly (`jsonSafe`). */
export function toJsonWire(value: unknown[], jsonSafe: boolean): unknown[] | WireEnvelope {
  return jsonSafe ? value : { [WIRE_KEY]: v8.serialize(value).toString("base64") };
}

/** Unwraps what {@link toJsonWire} made; anything else is returned as it is. */
export function fromJsonWire(value: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const encoded = (value as Partial<WireEnvelope>)[WIRE_KEY];
  if (typeof encoded === "string") return v8.deserialize(Buffer.from(encoded, "base64"));
  return encoded instanceof Uint8Array ? v8.deserialize(encoded) : value;
}
