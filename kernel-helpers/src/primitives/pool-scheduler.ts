/**
 * The engine under {@link Pool}: a fixed number of worker slots and one
 * first-in, first-out queue of jobs (a job is one `applyAsync` call or one
 * chunk of a map). A worker runs its jobs one at a time, in order, and
 * answers each. The slot is also where Python's per-worker rules live: the
 * initializer runs first in every new worker, and `maxTasksPerChild`
 * replaces a worker after that many jobs.
 *
 * Quick jobs are sent ahead, several in one message. A slot measures how
 * long its jobs take; while that is under {@link QUICK_JOB_MS}, it holds up
 * to {@link MAX_AHEAD} jobs and is topped up, in one message, when half of
 * them are answered. Without this a worker sits idle for every round trip to
 * the pool's event loop, and that loop pays a message (a system call, for a
 * process) per job, which is what limited trivial tasks to about Python's
 * rate or below. Jobs that take longer go one at a time, so no worker holds
 * work another idle worker could take; a pool of one worker, which has no
 * other, holds the next one too.
 *
 * Cancelling: a job still queued is dropped; a running one is stopped by
 * killing its worker (JavaScript cannot interrupt a function from outside its
 * thread), and a fresh worker takes the slot; jobs that were sent ahead to
 * that worker go back to the front of the queue. A job sent ahead behind one
 * that is not cancelled is dropped by its worker: the pool tells it
 * (`{ drop: ids }`), and a worker reads its messages before each job once a
 * job has kept it busy for a millisecond or more (workers/pool-worker.ts), so
 * the job does not start. Only a job that had started (or was about to, within
 * that millisecond) runs on, its answer ignored.
 */
import { InitializerError, TaskCancelledError } from "./errors";
import type { Backend } from "./pool-options";
import { startPoolWorker, type PoolWorkerHandle, type WorkerExit } from "../transport/pool-worker-handle";
import { crashError, rebuildError, taskError, type ReportedError } from "../transport/task-failure";
import type { TaskSpec } from "../transport/task-spec";
import type { WireEnvelope } from "../transport/wire";

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
  /** Jobs sent to the worker and not answered yet, in the order it runs them: the first is running. */
  jobs: Job[];
  tasksDone: number;
  /** Recent time per job in this worker, in ms, as the worker measured it (a moving average); Infinity until one is measured. */
  serviceMs: number;
}

/** A job that took less than this (ms) makes its worker one that is sent jobs ahead. */
export const QUICK_JOB_MS = 1;
/** The most jobs a quick worker holds at once. */
export const MAX_AHEAD = 32;

/** @internal How many messages carried more than one job, and how many jobs they carried (for tests). */
export const sentAhead = { batches: 0, jobs: 0 };

/**
 * @internal The bound {@link QUICK_JOB_MS} as the scheduler reads it. Tests that need jobs sent ahead
 * raise it to Infinity, so that a worker the machine slowed for a moment still counts as quick.
 */
export const quickness = { jobMs: QUICK_JOB_MS };

/** A message from a pool worker (see workers/pool-worker.ts). */
interface Reply {
  id?: number;
  results?: unknown;
  error?: ReportedError;
  /** How long the job took in the worker (ms). */
  ms?: number;
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
  /** Jobs waiting for a slot, in submission order (a Set: O(1) removal when cancelled). */
  #queue = new Set<Job>();
  /** True while a flush of the queue is scheduled (jobs submitted in one turn of the event loop go out together). */
  #flushing = false;
  /** Workers being stopped, until they have exited. */
  readonly #exiting = new Set<Promise<void>>();
  #nextId = 1;
  #stopped = false;
  #broken: ((task: string) => InitializerError) | undefined;

  /** Starts every worker at once, as Python does. */
  constructor(options: SlotsOptions) {
    this.#options = options;
    this.#slots = Array.from({ length: options.workers }, () => ({ jobs: [], tasksDone: 0, serviceMs: Infinity }));
    for (const slot of this.#slots) this.#spawn(slot);
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
      this.#queue.add(job);
      if (!this.#flushing) {
        this.#flushing = true;
        queueMicrotask(() => this.#flush());
      }
    });
  }

