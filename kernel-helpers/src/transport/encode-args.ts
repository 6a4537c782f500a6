/**
 * The owner's side of process-protocol.ts: checks that a task's or a
 * Process's arguments can travel and replaces every {@link Queue} and
 * {@link Manager} in them by its reference (the worker decodes them with
 * process-protocol.ts's `decodeArgs`).
 */
import { Queue } from "../primitives/queue";
import { Manager } from "../primitives/manager";
import { TO_REFERENCE } from "../primitives/queue-owner-side";
import { inspectSendable, isJsonPrimitive } from "./sendable";
import { isPrimitive, mapDeep } from "./process-protocol";

/** Options of {@link encodeValue}. */
export interface EncodeOptions {
  /** False when the value goes to a child process (no shared memory). */
  sharedMemory: boolean;
  /** The destination, for messages: "a worker", "Process-1"... */
  to: string;
  /** Called with each Queue found, so the sender can hold it while workers may use it (the registry of queues is weak). */
  onQueue?: (queue: Queue<unknown>) => void;
}

/**
 * Checks that `value` can travel (see {@link checkSendable}) and replaces
 * every {@link Queue} and {@link Manager} inside it by its reference.
 * @param where - the name of the value in messages, e.g. `args` or `items[3]`.
 * @throws UnsendableValueError naming the path to the part that cannot be sent.
 */
export function encodeValue(value: unknown, where: string, options: EncodeOptions): unknown {
  return inspectAndEncode(value, where, options).value;
}

/**
 * {@link encodeValue}, also telling whether JSON carries the encoded value
 * exactly (see wire.ts).
 */
export function inspectAndEncode(value: unknown, where: string, options: EncodeOptions): { value: unknown; jsonSafe: boolean } {
  // Fast path: most task arguments are numbers and strings.
  if (isPrimitive(value)) return { value, jsonSafe: isJsonPrimitive(value) };
  if (Array.isArray(value) && value.every(isPrimitive)) return { value, jsonSafe: value.every(isJsonPrimitive) && Object.keys(value).length === value.length };
  const jsonSafe = inspectSendable(value, where, {
    to: options.to,
    sharedMemory: options.sharedMemory,
    isReference: (v) => v instanceof Queue || v instanceof Manager,
  });
  // no cycles past this point: inspectSendable refuses them
  const encoded = mapDeep(value, (v) => {
    if (v instanceof Manager) return v.reference();
    if (!(v instanceof Queue)) return undefined;
    options.onQueue?.(v as Queue<unknown>);
    return (v as Queue<unknown>)[TO_REFERENCE]();
  });
  return { value: encoded, jsonSafe };
}

/** {@link encodeValue} for an argument list (named `args` in messages). */
export function encodeArgs(args: unknown[], options: EncodeOptions): unknown[] {
  return encodeValue(args, "args", options) as unknown[];
}
