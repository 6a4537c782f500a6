/**
 * How a task travels to a worker: by name (a function compiled into the
 * library) or as source text (an inline function, like `workerpool.exec(fn)`).
 *
 * The named tasks are not imported here: the tasks layer (tasks/index.ts)
 * registers its table when it loads ({@link registerNamedTasks}), as the
 * library's index and every worker entry script load it. Importing the table
 * would make the primitives depend on the tasks, some of which start a Pool
 * themselves (an import cycle).
 */
import { InvalidOptionError } from "../primitives/errors";
import { compileSource, sourceText, type CompiledFunction } from "./compile-source";

/** The named tasks, by name. */
const namedTasks = new Map<string, CompiledFunction>();

/** Makes the functions of `table` runnable by name (tasks/index.ts registers the library's tasks). */
export function registerNamedTasks(table: Record<string, (...args: never[]) => unknown>): void {
  for (const [name, task] of Object.entries(table)) namedTasks.set(name, task as CompiledFunction);
}

/** A task as sent to a worker. */
export type TaskSpec = { kind: "named"; name: string } | { kind: "inline"; source: string; name: string };

/**
 * Turns what the caller passed (a task name or a function) into a
 * {@link TaskSpec}, checking it now, in the caller, so that mistakes surface
 * with a clear message instead of as an error inside a worker.
 */
export function toTaskSpec(task: unknown): TaskSpec {
  if (typeof task === "string") {
    if (!namedTasks.has(task)) {
      throw new InvalidOptionError(
        "task",
        `Unknown task "${task}". Named tasks are: ${[...namedTasks.keys()].join(", ")}. ` +
          "Or pass a self-contained function instead of a name.",
      );
    }
    return { kind: "named", name: task };
  }
  if (typeof task !== "function") {
    throw new InvalidOptionError("task", `Expected a task name or a function, got ${typeof task}.`);
  }
  const source = sourceText(task, "task", "a worker");
  return { kind: "inline", source, name: task.name || "anonymous function" };
}

/**
 * The worker's side: the function a {@link TaskSpec} names (a named task) or
 * carries (source text, compiled once per text).
 * @throws Error for a name that is not a named task.
 */
export function runnableTask(spec: TaskSpec): CompiledFunction {
  if (spec.kind === "inline") return compileSource(spec.source);
  const task = namedTasks.get(spec.name);
  if (!task) throw new Error(`Unknown task "${spec.name}"`);
  return task;
}

/** The name shown in errors for a task. */
export function taskLabel(spec: TaskSpec): string {
  return spec.name;
}
