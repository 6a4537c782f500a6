// @ts-check
/**
 * CPU and noise accounting (Linux /proc): how much CPU time the bench's own
 * process tree used, and how many cores OTHER processes kept busy meanwhile.
 * Everything is null where /proc is missing.
 */
'use strict';

const fs = require('node:fs');
const { performance } = require('node:perf_hooks');

/** Clock ticks per second of /proc (USER_HZ, 100 on every Linux Node runs on). */
const TICKS_PER_SECOND = 100;

/**
 * CPU time so far, in clock ticks.
 * @typedef {object} CpuSnapshot
 * @property {number} machineBusyTicks - busy time of the whole machine (/proc/stat)
 * @property {number} ownTicks - this process and all its descendants, children that already exited included
 * @property {number} wallMs - `performance.now()` when taken
 */

/**
 * Reads the CPU time of the machine and of this process tree (pool workers,
 * Python and its workers).
 * @param {number} [rootPid] - the process whose tree counts as ours (default: this one)
 * @returns {CpuSnapshot | null} null where /proc is missing (not Linux)
 */
function cpuSnapshot(rootPid = process.pid) {
  try {
    const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
    // user nice system idle iowait irq softirq steal ...
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0] = cpu;
    /** @type {Map<number, number[]>} */
    const children = new Map();
    /** @type {Map<number, number>} */
    const ticks = new Map();
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let stat;
      try {
        stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      } catch {
        continue; // ended while we looked
      }
      // after "pid (comm) ": state ppid ... utime(14) stime(15) cutime(16) cstime(17), 1-based in proc(5)
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
      const pid = Number(entry);
      const ppid = f[1] ?? 0;
      ticks.set(pid, (f[11] ?? 0) + (f[12] ?? 0) + (f[13] ?? 0) + (f[14] ?? 0));
      children.set(ppid, [...(children.get(ppid) ?? []), pid]);
    }
    let ownTicks = 0;
    const stack = [rootPid];
    while (stack.length > 0) {
      const pid = /** @type {number} */ (stack.pop());
      ownTicks += ticks.get(pid) ?? 0;
      stack.push(...(children.get(pid) ?? []));
    }
    return { machineBusyTicks: user + nice + system + irq + softirq, ownTicks, wallMs: performance.now() };
  } catch {
    return null;
  }
}

/**
 * Average number of cores that OTHER processes kept busy between two snapshots.
 * Clock ticks are 10 ms, so short intervals are rough.
 * @param {CpuSnapshot | null} start
 * @param {CpuSnapshot | null} end
 * @returns {number | null} null when either snapshot is missing or no time passed
 */
function otherCores(start, end) {
  if (!start || !end) return null;
  const ticks = ((end.wallMs - start.wallMs) / 1000) * TICKS_PER_SECOND;
  if (!(ticks > 0)) return null;
  return Math.max(0, (end.machineBusyTicks - start.machineBusyTicks - (end.ownTicks - start.ownTicks)) / ticks);
}

/**
 * CPU time this process tree used between two snapshots.
 * @param {CpuSnapshot | null} start
 * @param {CpuSnapshot | null} end
 * @returns {number | null} milliseconds (10 ms resolution), null without both snapshots
 */
function ownCpuMs(start, end) {
  return start && end ? ((end.ownTicks - start.ownTicks) * 1000) / TICKS_PER_SECOND : null;
}

/**
 * What {@link observe} saw while a piece of work ran.
 * @template T
 * @typedef {object} Observed
 * @property {T} value - what the work returned
 * @property {number | null} otherCores - cores other processes kept busy meanwhile
 * @property {number | null} ownCpuMs - CPU time of this process tree meanwhile
 */

/**
 * Runs `work` and measures the other processes' load and our own CPU time meanwhile.
 * @template T
 * @param {() => Promise<T> | T} work
 * @returns {Promise<Observed<T>>}
 */
async function observe(work) {
  const before = cpuSnapshot();
  const value = await work();
  const after = cpuSnapshot();
  return { value, otherCores: otherCores(before, after), ownCpuMs: ownCpuMs(before, after) };
}

module.exports = { cpuSnapshot, otherCores, ownCpuMs, observe };
