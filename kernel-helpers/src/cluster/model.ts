/**
 * A small model of a job queue's throughput, fed with measured costs, to
 * predict what more hosts would give and where Redis (or the program adding
 * the jobs) becomes the bottleneck. Pure functions.
 *
 * Each job costs a host `workMs + overheadMs` of one slot; Redis, which runs
 * its commands one at a time, spends `redisMsPerJob` of its single thread on
 * it; the producer spends `clientMsPerJob`. So, with `hosts × slots` slots:
 *
 *   jobs/s = min( hosts · slots · 1000 / (workMs + overheadMs),  1000 / redisMsPerJob,  1000 / clientMsPerJob )
 */

/** Measured costs per job, in ms. */
export interface QueueCosts {
  /** Time a host slot spends per job beyond the task itself (fetching, reporting, locking). */
  overheadMs: number;
  /** Redis CPU time per job (its one command thread). */
  redisMsPerJob: number;
  /** CPU time of the program adding jobs and reading results, per job. */
  clientMsPerJob: number;
}

/** What limits throughput. */
export type Bottleneck = "hosts" | "redis" | "client";

/** A prediction of {@link predictThroughput}. */
export interface ThroughputPrediction {
  jobsPerSecond: number;
  limitedBy: Bottleneck;
}

/**
 * Predicted jobs per second with `hosts` hosts of `slotsPerHost` slots each, for
 * jobs of `workMs` of work.
 * @example predictThroughput({ overheadMs: 1, redisMsPerJob: 0.1, clientMsPerJob: 0.2 }, { hosts: 4, workMs: 9 })
 *   // { jobsPerSecond: 400, limitedBy: "hosts" }
 */
export function predictThroughput(costs: QueueCosts, setting: { hosts: number; workMs: number; slotsPerHost?: number }): ThroughputPrediction {
  const slots = setting.hosts * (setting.slotsPerHost ?? 1);
  const limits: [Bottleneck, number][] = [
    ["hosts", (slots * 1000) / (setting.workMs + costs.overheadMs)],
    ["redis", 1000 / costs.redisMsPerJob],
    ["client", 1000 / costs.clientMsPerJob],
  ];
  const [limitedBy, jobsPerSecond] = limits.reduce((low, next) => (next[1] < low[1] ? next : low));
  return { jobsPerSecond, limitedBy };
}

/**
 * How many hosts it takes until Redis or the producer, not the hosts, limits
 * throughput: the job's slot time over the busier of the two single threads.
 */
export function hostsAtCeiling(costs: QueueCosts, setting: { workMs: number; slotsPerHost?: number }): number {
  const central = Math.max(costs.redisMsPerJob, costs.clientMsPerJob);
  return (setting.workMs + costs.overheadMs) / ((setting.slotsPerHost ?? 1) * central);
}

/**
 * Where a measured curve first reaches `level`, interpolated on a log scale
 * of x between the two points around it: e.g. the work per job at which the
 * cluster's speed-up reaches 1. Null if it never does; `xs[0]` if it starts there.
 */
export function crossing(xs: readonly number[], ys: readonly number[], level: number): number | null {
  for (let i = 0; i < xs.length; i++) {
    if (ys[i]! < level) continue;
    if (i === 0) return xs[0]!;
    const [x0, x1, y0, y1] = [xs[i - 1]!, xs[i]!, ys[i - 1]!, ys[i]!];
    const t = (level - y0) / (y1 - y0);
    return Math.exp(Math.log(x0) + t * (Math.log(x1) - Math.log(x0)));
  }
  return null;
}
