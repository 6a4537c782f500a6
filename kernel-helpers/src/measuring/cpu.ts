/**
 * CPU accounting from Linux's /proc: how much CPU time this process tree
 * used, and how many cores OTHER processes kept busy meanwhile (the noise a
 * measurement suffered). Everything is null where /proc is missing (macOS,
 * Windows): then the notebooks say they could not tell.
 */
import fs from "node:fs";

/** Clock ticks per second of /proc (USER_HZ, 100 on every Linux Node runs on). */
const TICKS_PER_SECOND = 100;

/** CPU time so far, in clock ticks, from {@link cpuSnapshot}. */
export interface CpuSnapshot {
  /** Busy time of the whole machine (/proc/stat). */
  machineBusyTicks: number;
  /** This process and all its descendants, children that already exited included. */
  ownTicks: number;
  /** `performance.now()` when taken. */
  wallMs: number;
}

/**
 * Reads the CPU time of the machine and of this process tree (pool workers,
 * child processes and theirs).
 * @param rootPid - the process whose tree counts as ours (default: this one).
 * @returns null where /proc is missing (not Linux).
 */
export function cpuSnapshot(rootPid: number = process.pid): CpuSnapshot | null {
  try {
    const cpu = fs.readFileSync("/proc/stat", "utf8").split("\n")[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
    // user nice system idle iowait irq softirq steal ...
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0] = cpu;
    const children = new Map<number, number[]>();
    const ticks = new Map<number, number>();
    for (const entry of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      } catch {
        continue; // ended while we looked
      }
      // after "pid (comm) ": state ppid ... utime(14) stime(15) cutime(16) cstime(17), 1-based in proc(5)
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ").map(Number);
      const pid = Number(entry);
      const ppid = f[1] ?? 0;
      ticks.set(pid, (f[11] ?? 0) + (f[12] ?? 0) + (f[13] ?? 0) + (f[14] ?? 0));
      children.set(ppid, [...(children.get(ppid) ?? []), pid]);
    }
    let ownTicks = 0;
    const stack = [rootPid];
    while (stack.length > 0) {
      const pid = stack.pop()!;
      ownTicks += ticks.get(pid) ?? 0;
      stack.push(...(children.get(pid) ?? []));
    }
    return { machineBusyTicks: user + nice + system + irq + softirq, ownTicks, wallMs: performance.now() };
  } catch {
    return null;
  }
}

/**
 * Average number of cores that OTHER processes kept busy between two
 * snapshots. Clock ticks are 10 ms, so intervals under a second are rough.
 * @returns null when either snapshot is missing or no time passed.
 */
export function otherCores(start: CpuSnapshot | null, end: CpuSnapshot | null): number | null {
  if (!start || !end) return null;
  const ticks = ((end.wallMs - start.wallMs) / 1000) * TICKS_PER_SECOND;
  if (!(ticks > 0)) return null;
  return Math.max(0, (end.machineBusyTicks - start.machineBusyTicks - (end.ownTicks - start.ownTicks)) / ticks);
}

/**
 * CPU time this process tree used between two snapshots.
 * @returns milliseconds (10 ms resolution), null without both snapshots.
 */
export function ownCpuMs(start: CpuSnapshot | null, end: CpuSnapshot | null): number | null {
  return start && end ? ((end.ownTicks - start.ownTicks) * 1000) / TICKS_PER_SECOND : null;
}

/** What {@link observe} saw while a piece of work ran. */
export interface Observed<T> {
  /** What the work returned. */
  value: T;
  /** Cores other processes kept busy meanwhile (null without /proc). */
  otherCores: number | null;
  /** CPU time of this process tree meanwhile, in ms (null without /proc). */
  ownCpuMs: number | null;
}

/**
 * Runs `work` and measures the other processes' load and this process
 * tree's CPU time meanwhile.
 * @example const { value, otherCores } = await observe(() => pool.map("leibnizPi", sizes));
 */
export async function observe<T>(work: () => T | Promise<T>): Promise<Observed<T>> {
  const before = cpuSnapshot();
  const value = await work();
  const after = cpuSnapshot();
  return { value, otherCores: otherCores(before, after), ownCpuMs: ownCpuMs(before, after) };
}