  /**
   * Cancels the group's jobs with `error`: queued ones are dropped, and so
   * are those sent ahead (their worker is told); running ones, when `running`
   * is true, lose their worker (a fresh one takes the slot), else they
   * finish and their answer is ignored.
   */
  cancel(group: JobGroup, error: (task: string) => Error, running: boolean): void {
    // a job counts as running when its worker has started it (the first of the slot's jobs)
    const cancelled = [...group.jobs].filter((job) => !job.slot || running || job.slot.jobs[0] !== job);
    const restart = new Set<Slot>();
    /** Jobs sent ahead to a worker that keeps running: it is told not to start them. */
    const drops = new Map<Slot, number[]>();
    // every cancelled job leaves the queue and the slots first, so that a freed slot cannot pick one up
    for (const job of cancelled) {
      group.jobs.delete(job);
      const slot = job.slot;
      if (!slot) {
        this.#queue.delete(job);
        continue;
      }
      if (slot.jobs[0] === job) restart.add(slot);
      else drops.set(slot, [...(drops.get(slot) ?? []), job.id]);
      slot.jobs.splice(slot.jobs.indexOf(job), 1);
      job.slot = undefined;
    }
    for (const [slot, ids] of drops) if (!restart.has(slot)) slot.worker?.drop(ids);
    for (const slot of restart) {
      this.#requeue(slot);
      this.#replace(slot);
    }
    for (const job of cancelled) job.reject(error(job.request.spec.name));
    this.#flush();
  }

  /** Live numbers: workers started, busy and idle, jobs waiting. */
  stats(): { totalWorkers: number; busyWorkers: number; idleWorkers: number; pendingTasks: number } {
    const totalWorkers = this.#slots.filter((s) => s.worker).length;
    const busyWorkers = this.#slots.filter((s) => s.jobs.length > 0).length;
    const sentAhead = this.#slots.reduce((sum, s) => sum + Math.max(0, s.jobs.length - 1), 0);
    return { totalWorkers, busyWorkers, idleWorkers: totalWorkers - busyWorkers, pendingTasks: this.#queue.size + sentAhead };
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
      jobs.push(...slot.jobs);
      slot.jobs = [];
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
    slot.serviceMs = Infinity;
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

  /** A fresh worker for the slot, which then takes the next jobs. */
  #replace(slot: Slot): void {
    this.#retire(slot);
    if (this.#stopped) return;
    this.#spawn(slot);
    this.#fill(slot);
  }

  /** The slot's jobs not yet started go back to the front of the queue, in their order. */
  #requeue(slot: Slot): void {
    const waiting = slot.jobs;
    slot.jobs = [];
    for (const job of waiting) job.slot = undefined;
    if (waiting.length > 0) this.#queue = new Set([...waiting, ...this.#queue]);
  }

  /**
   * Hands queued jobs out: to idle workers first, then to quick ones with
   * room, each at most its share of what was queued when the flush began
   * (4 jobs on 2 idle quick workers: 2 each, not 2, then 1, then the last to
   * the first again).
   */
  #flush(): void {
    this.#flushing = false;
    const share = Math.ceil(this.#queue.size / this.#slots.length);
    for (const idle of [true, false]) {
      for (const slot of this.#slots) {
        if (this.#queue.size === 0 || this.#stopped) return;
        if ((slot.jobs.length === 0) === idle) this.#fill(slot, share);
      }
    }
  }

  /**
   * How many jobs the slot may hold: many for a quick worker, else one, or
   * two in a pool of one worker (and never past maxTasksPerChild). With no
   * other worker to take it, the next job waits at the worker, which starts
   * it as soon as it answers the one before, instead of a round trip later.
   */
  #depth(slot: Slot): number {
    const depth = slot.serviceMs < quickness.jobMs ? MAX_AHEAD : this.#slots.length === 1 ? 2 : 1;
    const limit = this.#options.maxTasksPerChild;
    return limit === undefined ? depth : Math.min(depth, limit - slot.tasksDone);
  }

  /**
   * Tops the slot up from the queue once half of what it may hold is
   * answered, in one message, taking no more than its fair share of the
   * queue (so two jobs go to two idle workers, not both to one); marks it
   * idle when nothing is left.
   */
  #fill(slot: Slot, share = Math.ceil(this.#queue.size / this.#slots.length)): void {
    const depth = this.#depth(slot);
    const take = slot.jobs.length > depth / 2 || this.#stopped ? 0 : Math.min(depth - slot.jobs.length, share);
    if (take <= 0) {
      if (slot.jobs.length === 0) slot.worker?.keepAlive(false);
      return;
    }
    const batch: Job[] = [];
    for (const job of this.#queue) {
      batch.push(job);
      if (batch.length === take) break;
    }
    for (const job of batch) this.#queue.delete(job);
    if (!slot.worker) this.#spawn(slot);
    slot.worker!.keepAlive(true);
    this.#send(slot, batch);
  }

