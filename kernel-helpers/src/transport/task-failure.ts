/**
 * How a failure inside a pool worker reaches the caller: the worker reports
 * its error as strings (name, message, stack, and `option` for
 * kernel-helpers' own option errors), and this side rebuilds it as an
 * instance of the same class where it can, inside a {@link TaskError}.
 */
import { InvalidOptionError, TaskError, WorkerCrashedError } from "../primitives/errors";
import { ExtraTaskDoneError, QueueClosedError, QueueEmpty, QueueFull } from "../primitives/queue-api";
import { UnsendableValueError } from "./sendable";
import type { TaskSpec } from "./task-spec";

/** An error as a worker reports it: strings only, so that reporting it can never fail. */
export interface ReportedError {
  name: string;
  message: string;
  stack?: string;
  /** `InvalidOptionError.option`, when the error has one. */
  option?: string;
  /** The error's `code`, when it has a string or number one (Node's `"ENOENT"`, `"ERR_INVALID_ARG_TYPE"`...). */
  code?: string | number;
}

const INLINE_HINT =
  "Inline task functions are sent to the worker as source text: they cannot see variables, imports or " +
  "functions from outside their own body (tslab turns a cell's variables into `exports.name`). " +
  "Pass what it needs as arguments, or use a named task from kernel-helpers.";

/** JavaScript's own error classes, rebuilt as themselves. */
const STANDARD: Record<string, new (message: string) => Error> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
  // the library's own errors that carry only a message
  QueueEmpty,
  QueueFull,
  QueueClosedError,
  ExtraTaskDoneError,
};

/**
 * The reported error as an instance of its class where that class is known
 * here (JavaScript's own, the queue errors, InvalidOptionError,
 * UnsendableValueError), else an `Error` named like it; message, stack and
 * `code` are the other side's. One rebuild for a task's error in a pool
 * worker and for an owner's answer on the owner channel (owner-channel.ts).
 */
export function rebuildError(reported: ReportedError, keepLocalStack = false): Error {
  const { name, message, stack, option, code } = reported;
  let error: Error;
  const Standard = Object.hasOwn(STANDARD, name) ? STANDARD[name] : undefined;
  if (Standard) error = new Standard(message);
  else if (name === "UnsendableValueError") error = new UnsendableValueError(option ?? "", message);
  else if (name === "InvalidOptionError") error = new InvalidOptionError(option ?? "", message);
  else {
    error = new Error(message);
    Object.defineProperty(error, "name", { value: name, writable: true, configurable: true });
  }
  if (stack !== undefined || !keepLocalStack) error.stack = stack ?? `${name}: ${message}`;
  if (code !== undefined) Object.defineProperty(error, "code", { value: code, writable: true, configurable: true, enumerable: true });
  return error;
}

/** The {@link TaskError} for an error a task threw in a worker. */
export function taskError(spec: TaskSpec, reported: ReportedError): TaskError {
  const hint = spec.kind === "inline" && reported.name === "ReferenceError" ? INLINE_HINT : undefined;
  return new TaskError(spec.name, reported.name, reported.message, reported.stack, hint, rebuildError(reported));
}

/** How a worker ended. */
export interface WorkerExit {
  /** The exit code, or null when a signal ended it. */
  code: number | null;
  /** The signal that ended a child process, else null. */
  signal: NodeJS.Signals | null;
  /** An error that escaped the task (a thread's uncaught exception), if any. */
  error?: Error;
}

/** The {@link WorkerCrashedError} for a worker that exited while running `spec`. */
export function crashError(spec: TaskSpec, exit: WorkerExit): WorkerCrashedError {
  const uncaught = exit.error ? ` after an uncaught ${exit.error.name}: ${exit.error.message}` : "";
  const detail = exit.signal ? `killed by signal ${exit.signal}` : `the worker exited with code ${exit.code ?? "unknown"}${uncaught}`;
  return new WorkerCrashedError(spec.name, detail);
}

/**
 * What a worker reports for anything thrown: an Error made of strings only
 * (a thrown function, or an error carrying one, would break the reply).
 */
export function toReported(error: unknown, describe: (value: unknown) => string): ReportedError {
  if (error instanceof Error || (typeof error === "object" && error !== null && "message" in error && "name" in error)) {
    const { name, message, stack, option, code } = error as { name: unknown; message: unknown; stack?: unknown; option?: unknown; code?: unknown };
    return {
      name: String(name),
      message: String(message),
      stack: String(stack ?? `${String(name)}: ${String(message)}`),
      ...(typeof option === "string" ? { option } : {}),
      ...(typeof code === "string" || (typeof code === "number" && Number.isFinite(code)) ? { code } : {}),
    };
  }
  return { name: "NonErrorThrown", message: `the task threw ${typeof error === "symbol" ? String(error) : describe(error)}, not an Error` };
}
