/**
 * Which jobs of a {@link ClusterPool} are still out, and how each ended.
 *
 * Results arrive as events on the queue's event stream (read from its very
 * first entry, so an early event cannot be missed), matched to jobs by ids
 * the pool chose before adding them (so a result cannot arrive before its
 * job is known). Every second, jobs out for a while are also looked up in
 * Redis directly: this settles a job whose event was lost, and finds jobs
 * that are no longer there at all (Redis restarted without persistence).
 */
import type { Redis } from "ioredis";
import { JobFailedError, JobLostError, JobStalledError } from "./errors";
import { parseFailedReason, QUEUE_PREFIX, type JobEnvelope } from "./protocol";

/** How one job went, as recorded by its pool. */
export interface JobRecord {
  jobId: string;
  task: string;
  /** Number of calls in the job (1, or a chunk's size). */
  calls: number;
  /** The host that finished it (`hostname:pid`), or null if it failed or was lost. */
  host: string | null;
  /** How many times it was started (1 = once; more = it was re-run after a stall). */
  attempt: number;
  /** When the pool submitted it and when the result arrived (`Date.now()` ms). */
  submittedAtMs: number;
  settledAtMs: number;
  /** When the host started and finished the task in the run that counted (epoch ms, with a fraction), or null. */
  startedAtMs: number | null;
  finishedAtMs: number | null;
  /** `"completed"`, `"failed"`, `"stalled"`, `"lost"` or `"cancelled"`. */
  outcome: "completed" | "failed" | "stalled" | "lost" | "cancelled";
}

interface Pending {
  task: string;
  calls: number;
  submittedAtMs: number;
  /** Added to Redis (only then can it be looked up). */
  added: boolean;
  resolve: (envelope: JobEnvelope) => void;
  reject: (error: Error) => void;
}

const STALLED_REASON = /stalled more than allowable limit/;
const CHECK_EVERY_MS = 1_000;
const CHECK_AFTER_MS = 1_500;
const CHECK_AT_MOST = 500;

/** @internal The bookkeeping of one pool's jobs. */
export class JobTracker {
  readonly records: JobRecord[] = [];
  /** Jobs taken back from a host that stopped renewing their lock, to be run again. */
  stalls = 0;
  readonly #pending = new Map<string, Pending>();
  readonly #timer: NodeJS.Timeout;
  #checking = false;

  constructor(
    private readonly client: Redis,
    private readonly queueName: string,
  ) {
    this.#timer = setInterval(() => void this.#check(), CHECK_EVERY_MS);
    this.#timer.unref();
  }

  /** Jobs submitted and not settled yet. */
  get size(): number {
    return this.#pending.size;
  }

  /** Registers a job before it is added; the promise settles with its envelope or a named error. */
  expect(jobId: string, task: string, calls: number): Promise<JobEnvelope> {
    return new Promise((resolve, reject) => {
      this.#pending.set(jobId, { task, calls, submittedAtMs: Date.now(), added: false, resolve, reject });
    });
  }

  /** The jobs are in Redis now. */
  added(jobIds: string[]): void {
    for (const id of jobIds) {
      const pending = this.#pending.get(id);
      if (pending) pending.added = true;
    }
  }

  completed(jobId: string, envelope: JobEnvelope): void {
    const pending = this.#take(jobId);
    if (!pending) return;
    this.#record(jobId, pending, "completed", envelope);
    pending.resolve(envelope);
  }

  failed(jobId: string, failedReason: string): void {
    const pending = this.#take(jobId);
    if (!pending) return;
    if (STALLED_REASON.test(failedReason)) {
      this.#record(jobId, pending, "stalled");
      pending.reject(new JobStalledError(pending.task, jobId));
      return;
    }
    const { name, message } = parseFailedReason(failedReason);
    this.#record(jobId, pending, "failed");
    pending.reject(new JobFailedError(pending.task, jobId, name, message));
  }

  /** Settles one job with `error`. */
  reject(jobId: string, error: Error, outcome: JobRecord["outcome"]): void {
    const pending = this.#take(jobId);
    if (!pending) return;
    this.#record(jobId, pending, outcome);
    pending.reject(error);
  }

  /** Settles every job still out with `error` (the pool was terminated, or Redis is gone). */
  rejectAll(error: (task: string, jobId: string) => Error, outcome: JobRecord["outcome"]): void {
    for (const [jobId, pending] of [...this.#pending]) this.reject(jobId, error(pending.task, jobId), outcome);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #take(jobId: string): Pending | undefined {
    const pending = this.#pending.get(jobId);
    this.#pending.delete(jobId);
    return pending;
  }

  #record(jobId: string, p: Pending, outcome: JobRecord["outcome"], envelope?: JobEnvelope): void {
    this.records.push({
      jobId, task: p.task, calls: p.calls, host: envelope?.host ?? null, attempt: envelope?.attempt ?? 0,
      submittedAtMs: p.submittedAtMs, settledAtMs: Date.now(),
      startedAtMs: envelope?.startedAtMs ?? null, finishedAtMs: envelope?.finishedAtMs ?? null, outcome,
    });
  }

  /** Looks up jobs out for a while in Redis: finished ones settle, missing ones are lost. */
  async #check(): Promise<void> {
    if (this.#checking || this.client.status !== "ready") return;
    const now = Date.now();
    const due = [...this.#pending].filter(([, p]) => p.added && now - p.submittedAtMs > CHECK_AFTER_MS).slice(0, CHECK_AT_MOST);
    if (due.length === 0) return;
    this.#checking = true;
    try {
      const pipeline = this.client.pipeline();
      for (const [id] of due) {
        const key = `${QUEUE_PREFIX}:${this.queueName}:${id}`;
        pipeline.exists(key).hmget(key, "finishedOn", "returnvalue", "failedReason");
      }
      const replies = await pipeline.exec();
      if (!replies || replies.some(([error]) => error)) return; // Redis busy loading, or gone: try again later
      due.forEach(([id], i) => {
        const exists = replies[2 * i]![1] as number;
        const [finishedOn, returnvalue, failedReason] = replies[2 * i + 1]![1] as (string | null)[];
        if (!exists) {
          this.reject(id, new JobLostError(this.#pending.get(id)?.task ?? "?", id), "lost");
        } else if (finishedOn && returnvalue !== null && returnvalue !== undefined) {
          this.completed(id, JSON.parse(returnvalue) as JobEnvelope);
        } else if (finishedOn && failedReason) {
          this.failed(id, failedReason);
        }
      });
    } catch {
      // a lost connection: the next round tries again
    } finally {
      this.#checking = false;
    }
  }
}
