/**
 * What travels through Redis between a {@link ClusterPool} and the worker
 * hosts: the job's data (a task name and argument lists, as JSON), the
 * result envelope, the tasks a host may run, and the keys both sides use.
 * The host checks every job here before running anything.
 */
import { leibnizPi, leibnizPiArrays, leibnizPiById } from "../tasks/leibniz";
import { integratePolynomial } from "../tasks/integrate";
import { monteCarloPi, sumRandomNumbers } from "../tasks/random";
import { echo, sleep, spin, whoAmI } from "../tasks/trivial";
import { TaskSourceRefusedError, UnknownTaskError } from "./errors";

/**
 * The named tasks a worker host runs: the library's tasks whose arguments
 * and results are plain JSON (tasks that need a Queue, a Manager or a local
 * pool stay on one machine). A job naming anything else is refused.
 */
export const CLUSTER_TASKS = {
  leibnizPi,
  leibnizPiById,
  leibnizPiArrays,
  integratePolynomial,
  sumRandomNumbers,
  monteCarloPi,
  echo,
  sleep,
  spin,
  whoAmI,
};

/** The table of tasks worker hosts run. */
export type ClusterTasks = typeof CLUSTER_TASKS;
/** The name of a task worker hosts run. */
export type ClusterTaskName = keyof ClusterTasks;

/** A job's data: one task and one argument list per call (a chunk of a map is several calls). */
export interface JobData {
  task: string;
  calls: unknown[][];
}

/** What a host returns for a job: the results, and who ran it when. */
export interface JobEnvelope {
  results: unknown[];
  /** The host's id, `hostname:pid`. */
  host: string;
  /** How many times this job has been started, this run included (1 = first try). */
  attempt: number;
  /** Wall-clock start and end of the task's run on the host, epoch ms (with a fraction). */
  startedAtMs: number;
  finishedAtMs: number;
}

/** Prefix of every key the cluster pool and its hosts write. */
export const KEY_PREFIX = "kh";
/** Sorted set: announced queue names, scored by when their announcement expires (ms). */
export const ANNOUNCED_QUEUES_KEY = `${KEY_PREFIX}:queues`;
/** Hash: host id → JSON {@link HostInfo}, refreshed every second by each host. */
export const HOSTS_KEY = `${KEY_PREFIX}:hosts`;
/** BullMQ's key prefix for our queues. */
export const QUEUE_PREFIX = `${KEY_PREFIX}:q`;
/** A host whose entry is older than this is taken for dead. */
export const HOST_STALE_MS = 5_000;

/** A worker host as it describes itself in Redis. */
export interface HostInfo {
  id: string;
  hostname: string;
  pid: number;
  /** Jobs it runs at a time, per queue. */
  concurrency: number;
  /** Whether tasks run in worker threads (true) or on the host's own event loop. */
  sandboxed: boolean;
  /** The queues it serves now. */
  queues: string[];
  /** Whether it serves every announced queue (false: one queue named at its start). */
  announced: boolean;
  /** When it last wrote this entry (`Date.now()` ms). */
  seenAtMs: number;
}

/** Keys that look like code travelling where a name should. */
const SOURCE_KEYS = ["source", "code", "fn", "function", "script", "eval"];
/** A task name is an identifier; anything else (arrows, parentheses, spaces) is not a name. */
const IDENTIFIER = /^[A-Za-z_$][\w$]{0,99}$/;

/**
 * Checks a job's data before a host runs it, and returns it typed.
 * @throws TaskSourceRefusedError if the job carries source text (a `source`
 *   field, or a task "name" that is code).
 * @throws UnknownTaskError if the task is not in {@link CLUSTER_TASKS}, or the
 *   data is not `{ task, calls }`.
 */
export function checkJobData(data: unknown): { task: ClusterTaskName; calls: unknown[][] } {
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new UnknownTaskError(`A job's data must be { task, calls }; got ${Array.isArray(data) ? "an array" : typeof data}.`);
  }
  const record = data as Record<string, unknown>;
  const sourceKey = Object.keys(record).find((k) => SOURCE_KEYS.includes(k.toLowerCase()));
  if (sourceKey !== undefined || typeof record["task"] === "function") {
    throw new TaskSourceRefusedError(
      `This job carries function source text (\`${sourceKey ?? "task"}\`): worker hosts run named tasks only, ` +
        `never code sent through Redis. Named tasks: ${Object.keys(CLUSTER_TASKS).join(", ")}.`,
    );
  }
  const task = record["task"];
  if (typeof task === "string" && !IDENTIFIER.test(task.trim())) {
    throw new TaskSourceRefusedError(
      `This job's task is not a name but text that looks like code (${JSON.stringify(task.slice(0, 60))}): ` +
        "worker hosts run named tasks only, never code sent through Redis.",
    );
  }
  if (typeof task !== "string" || !Object.prototype.hasOwnProperty.call(CLUSTER_TASKS, task)) {
    throw new UnknownTaskError(
      `Unknown task ${JSON.stringify(task)}: worker hosts run only these named tasks: ${Object.keys(CLUSTER_TASKS).join(", ")}.`,
    );
  }
  const extra = Object.keys(record).filter((k) => k !== "task" && k !== "calls");
  if (extra.length > 0 || !Array.isArray(record["calls"]) || !record["calls"].every((c) => Array.isArray(c))) {
    throw new UnknownTaskError(`A job's data must be exactly { task, calls: [[...args], ...] }; got keys ${Object.keys(record).join(", ")}.`);
  }
  return { task: task as ClusterTaskName, calls: record["calls"] as unknown[][] };
}

/**
 * Runs every call of a checked job and wraps the results; what the sandboxed
 * processor and an in-process host both do.
 */
export async function runJob(
  data: unknown,
  job: { attemptsStarted?: number; attemptsMade?: number },
  host: string,
): Promise<JobEnvelope> {
  // epoch ms with a fraction: performance.now() is finer than Date.now(), and timeOrigin makes it comparable across processes
  const now = (): number => performance.timeOrigin + performance.now();
  const startedAtMs = now();
  const { task, calls } = checkJobData(data);
  const fn = CLUSTER_TASKS[task] as (...args: unknown[]) => unknown;
  const results: unknown[] = [];
  for (const args of calls) results.push(await fn(...args));
  const attempt = Math.max(1, job.attemptsStarted ?? (job.attemptsMade ?? 0) + 1);
  return { results, host, attempt, startedAtMs, finishedAtMs: now() };
}

/** This process as a host id: `hostname:pid`. */
export function hostId(hostname: string, pid: number): string {
  return `${hostname}:${pid}`;
}

/**
 * BullMQ keeps only a failed job's message (`failedReason`), not its error
 * class. The host puts the class name in front (`RangeError: ...`), and the
 * pool reads it back with {@link parseFailedReason}.
 */
export function reportableError(error: unknown): Error {
  const name = error instanceof Error ? error.name : "Error";
  const message = error instanceof Error ? error.message : String(error);
  const reported = new Error(`${name}: ${message}`);
  if (error instanceof Error && error.stack) reported.stack = error.stack;
  return reported;
}

/** Splits a `failedReason` written by {@link reportableError} into class name and message. */
export function parseFailedReason(reason: string): { name: string; message: string } {
  const match = /^([A-Za-z_$][\w$]*): ([\s\S]*)$/.exec(reason);
  return match ? { name: match[1]!, message: match[2]! } : { name: "Error", message: reason };
}
