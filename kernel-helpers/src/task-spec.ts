/**
 * How a task travels to a worker: by name (a function compiled into the
 * library) or as source text (an inline function, like `workerpool.exec(fn)`).
 */
import { tasks, type TaskName } from "./tasks";
import { InvalidOptionError } from "./errors";

/** A task as sent to a worker. */
export type TaskSpec = { kind: "named"; name: string } | { kind: "inline"; source: string; name: string };

/**
 * Turns what the caller passed (a task name or a function) into a
 * {@link TaskSpec}, checking it now, in the caller, so that mistakes surface
 * with a clear message instead of as an error inside a worker.
 */
export function toTaskSpec(task: unknown): TaskSpec {
  if (typeof task === "string") {
    if (!Object.prototype.hasOwnProperty.call(tasks, task)) {
      throw new InvalidOptionError(
        "task",
        `Unknown task "${task}". Named tasks are: ${Object.keys(tasks).join(", ")}. ` +
          "Or pass a self-contained function instead of a name.",
      );
    }
    return { kind: "named", name: task as TaskName };
  }
  if (typeof task !== "function") {
    throw new InvalidOptionError("task", `Expected a task name or a function, got ${typeof task}.`);
  }
  const source = Function.prototype.toString.call(task);
  if (source.includes("[native code]")) {
    throw new InvalidOptionError(
      "task",
      `Function "${task.name || "anonymous"}" is native or bound, so its source cannot be sent to a worker. ` +
        "Pass a plain function or arrow function.",
    );
  }
  try {
    new Function(`"use strict"; return (${source});`);
  } catch {
    throw new InvalidOptionError(
      "task",
      `Function "${task.name || "anonymous"}" cannot be sent to a worker as source text ` +
        "(method shorthand `{ f() {} }` and class methods do not stand alone). Write it as `function f() {}` or `() => {}`.",
    );
  }
  return { kind: "inline", source, name: task.name || "anonymous function" };
}

/** The name shown in errors for a task. */
export function taskLabel(spec: TaskSpec): string {
  return spec.name;
}
