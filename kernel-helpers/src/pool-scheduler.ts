/**
 * The engine under {@link Pool}: a fixed number of worker slots and one
 * first-in, first-out queue of jobs (a job is one `applyAsync` call or one
 * chunk of a map). A slot runs one job at a time; when it answers, the next
 * job goes to it. The slot is also where Python's per-worker rules live:
 * the initializer runs first in every new worker, and `maxTasksPerChild`
 * replaces a worker after that many jobs.
 *
 * Cancelling: a job still queued is dropped; a running one is stopped by
 * killing its worker (JavaScript cannot interrupt a function from outside its
 * thread), and a fresh worker takes the slot.
 */
import { InitializerError, TaskCancelledError } from "./errors";
import type { Backend } from "./pool-options";
import { startPoolWorker, type PoolWorkerHandle, type WorkerExit } from "./pool-worker-handle";
import { crashError, rebuildError, taskError, type ReportedError } from "./task-failure";
import type { TaskSpec } from "./task-spec";
import type { WireEnvelope } from "./wire";

/** One call's arguments as they travel: a list, or its envelope (see wire.ts). */
export type WireArgs = unknown[] | WireEnvelope;

/** What a job asks a worker to run: `spec` on each argument list of `argsList`. */
export interface JobRequest {
  spec: TaskSpec;
  argsList: WireArgs[];
  /** A chunk of plain numbers packed by number-chunks.ts, sent instead of `argsList` (which is then empty). */
  numbers?: unknown;
  /** Threads: the ArrayBuffers the message moves; the worker moves the results' back. */
  transferList?: ArrayBuffer[];
  /** Ask the worker to move (threads) or detach (processes) the results' buffers. */
  transferBack: boolean;
}

/** Jobs that are cancelled together: those of one applyAsync, one map, one imap. */
export class JobGroup {
  /** @internal the group's jobs not yet answered */
  readonly jobs = new Set<Job>();
}

/** @internal */
export interface Job {
  readonly id: number;
  readonly request: JobRequest;
  readonly group: JobGroup | undefined;
  resolve(results: unknown): void;
  reject(error: Error): void;
  slot?: Slot;
}

interface Slot {
  worker?: PoolWorkerHandle;
  job?: Job;
  tasksDone: number;
}

/** A message from a pool worker (see workers/pool-worker.ts). */
interface Reply {
  id?: number;
  results?: unknown;
  error?: ReportedError;
  initError?: ReportedError;
}

/** Settings of a {@link WorkerSlots}. */
export interface SlotsOptions {
  backend: Backend;
  workers: number;
  maxTasksPerChild?: number;
  /** Runs first in every new worker. */
  initializer?: { spec: TaskSpec; args: WireArgs };
}

/** The workers and the queue. */
export class WorkerSlots {
  readonly #options: SlotsOptions;
  readonly #slots: Slot[];
  /** Slots with no job, most recently freed last. */
  readonly #free: Slot[];
  /** Jobs waiting for a slot, in submission order (a Set: O(1) removal when cancelled). */
  readonly #queue = new Set<Job>();
  /** Workers being stopped, until they have exited. */
  readonly #exiting = new Set<Promise<void>>();
  #nextId = 1;
  #stopped = false;
  #broken: ((task: string) => InitializerError) | undefined;

  /** Starts every worker at once, as Python does. */
  constructor(options: SlotsOptions) {
    this.#options = options;
    this.#slots = Array.from({ length: options.workers }, () => ({ tasksDone: 0 }));
    for (const slot of this.#slots) this.#spawn(slot);
    this.#free = [...this.#slots].reverse();
  }

  /** The error every task gets once the initializer has failed, else undefined. */
  brokenError(task: string): InitializerError | undefined {
    return this.#broken?.(task);
  }

  /** Queues `request`; resolves with the worker's answer (the results list, or its envelope). */
  submit(request: JobRequest, group?: JobGroup): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const job: Job = { id: this.#nextId++, request, group, resolve, reject };
      const broken = this.brokenError(request.spec.name);
      if (broken || this.#stopped) return reject(broken ?? new TaskCancelledError(request.spec.name));
      group?.jobs.add(job);
      const slot = this.#free.pop();
      if (slot) this.#run(job, slot);
      else this.#queue.add(job);
    });
  }

  /**
   * Cancels the group's jobs with `error`: queued ones are dropped; running
   * ones, when `running` is true, lose their worker (a fresh one takes the
   * slot), else they finish and their answer is ignored.
   */
  cancel(group: JobGroup, error: (task: string) => Error, running: boolean): void {
    // the queued ones first, so that a freed slot cannot pick up one of them
    const cancelled = [...group.jobs].filter((job) => !job.slot || running);
    for (const job of cancelled) {
      group.jobs.delete(job);
      if (!job.slot) this.#queue.delete(job);
    }
    for (const job of cancelled) {
      const slot = job.slot;
      if (slot?.job === job) {
        slot.job = undefined;
        this.#replace(slot);
      }
      job.reject(error(job.request.spec.name));
    }
  }

