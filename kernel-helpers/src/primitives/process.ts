/**
 * `Process`: one worker you start yourself, like Python's
 * `multiprocessing.Process`: a child process (a new Node process, the
 * default) or a worker thread, running a target with arguments. Results come
 * back through a {@link Queue}; a crash is reported by `join()` with its cause.
 */
import type { ChildProcess } from "node:child_process";
import path from "node:path";
import type { Worker } from "node:worker_threads";
import { registerResource, unregisterResource } from "./cleanup";
import { InvalidOptionError, ProtocolError } from "./errors";
import { startProcessWorker } from "../transport/process-channel";
import { referencedQueueIds, type FromWorker, type TargetSpec, type ToWorker } from "../transport/process-protocol";
import { encodeArgs } from "../transport/encode-args";
import { malformedQueueMessage, QueueClient } from "../transport/queue-service";
import { checkBoolean, checkKnownOptions } from "./known-options";
import { toTaskSpec } from "../transport/task-spec";
import type { TaskName, Tasks } from "../tasks";
import { checkChoice, checkInteger, describeValue } from "./validate";
import { BACKENDS, type Backend } from "./pool";

/** A target in a module file: `{ module: "/abs/path/job.js", exportName: "run" }`. */
export interface ModuleTarget {
  /** Path of a CommonJS module (absolute, or relative to the current directory). */
  module: string;
  /** Name of the exported function. Default `"default"`. */
  exportName?: string;
}

/** Options of {@link Process}, typed by the target's parameters for named tasks. */
export type ProcessOptions<A extends unknown[] = unknown[]> = {
  /** `"process"` (default, like Python) or `"thread"`. */
  backend?: Backend;
  /** Name shown in messages and traces. Default `Process-<n>`. */
  name?: string;
  /** The target's arguments; a {@link Queue} in them arrives in the worker as a proxy. */
  args?: A;
};

/** Options of {@link Process.join}. */
export interface ProcessJoinOptions {
  /**
   * Stop waiting after this many milliseconds: `join` then resolves `false`
   * and the worker keeps running. Default: wait until it ends.
   * @example await p.join({ timeoutMs: 10_000 }) // Python: p.join(10)
   */
  timeoutMs?: number;
  /**
   * Reject with {@link ProcessFailedError} when the worker failed. Default
   * `true`. With `false`, `join` resolves `true` once the worker ended,
   * however it ended, and `exitCode`, `signal` and `failure` say how: Python's
   * `p.join(); p.exitcode`.
   * @example await p.join({ throwOnFailure: false }); console.log(p.exitCode);
   */
  throwOnFailure?: boolean;
}

const PROCESS_OPTIONS = ["target", "args", "backend", "name"];

/** A process (or thread) failed: an uncaught error, a non-zero exit, or a signal. */
export class ProcessFailedError extends Error {
  override name = "ProcessFailedError";
  constructor(
    /** The process's name. */
    readonly processName: string,
    /** What happened, in words. */
    readonly reason: string,
    /** Exit code (null if killed by a signal). */
    readonly exitCode: number | null,
    /** Signal that killed it, if any. */
    readonly signal: NodeJS.Signals | null,
    /** The error thrown in the worker, with its stack, if it threw. */
    readonly workerError?: { name: string; message: string; stack?: string },
    /** Queue items it had taken and not finished (see `Queue`): not re-queued. */
    readonly orphanedItems: { queue: string; item: unknown }[] = [],
  ) {
    super(
      `${processName} failed: ${reason}` +
        (orphanedItems.length
          ? `\nIt had taken ${orphanedItems.length} queue item(s) it did not finish: ` +
            orphanedItems.map((o) => `${JSON.stringify(o.item)} from "${o.queue}"`).join(", ") +
            ". They are in each queue's `orphans`; `queue.requeueOrphans()` puts them back."
          : ""),
    );
    if (workerError?.stack) this.stack = `${this.name}: ${this.message}\n--- inside the worker ---\n${workerError.stack}`;
  }
}

let processCount = 0;

/**
 * A worker you start yourself: a child process or a worker thread.
 *
 * @example
 * const results = new Queue<[number, number]>();
 * const workers = [1, 2].map((id) => new Process({ target: "sumRandomNumbersToQueue", args: [id, 1e6, results] }).start());
 * const got = [await results.get(), await results.get()];   // read before (or after) join: no deadlock here
 * await Promise.all(workers.map((p) => p.join()));
 */
export class Process {
  /** Shown in messages and errors (Python: `Process.name`); default `Process-<n>`. */
  readonly name: string;
  /** Where the target runs: `"process"` (a child process, as Python's) or `"thread"` (a worker thread). */
  readonly backend: Backend;
  readonly #target: TargetSpec;
  readonly #args: unknown[];
  /** This worker as a consumer of the owner's queues (the queues in its arguments are held while it may use them). */
  readonly #queueClient: QueueClient;
  #child?: ChildProcess;
  #thread?: Worker;
  #exitCode: number | null = null;
  #signal: NodeJS.Signals | null = null;
  #state: "created" | "running" | "exited" = "created";
  #killedByUser = false;
  #workerError?: { name: string; message: string; stack?: string };
  #failure?: ProcessFailedError;
  #exited!: Promise<void>;

