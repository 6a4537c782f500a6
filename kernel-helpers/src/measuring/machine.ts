/** What machine a notebook runs on, for titles and saved results. */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";

/** Facts about this machine and runtime, from {@link machineSummary}. */
export interface MachineSummary {
  /** CPU model name as the OS reports it. */
  cpuModel: string;
  /** Logical cores the OS reports. */
  logicalCores: number;
  /** Cores this process may use (`os.availableParallelism()`; smaller under CPU affinity limits). */
  availableCores: number;
  /**
   * Physical cores, where the OS tells (Linux CPU topology, macOS sysctl); null
   * elsewhere. Fewer than the logical cores when each core runs two hardware
   * threads (SMT, "hyper-threading"): two threads on one core share its
   * execution units, so they rarely give twice one thread's speed.
   */
  physicalCores: number | null;
  /**
   * Performance and efficiency cores on hybrid CPUs (Apple silicon, Intel
   * 12th generation and later), where the OS tells; null when all cores are
   * alike or unknown. Efficiency cores are slower, so work split evenly
   * finishes at the pace of the slowest core.
   */
  coreKinds: { performance: number; efficiency: number } | null;
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

/** Counts the CPUs in a Linux list such as "0-3,8,10-11". */
function countCpuList(list: string): number {
  let count = 0;
  for (const part of list.trim().split(",").filter(Boolean)) {
    const [from, to] = part.split("-").map(Number);
    count += to === undefined ? 1 : to - from! + 1;
  }
  return count;
}

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, "utf8").trim();
  } catch {
    return null;
  }
}

function sysctlNumber(name: string): number | null {
  try {
    const value = Number(execFileSync("sysctl", ["-n", name], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 2000 }).trim());
    return Number.isInteger(value) && value > 0 ? value : null;
  } catch {
    return null;
  }
}

/** Physical cores and hybrid core kinds, from the OS where it tells. */
function coreTopology(): Pick<MachineSummary, "physicalCores" | "coreKinds"> {
  if (process.platform === "linux") {
    const cores = new Set<string>();
    for (const entry of fs.existsSync("/sys/devices/system/cpu") ? fs.readdirSync("/sys/devices/system/cpu") : []) {
      if (!/^cpu\d+$/.test(entry)) continue;
      const dir = `/sys/devices/system/cpu/${entry}/topology`;
      const core = readText(`${dir}/core_id`);
      const pkg = readText(`${dir}/physical_package_id`);
      if (core !== null && pkg !== null) cores.add(`${pkg}:${core}`);
    }
    // Intel hybrid CPUs list their kinds of core as separate devices
    const big = readText("/sys/devices/cpu_core/cpus");
    const small = readText("/sys/devices/cpu_atom/cpus");
    return {
      physicalCores: cores.size > 0 ? cores.size : null,
      coreKinds: big !== null && small !== null ? { performance: countCpuList(big), efficiency: countCpuList(small) } : null,
    };
  }
  if (process.platform === "darwin") {
    const performance = sysctlNumber("hw.perflevel0.physicalcpu");
    const efficiency = sysctlNumber("hw.perflevel1.physicalcpu");
    return {
      physicalCores: sysctlNumber("hw.physicalcpu"),
      coreKinds: performance !== null && efficiency !== null ? { performance, efficiency } : null,
    };
  }
  return { physicalCores: null, coreKinds: null };
}

/**
 * Says how many cores can really work in parallel here, and why "ideal"
 * scaling may stop before the logical core count: SMT, hybrid cores, or a
 * CPU-affinity limit. One or two sentences for a notebook.
 */
export function coresExplained(summary: MachineSummary = machineSummary()): string {
  const { logicalCores, availableCores, physicalCores, coreKinds } = summary;
  const parts = [`This machine reports ${logicalCores} logical cores`];
  if (availableCores < logicalCores) parts.push(`of which this process may use ${availableCores} (a CPU-affinity or container limit)`);
  if (physicalCores === null) parts.push("and does not say how many are physical");
  else if (physicalCores < logicalCores) {
    parts.push(
      `on ${physicalCores} physical cores: each physical core runs ${Math.round(logicalCores / physicalCores)} hardware threads (SMT), ` +
        "which share its execution units, so expect scaling to flatten past the physical count",
    );
  } else parts.push(`and as many physical cores (no SMT): one worker per core can scale up to ${availableCores}`);
  let text = parts.join(", ") + ".";
  if (coreKinds) {
    text +=
      ` It is a hybrid CPU: ${coreKinds.performance} performance and ${coreKinds.efficiency} efficiency cores. ` +
      "Efficiency cores are slower, so equal shares of work finish at the pace of the slowest core.";
  }
  return text;
}

/**
 * The number of workers that can scale ideally here: the physical cores
 * where known and fewer than those available, else the available cores.
 */
export function parallelCores(summary: MachineSummary = machineSummary()): number {
  return Math.min(summary.availableCores, summary.physicalCores ?? summary.availableCores);
}

/** Describes this machine: CPU, cores (logical, available, physical, hybrid kinds), memory, Node, V8 and tslab versions. */
export function machineSummary(): MachineSummary {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() || "unknown CPU",
    logicalCores: cpus.length,
    availableCores: os.availableParallelism(),
    ...coreTopology(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${process.platform} ${process.arch}`,
    node: process.version,
    v8: process.versions.v8,
    tslab: tslabVersion(),
  };
}

/** One line for a notebook's header: "AMD EPYC, 2 logical cores (2 available, 2 physical), 23.4 GiB, linux x64, Node v20.20.2, tslab 1.0.22". */
export function machineLine(summary: MachineSummary = machineSummary()): string {
  return (
    `${summary.cpuModel}, ${summary.logicalCores} logical cores (${summary.availableCores} available` +
    `${summary.physicalCores === null ? "" : `, ${summary.physicalCores} physical`}), ` +
    `${summary.memoryGiB} GiB, ${summary.platform}, Node ${summary.node}, tslab ${summary.tslab ?? "(not in a tslab kernel)"}`
  );
}