  /** Live numbers: workers started, busy and idle, jobs waiting. */
  stats(): { totalWorkers: number; busyWorkers: number; idleWorkers: number; pendingTasks: number } {
    const totalWorkers = this.#slots.filter((s) => s.worker).length;
    const busyWorkers = this.#slots.filter((s) => s.job).length;
    return { totalWorkers, busyWorkers, idleWorkers: totalWorkers - busyWorkers, pendingTasks: this.#queue.size };
  }

  /**
   * Stops every worker now. Jobs queued or running reject with `error`
   * (TaskCancelledError for terminate; none are left after a join).
   * Resolves once every worker has exited.
   */
  async stop(error: (task: string) => Error = (task) => new TaskCancelledError(task)): Promise<void> {
    this.#stopped = true;
    this.#failAll(error);
    await Promise.all([...this.#exiting]);
  }

  #failAll(error: (task: string) => Error): void {
    const jobs = [...this.#queue];
    this.#queue.clear();
    for (const slot of this.#slots) {
      if (slot.job) jobs.push(slot.job);
      slot.job = undefined;
      this.#retire(slot);
    }
    for (const job of jobs) {
      job.group?.jobs.delete(job);
      job.reject(error(job.request.spec.name));
    }
  }

  #spawn(slot: Slot): void {
    const worker: PoolWorkerHandle = startPoolWorker(this.#options.backend, {
      message: (message) => this.#onMessage(slot, worker, message as Reply),
      exit: (exit) => this.#onExit(slot, worker, exit),
    });
    slot.worker = worker;
    slot.tasksDone = 0;
    const init = this.#options.initializer;
    if (init) worker.send({ init: init.spec, args: init.args });
  }

  /** Stops the slot's worker (its exit is expected: not a crash). */
  #retire(slot: Slot): void {
    const worker = slot.worker;
    if (!worker) return;
    slot.worker = undefined;
    const exited = worker.kill();
    this.#exiting.add(exited);
    void exited.finally(() => this.#exiting.delete(exited));
  }

  /** A fresh worker for the slot, which then takes the next job. */
  #replace(slot: Slot): void {
    this.#retire(slot);
    if (this.#stopped) return;
    this.#spawn(slot);
    this.#next(slot);
  }

  #run(job: Job, slot: Slot): void {
    slot.job = job;
    job.slot = slot;
    const { spec, argsList, numbers, transferList, transferBack } = job.request;
    try {
      if (!slot.worker) this.#spawn(slot);
      slot.worker!.keepAlive(true);
      slot.worker!.send({ id: job.id, spec, argsList, back: transferBack, ...(numbers !== undefined ? { numbers } : {}) }, transferList);
    } catch (error) {
      // the arguments were checked before, so this is a last resort (a DataCloneError, no thread to start)
      slot.job = undefined;
      job.group?.jobs.delete(job);
      job.reject(error instanceof Error ? error : new Error(String(error)));
      this.#next(slot);
    }
  }

  /** Gives the slot the next queued job, or marks it free (and idle workers let the process exit). */
  #next(slot: Slot): void {
    const job: Job | undefined = this.#queue.values().next().value;
    if (job && !this.#stopped) {
      this.#queue.delete(job);
      this.#run(job, slot);
      return;
    }
    slot.worker?.keepAlive(false);
    if (!this.#free.includes(slot)) this.#free.push(slot);
  }

  #onMessage(slot: Slot, worker: PoolWorkerHandle, reply: Reply): void {
    if (worker !== slot.worker) return; // a stopped worker's last words
    if (reply.initError) return this.#breakPool(reply.initError);
    const job = slot.job;
    if (!job || job.id !== reply.id) return; // the answer to a cancelled job
    slot.job = undefined;
    job.group?.jobs.delete(job);
    if (reply.error) job.reject(taskError(job.request.spec, reply.error));
    else job.resolve(reply.results);
    slot.tasksDone++;
    const limit = this.#options.maxTasksPerChild;
    if (limit !== undefined && slot.tasksDone >= limit) this.#replace(slot);
    else this.#next(slot);
  }

  #onExit(slot: Slot, worker: PoolWorkerHandle, exit: WorkerExit): void {
    if (worker !== slot.worker) return; // stopped on purpose
    slot.worker = undefined; // a new one starts when the slot gets a job
    const job = slot.job;
    if (!job) return;
    slot.job = undefined;
    job.group?.jobs.delete(job);
    job.reject(crashError(job.request.spec, exit));
    this.#next(slot);
  }

  /** The initializer failed: every task, now and later, rejects with InitializerError; the workers stop. */
  #breakPool(reported: ReportedError): void {
    if (this.#broken) return;
    const name = this.#options.initializer!.spec.name;
    const cause = rebuildError(reported);
    this.#broken = (task) => new InitializerError(name, task, cause);
    this.#stopped = true;
    this.#failAll(this.#broken);
  }
}
