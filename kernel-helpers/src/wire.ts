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

/** A value JSON cannot carry, wrapped for the trip. */
export interface WireEnvelope {
  [WIRE_KEY]: string;
}

/** Wraps `value` for the JSON channel unless JSON carries it exactly (`jsonSafe`). */
export function toJsonWire(value: unknown[], jsonSafe: boolean): unknown[] | WireEnvelope {
  return jsonSafe ? value : { [WIRE_KEY]: v8.serialize(value).toString("base64") };
}

/** Unwraps what {@link toJsonWire} made; anything else is returned as it is. */
export function fromJsonWire(value: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const encoded = (value as Partial<WireEnvelope>)[WIRE_KEY];
  return typeof encoded === "string" ? v8.deserialize(Buffer.from(encoded, "base64")) : value;
}