  /** Sends the jobs to the slot's worker: one message, or a `batch` of them. */
  #send(slot: Slot, batch: Job[]): void {
    for (const job of batch) {
      job.slot = slot;
      slot.jobs.push(job);
    }
    const message = (job: Job): object => {
      const { spec, argsList, numbers, transferBack } = job.request;
      return { id: job.id, spec, argsList, back: transferBack, ...(numbers !== undefined ? { numbers } : {}) };
    };
    try {
      if (batch.length === 1) slot.worker!.send(message(batch[0]!), batch[0]!.request.transferList);
      else {
        slot.worker!.send({ batch: batch.map(message) }, batch.flatMap((job) => job.request.transferList ?? []));
        sentAhead.batches++;
        sentAhead.jobs += batch.length;
      }
    } catch (error) {
      // the arguments were checked before, so this is a last resort (a DataCloneError, no thread to start)
      if (batch.length > 1) {
        // one job's arguments may be the cause: send them one by one, so only that one fails
        for (const job of batch) slot.jobs.splice(slot.jobs.indexOf(job), 1);
        for (const job of batch) this.#send(slot, [job]);
        return;
      }
      const job = batch[0]!;
      slot.jobs.splice(slot.jobs.indexOf(job), 1);
      job.slot = undefined;
      job.group?.jobs.delete(job);
      job.reject(error instanceof Error ? error : new Error(String(error)));
      this.#fill(slot);
    }
  }

  #onMessage(slot: Slot, worker: PoolWorkerHandle, reply: Reply): void {
    if (worker !== slot.worker) return; // a stopped worker's last words
    if (reply.initError) return this.#breakPool(reply.initError);
    slot.tasksDone++;
    const index = slot.jobs.findIndex((job) => job.id === reply.id);
    if (index >= 0) {
      // the answer to a cancelled job is ignored; its time still counts
      const [job] = slot.jobs.splice(index, 1) as [Job];
      job.slot = undefined;
      job.group?.jobs.delete(job);
      if (reply.error) job.reject(taskError(job.request.spec, reply.error));
      else job.resolve(reply.results);
    }
    // the worker's own time: a round trip's wait in this event loop is not the job's
    const ms = typeof reply.ms === "number" ? reply.ms : Infinity;
    slot.serviceMs = slot.serviceMs === Infinity ? ms : 0.7 * slot.serviceMs + 0.3 * ms;
    const limit = this.#options.maxTasksPerChild;
    if (limit !== undefined && slot.tasksDone >= limit) this.#replace(slot);
    else this.#fill(slot);
  }

  #onExit(slot: Slot, worker: PoolWorkerHandle, exit: WorkerExit): void {
    if (worker !== slot.worker) return; // stopped on purpose
    slot.worker = undefined; // a new one starts when the slot gets a job
    const job = slot.jobs.shift();
    // the jobs sent ahead never started: they go back to the queue
    this.#requeue(slot);
    if (job) {
      job.slot = undefined;
      job.group?.jobs.delete(job);
      job.reject(crashError(job.request.spec, exit));
    }
    this.#fill(slot);
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