  /**
   * @param options - `target` (a named task, a self-contained function, or a
   *   `{ module, exportName }`), `args`, `backend` and `name`.
   * @throws InvalidOptionError for a bad target or backend or an unknown option, and its subclass
   *   UnsendableValueError for arguments that cannot be sent, naming the path
   *   (`args[1].callback`).
   */
  constructor(options: ProcessOptions & { target: TaskName | ((...args: never[]) => unknown) | ModuleTarget });
  constructor(options: ProcessOptions & { target: TaskName | ((...args: never[]) => unknown) | ModuleTarget }) {
    checkKnownOptions(options, PROCESS_OPTIONS, "`new Process`");
    this.backend = checkChoice("`backend`", options.backend ?? "process", BACKENDS);
    this.name = options.name ?? `Process-${++processCount}`;
    if (typeof this.name !== "string" || this.name === "") throw new InvalidOptionError("`name`", "Expected `name` to be a non-empty string.");
    this.#target = toTarget(options.target);
    const args = options.args ?? [];
    if (!Array.isArray(args)) throw new InvalidOptionError("`args`", "Expected `args` to be an array of the target's arguments.");
    this.#queueClient = new QueueClient(this.name);
    // What a worker thread receives is a structured clone; a child process
    // gets a v8-serialised copy, which cannot carry shared memory.
    this.#args = encodeArgs(args, { sharedMemory: this.backend === "thread", to: this.name });
    this.#queueClient.hold(referencedQueueIds(this.#args));
  }

  /** Process id of the child (for a thread: this process's pid); undefined before start. */
  get pid(): number | undefined {
    return this.#child?.pid ?? (this.#thread ? process.pid : undefined);
  }
  /** Thread id for the thread backend; undefined otherwise. */
  get threadId(): number | undefined {
    return this.#thread?.threadId;
  }
  /**
   * Exit code once it has ended, as Python's `exitcode`: 0 after a normal
   * end, 1 if the target threw, N after `process.exit(N)`. Null while
   * running, and when a signal killed it (Python says -N there; `signal`
   * names it here). A thread stopped by {@link Process.kill} or
   * {@link Process.terminate} has no signal and reports 1, Node's code for a
   * stopped worker thread, even when it was stopped before it ran (Node says
   * 0 then); `failure` stays undefined, as the stop was asked for.
   */
  get exitCode(): number | null {
    return this.#exitCode;
  }
  /** The signal that ended it, if any. */
  get signal(): NodeJS.Signals | null {
    return this.#signal;
  }
  /**
   * Why it failed, once it has ended: what `join()` rejects with by default.
   * Undefined while running, after a normal end, and after {@link Process.kill}.
   */
  get failure(): ProcessFailedError | undefined {
    return this.#failure;
  }
  /** True between start() and the end of the worker. */
  isAlive(): boolean {
    return this.#state === "running";
  }

  /**
   * Starts the worker (once). Returns `this`, so `new Process(...).start()` chains.
   * @throws Error if already started.
   */
  start(): this {
    if (this.#state !== "created") throw new Error(`${this.name} was already started; create a new Process to run again.`);
    this.#state = "running";
    const entry = path.join(__dirname, "..", "transport", "workers", "process-entry.js");
    let resolveExit!: () => void;
    this.#exited = new Promise((resolve) => (resolveExit = resolve));
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      this.#exitCode = code;
      this.#signal = signal;
      this.#state = "exited";
      this.#settle();
      unregisterResource(this);
      resolveExit();
    };
    ({ child: this.#child, thread: this.#thread } = startProcessWorker(this.backend, entry, {
      message: (message, send) => this.#onMessage(message, send),
      broken: (error) => this.#channelFailed(new ProtocolError(`${this.name} broke the message channel: ${error.message} It was stopped.`)),
      threadError: (error) => (this.#workerError ??= { name: error.name, message: error.message, stack: error.stack }),
      // Node reports 0 for a thread stopped before it ran any code, 1 after: a stop we asked for is 1 either way, never a normal end's 0.
      exit: (code, signal) => onExit(this.#thread && this.#killedByUser && code === 0 ? 1 : code, signal),
    }));
    registerResource(this);
    return this;
  }

  /**
   * Waits for the worker to end. Resolves `true` when it ended, `false` if
   * `timeoutMs` passed first (it keeps running). By default rejects with
   * {@link ProcessFailedError} if it threw, exited non-zero or was killed by a
   * signal it did not get from {@link Process.kill}; with `throwOnFailure:
   * false` it resolves instead, and `exitCode`, `signal` and `failure` tell.
   * @param options - {@link ProcessJoinOptions}, or a timeout in ms (`join(5_000)`).
   * @example
   * await p.join({ throwOnFailure: false }); // Python: p.join()
   * console.log(p.exitCode, p.failure?.message); // Python: p.exitcode
   */
  async join(options?: number | ProcessJoinOptions): Promise<boolean> {
    const { timeoutMs, throwOnFailure } = checkJoinOptions(options);
    if (this.#state === "created") throw new Error(`${this.name} was not started: call start() first.`);
    if (timeoutMs !== undefined) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        this.#exited.then(() => false),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs))),
      ]);
      clearTimeout(timer);
      if (timedOut) return false;
    }
    await this.#exited;
    if (this.#failure && throwOnFailure) throw this.#failure;
    return true;
  }

