/**
 * The sandboxed processor of a worker host: BullMQ loads this compiled file
 * in a worker thread of the host and calls its default export for each job,
 * so a CPU-heavy task never blocks the host's event loop, which keeps
 * renewing the job's lock meanwhile.
 */
import os from "node:os";
import { hostId, reportableError, runJob, type JobEnvelope } from "./protocol";

/** The host's id: a worker thread shares its process's pid. */
const HOST = hostId(os.hostname(), process.pid);

/** Runs one job (checked first: named tasks only). */
export default async function processJob(job: { data: unknown; attemptsStarted?: number; attemptsMade?: number }): Promise<JobEnvelope> {
  try {
    return await runJob(job.data, job, HOST);
  } catch (error) {
    throw reportableError(error);
  }
}
