/** What machine a notebook runs on, for titles and saved results. */
import os from "node:os";

/** Facts about this machine and runtime, from {@link machineSummary}. */
export interface MachineSummary {
  /** CPU model name as the OS reports it. */
  cpuModel: string;
  /** Logical cores the OS reports. */
  logicalCores: number;
  /** Cores this process may use (`os.availableParallelism()`; smaller under CPU affinity limits). */
  availableCores: number;
  /** Total memory in GiB. */
  memoryGiB: number;
  /** e.g. "linux x64". */
  platform: string;
  /** Node.js version. */
  node: string;
  /** V8 version. */
  v8: string;
  /** tslab version when running inside a tslab kernel, else null. */
  tslab: string | null;
}

function tslabVersion(): string | null {
  for (const file of Object.keys(require.cache)) {
    const match = /^(.*[\\/]tslab)[\\/]dist[\\/]/.exec(file);
    if (!match) continue;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return (require(`${match[1]}/package.json`) as { version: string }).version;
    } catch {
      return null;
    }
  }
  return null;
}

/** Describes this machine: CPU, cores, memory, Node, V8 and tslab versions. */
export function machineSummary(): MachineSummary {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() || "unknown CPU",
    logicalCores: cpus.length,
    availableCores: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${process.platform} ${process.arch}`,
    node: process.version,
    v8: process.versions.v8,
    tslab: tslabVersion(),
  };
}

/** One line for a notebook's header: "Intel(R) Xeon(R) ..., 2 cores (2 available), 23.4 GiB, Node v20.20.2, tslab 1.0.22". */
export function machineLine(summary: MachineSummary = machineSummary()): string {
  return (
    `${summary.cpuModel}, ${summary.logicalCores} logical cores (${summary.availableCores} available), ` +
    `${summary.memoryGiB} GiB, ${summary.platform}, Node ${summary.node}, tslab ${summary.tslab ?? "(not in a tslab kernel)"}`
  );
}