  /**
   * Stops the worker: a signal for a child process (default SIGTERM), `terminate()` for a thread.
   * `join()` then resolves (the stop was asked for); items it held become orphans.
   */
  kill(signal: NodeJS.Signals = "SIGTERM"): void {
    if (this.#state !== "running") return;
    this.#killedByUser = true;
    if (this.#child) this.#child.kill(signal);
    else void this.#thread?.terminate();
  }

  /** Kills the worker if running and waits for it to end (for clean-up registries). */
  async terminate(): Promise<void> {
    if (this.#state === "created") return;
    this.kill("SIGKILL");
    await this.#exited;
  }

  /**
   * Stops the worker after a failure of the channel itself (a malformed
   * message, or a reply that could not be sent): recorded as its failure, so
   * join() reports it; the notebook and the other workers carry on.
   */
  #channelFailed(error: Error): void {
    this.#workerError ??= { name: error.name, message: error.message };
    if (this.#child) this.#child.kill("SIGKILL");
    else void this.#thread?.terminate();
  }

  #onMessage(received: unknown, send: (message: ToWorker) => void): void {
    const problem = malformed(received);
    if (problem) return this.#channelFailed(new ProtocolError(`${this.name} sent a malformed message (${problem}); it was stopped.`));
    const message = received as FromWorker;
    // A send that throws here would be an uncaught exception in the notebook's kernel.
    const reply = (r: ToWorker): void => {
      try {
        send(r);
      } catch (error) {
        this.#channelFailed(new ProtocolError(`could not send to ${this.name}: ${(error as Error).message}`));
      }
    };
    if (message.kind === "ready") {
      reply({ kind: "start", target: this.#target, args: this.#args, name: this.name });
    } else if (message.kind === "failed") {
      this.#workerError = message.error;
    } else if (message.kind === "request") {
      this.#queueClient.take(message, reply);
    }
  }

  /** Records the outcome and tells the queues whether this consumer ended normally. */
  #settle(): void {
    const normal = this.#exitCode === 0 && !this.#workerError;
    const orphaned = this.#queueClient.ended(normal);
    if (normal || this.#killedByUser) return;
    const reason = this.#workerError
      ? `its target threw ${this.#workerError.name}: ${this.#workerError.message}`
      : this.#signal
        ? `it was killed by signal ${this.#signal}`
        : `it exited with code ${this.#exitCode}`;
    this.#failure = new ProcessFailedError(this.name, reason, this.#exitCode, this.#signal, this.#workerError, orphaned);
  }
}

/** Checks the options of {@link Process.join}: `{ timeoutMs, throwOnFailure }` or a timeout in ms. */
function checkJoinOptions(options: unknown): { timeoutMs: number | undefined; throwOnFailure: boolean } {
  const o = typeof options === "number" ? { timeoutMs: options } : checkKnownOptions(options, ["timeoutMs", "throwOnFailure"], "`join`");
  const timeoutMs = o.timeoutMs === undefined ? undefined : checkInteger("`timeoutMs`", o.timeoutMs, { min: 0, max: 2 ** 31 - 1 });
  return { timeoutMs, throwOnFailure: checkBoolean("`throwOnFailure`", o.throwOnFailure, true) };
}

/** What is wrong with a message from a worker, or undefined if it is well formed. */
function malformed(message: unknown): string | undefined {
  if (typeof message !== "object" || message === null) return `not an object: ${typeof message}`;
  const m = message as Record<string, unknown>;
  if (m.kind === "ready") return undefined;
  if (m.kind === "failed") {
    const e = m.error as Record<string, unknown> | null;
    return typeof e === "object" && e !== null && typeof e.name === "string" && typeof e.message === "string" ? undefined : "a failure without name and message";
  }
  if (m.kind === "request") return malformedQueueMessage(m);
  return `unknown kind ${describeValue(m.kind)}`;
}

function toTarget(target: unknown): TargetSpec {
  if (typeof target === "object" && target !== null && "module" in target) {
    const { module, exportName = "default" } = target as ModuleTarget;
    if (typeof module !== "string" || module === "") throw new InvalidOptionError("`target.module`", "Expected a module path.");
    return { kind: "module", path: path.resolve(module), exportName, name: `${path.basename(module)}#${exportName}` };
  }
  return toTaskSpec(target);
}

/** Arguments of a named task, for typing `args` (re-exported for convenience). */
export type ProcessTaskArgs<K extends TaskName> = Parameters<Tasks[K]>;
