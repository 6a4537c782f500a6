#!/usr/bin/env node
// @ts-check
/**
 * `npm run bench`: kernel-helpers' Pool measured side by side with raw workerpool,
 * piscina and Python's multiprocessing.Pool, in one run.
 *
 *   npm run bench                     (builds kernel-helpers, then the full run: about 70 s on 2 cores)
 *   node scripts/bench.mjs --quick    (short run, about 10 s; needs the build)
 *   node scripts/bench.mjs --help
 *
 * Measures (every pool has workers = os.availableParallelism(), is warmed up by one
 * untimed round, and is timed over several rounds; medians are reported, samples kept):
 *   - round trips per second of a trivial task (echo a number): N tasks submitted at
 *     once, then all awaited; kernel-helpers Pool.applyAsync, raw workerpool, piscina,
 *     and Python's Pool.apply_async (scripts/bench_python.py) when a Python runs;
 *   - items per second through kernel-helpers' chunked Pool.map on trivial items;
 *   - pool start-up: new Pool(...) until every worker has answered one trivial task;
 *   - heavy tasks (leibnizPi, ~250 ms each, 4 per worker): serial in this thread vs
 *     pooled, speed-up and parallel efficiency (speed-up / workers), threads and processes;
 *   - serial Leibniz sum, Node vs Python, same N;
 *   - on Linux, the CPU time of this process tree vs the whole machine's, to show how many
 *     cores other processes kept busy (noise) and how the heavy tasks used the cores.
 * Writes <out>/latest.json and <out>/bench-<timestamp>.json (default out: results/bench).
 *
 * Requires the BUILT kernel-helpers (kernel-helpers/dist): `npm run build`.
 */

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const HELPERS_DIST = path.join(ROOT, 'kernel-helpers', 'dist', 'index.js');
const WORKERPOOL_WORKER = path.join(ROOT, 'scripts', 'bench-workers', 'workerpool-echo.js');
const PISCINA_WORKER = path.join(ROOT, 'scripts', 'bench-workers', 'piscina-echo.js');
const PYTHON_SCRIPT = path.join(ROOT, 'scripts', 'bench_python.py');
const DEFAULT_OUT = path.join(ROOT, 'results', 'bench');
const DEFAULT_PYTHONS = ['python3', '/usr/bin/python3'];

/** Sizes of a run. */
const SETTINGS = {
  full: {
    rounds: 5, // timed rounds of every measurement (after one untimed warm-up round)
    roundTrips: 20_000, // trivial tasks in flight per round-trip round
    mapItems: 500_000, // items per chunked-map round
    startups: 7, // pool start-ups per backend
    heavyTaskMs: 250, // target duration of one heavy task
    heavyRounds: 7,
    serialTerms: 5_000_000, // Leibniz N of the Node vs Python serial comparison
    nodeSerialRepeats: 60, // Node takes ~10 ms per sum: many repeats
    pythonSerialRepeats: 5,
    pythonTimeoutS: 600,
  },
  quick: {
    rounds: 2,
    roundTrips: 3_000,
    mapItems: 100_000,
    startups: 3,
    heavyTaskMs: 80,
    heavyRounds: 2,
    serialTerms: 5_000_000,
    nodeSerialRepeats: 20,
    pythonSerialRepeats: 2,
    pythonTimeoutS: 120,
  },
};

/** Targets of the issue (benchmarks on the 2-core development machine, not test assertions). */
const TARGETS = {
  efficiencyThread: 0.95,
  efficiencyProcess: 0.9,
  helperPoolVsWorkerpool: 0.9,
  mapChunkedVsPiscina: 10,
};

const DEFINITIONS = {
  roundTrip:
    'one trivial task (echo: returns its number argument) submitted from the main thread, run by a worker, and its ' +
    'result received and resolved in the main thread. Per round, N tasks are submitted at once (all in flight ' +
    'together, queued by the pool), then all awaited; round trips per second = N / elapsed.',
  throughput:
    'round trips per second, median over rounds (samples in throughputSamples); helperMapChunked is items per ' +
    'second through kernel-helpers Pool.map on trivial items with its default chunking (items / (4 x workers) per message).',
  startupMs: 'milliseconds from new Pool(...) until every worker has answered one trivial task (whoAmI), median.',
  heavy:
    'tasks = 4 x workers leibnizPi(terms) calls; serialMs runs them one after the other in the main thread, pooledMs ' +
    'submits them all to the pool and awaits them; speedup = median serialMs / median pooledMs; efficiency = speedup / workers.',
  efficiency:
    'parallel efficiency on the heavy tasks: speedup / workers (1 = perfect scaling). It splits as efficiency ~= ' +
    'utilization / cpuInflation (heavy.*): utilization = CPU time of the pooled run / (workers x its wall time), ' +
    'below 1 when cores sat idle; cpuInflation = CPU time of the pooled run / CPU time of the serial run (same work), ' +
    'above 1 when each core computed more slowly while all were busy (shared caches, clock, a virtual machine host).',
  otherCpuCores:
    'machine.otherCpuCores (whole run), throughputOtherCores and heavy.*OtherCores (per round, same order as the ' +
    'samples): average number of cores kept busy by processes outside this benchmark (Linux /proc; null elsewhere). ' +
    'Above ~0.1 the machine was shared and parallel numbers are on the low side.',
  serialVsPython:
    'pythonSerialMs / nodeSerialMs for one serial Leibniz sum of the same N (plain loop in both); > 1 means Node is faster.',
};

const HELP = `Usage: node scripts/bench.mjs [options]
       npm run bench [-- options]      (builds kernel-helpers first)

Benchmarks kernel-helpers' Pool against raw workerpool, piscina and Python's
multiprocessing.Pool, prints a table with the targets, and writes
<out>/latest.json and a timestamped copy <out>/bench-<time>.json.

A "round trip" is one trivial task (echo a number) sent to a worker and its
result received back; N tasks are submitted at once, then all awaited.

Options:
  --quick          short run (2 rounds, smaller sizes; well under a minute)
  --out DIR        output folder (default: results/bench)
  --python EXE     the Python for the Python rows (default: python3 on PATH,
                   then /usr/bin/python3); rows are null when none runs
  -h, --help       show this help
`;

class UsageError extends Error {}

/**
 * @param {string[]} argv
 * @returns {{ quick: boolean, out: string, pythons: string[], help: boolean }}
 */
function parseArgs(argv) {
  const options = { quick: false, out: DEFAULT_OUT, pythons: DEFAULT_PYTHONS, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = /** @type {string} */ (argv[i]);
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith('--') && eq > 0 ? arg.slice(eq + 1) : undefined;
    /** @param {string} flag */
    const value = (flag) => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '' || (inline === undefined && v.startsWith('--'))) {
        throw new UsageError(`${flag} needs a value, e.g. ${flag} ${flag === '--out' ? 'results/bench' : 'python3'}`);
      }
      return v;
    };
    if (name === '-h' || name === '--help') options.help = true;
    else if (name === '--quick') {
      if (inline !== undefined) throw new UsageError('--quick takes no value');
      options.quick = true;
    } else if (name === '--out') {
      options.out = path.resolve(value('--out'));
      if (fs.existsSync(options.out) && !fs.statSync(options.out).isDirectory()) {
        throw new UsageError(`--out ${options.out} exists and is not a folder`);
      }
    } else if (name === '--python') options.pythons = [value('--python')];
    else throw new UsageError(`unknown option ${arg} (try --help)`);
  }
  return options;
}

// ---------------------------------------------------------------------------
// small helpers

/** @param {number[]} xs */
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? /** @type {number} */ (s[mid]) : (/** @type {number} */ (s[mid - 1]) + /** @type {number} */ (s[mid])) / 2;
}

/**
 * The installed version of a package (piscina's `exports` hide its package.json from require).
 * @param {string} name
 */
function packageVersion(name) {
  let dir = path.dirname(require.resolve(name));
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8'));
      if (pkg.name === name) return /** @type {string} */ (pkg.version);
    }
    const parent = path.dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}

/** @param {number} x */
const perSecond = (x) => `${Math.round(x).toLocaleString('en-US')}/s`;
/** @param {number} ms */
const fmtMs = (ms) => (ms >= 100 ? `${ms.toFixed(0)} ms` : ms >= 10 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(2)} ms`);

const runStart = performance.now();
/** @param {string} message */
function log(message) {
  const t = ((performance.now() - runStart) / 1000).toFixed(1).padStart(6);
  console.log(`[${t} s] ${message}`);
}

/**
 * CPU time so far, in clock ticks (1/100 s on Linux): busy time of the whole machine from
 * /proc/stat, and that of this process and all its descendants (pool workers, Python and its
 * workers), children that already exited included. Null where /proc is missing (not Linux).
 * @returns {{ machineBusy: number, ours: number, wallMs: number } | null}
 */
function cpuSnapshot() {
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
    let ours = 0;
    const stack = [process.pid];
    while (stack.length > 0) {
      const pid = /** @type {number} */ (stack.pop());
      ours += ticks.get(pid) ?? 0;
      stack.push(...(children.get(pid) ?? []));
    }
    return { machineBusy: user + nice + system + irq + softirq, ours, wallMs: performance.now() };
  } catch {
    return null;
  }
}

/**
 * Average number of cores that OTHER processes kept busy between two snapshots.
 * Clock ticks are 10 ms, so short intervals are rough.
 * @param {ReturnType<typeof cpuSnapshot>} start
 * @param {ReturnType<typeof cpuSnapshot>} end
 * @returns {number | null}
 */
function otherCores(start, end) {
  if (!start || !end) return null;
  const ticks = ((end.wallMs - start.wallMs) / 1000) * 100;
  if (!(ticks > 0)) return null;
  return Math.max(0, (end.machineBusy - start.machineBusy - (end.ours - start.ours)) / ticks);
}

/**
 * Runs `fn` and measures how busy other processes kept the machine meanwhile, and the CPU
 * time this benchmark's own process tree used (10 ms resolution).
 * @template T
 * @param {() => Promise<T>} fn
 * @returns {Promise<{ value: T, others: number | null, ownCpuMs: number | null }>}
 */
async function withOthers(fn) {
  const before = cpuSnapshot();
  const value = await fn();
  const after = cpuSnapshot();
  return { value, others: otherCores(before, after), ownCpuMs: before && after ? (after.ours - before.ours) * 10 : null };
}

/** @param {number | null} others */
const othersNote = (others) => (others === null ? '' : `  (others busy: ${others.toFixed(2)} cores)`);

/**
 * Aligned plain-text table; the first column is left-aligned, the others right-aligned.
 * @param {string[]} header
 * @param {string[][]} rows
 */
function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  /** @param {string[]} r */
  const line = (r) => r.map((v, i) => (i === 0 ? v.padEnd(/** @type {number} */ (widths[i])) : v.padStart(/** @type {number} */ (widths[i])))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/**
 * Times one round of `n` trivial tasks submitted at once, then awaited.
 * @param {(i: number) => PromiseLike<unknown>} submit - sends echo(i)
 * @param {number} n
 * @returns {Promise<number>} round trips per second
 */
async function roundTripRound(submit, n) {
  const promises = new Array(n);
  const start = performance.now();
  for (let i = 0; i < n; i++) promises[i] = submit(i);
  const values = await Promise.all(promises);
  const elapsedMs = performance.now() - start;
  let sum = 0;
  for (const v of values) sum += /** @type {number} */ (v);
  if (sum !== (n * (n - 1)) / 2) throw new Error('echo returned wrong values');
  return n / (elapsedMs / 1000);
}

// ---------------------------------------------------------------------------
// Python

/**
 * @typedef {{ executable: string, version: string, implementation: string, startMethod: string,
 *   cpuCount: number, workers: number, tasks: number, rounds: number, applyAsyncPerSecond: number,
 *   applyAsyncSamplesPerSecond: number[], terms: number, serialMs: number, serialSamplesMs: number[],
 *   leibnizValue: number }} PythonResult
 */

/** The Python child running now, so a signal can stop it (it runs in its own process group). */
/** @type {import('node:child_process').ChildProcess | null} */
let pythonChild = null;

/**
 * Runs scripts/bench_python.py with one Python executable.
 * @param {string} exe
 * @param {string[]} args
 * @param {number} timeoutMs
 * @returns {Promise<{ ok: true, result: PythonResult } | { ok: false, error: string, fatal: boolean }>}
 */
function runPythonOnce(exe, args, timeoutMs) {
  return new Promise((resolve) => {
    // detached: its own process group, so a timeout stops the pool's workers too
    const child = spawn(exe, [PYTHON_SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    pythonChild = child;
    let stdout = '';
    let stderr = '';
    let pendingLine = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (/** @type {string} */ d) => {
      stderr += d;
      const lines = (pendingLine + d).split('\n');
      pendingLine = lines.pop() ?? '';
      for (const l of lines) if (l.startsWith('  [python]')) log(l.trim());
    });
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      pythonChild = null;
      resolve({ ok: false, error: `${exe}: ${error.message}`, fatal: false });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      pythonChild = null;
      if (timedOut) {
        resolve({ ok: false, error: `${exe}: no answer within ${timeoutMs / 1000} s (stopped)`, fatal: true });
        return;
      }
      if (code !== 0) {
        const tail = stderr.trim().split('\n').slice(-3).join(' | ');
        resolve({ ok: false, error: `${exe} exited with ${signal ?? `code ${code}`}: ${tail}`, fatal: false });
        return;
      }
      try {
        resolve({ ok: true, result: JSON.parse(stdout) });
      } catch {
        resolve({ ok: false, error: `${exe} printed no JSON: ${stdout.slice(0, 200)}`, fatal: false });
      }
    });
  });
}

/** @param {import('node:child_process').ChildProcess} child */
function killGroup(child) {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

// ---------------------------------------------------------------------------

async function main() {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`bench: ${error.message}`);
    process.exitCode = 2;
    return;
  }
  if (options.help) {
    process.stdout.write(HELP);
    return;
  }
  if (!fs.existsSync(HELPERS_DIST)) {
    console.error(`bench: ${path.relative(ROOT, HELPERS_DIST)} is missing: build kernel-helpers first (npm run build), or use npm run bench.`);
    process.exitCode = 1;
    return;
  }

  /** @type {typeof import('kernel-helpers')} */
  const kh = require(HELPERS_DIST);
  /** @type {typeof import('workerpool')} */
  const workerpool = require('workerpool');
  /** @type {typeof import('piscina').Piscina} */
  const Piscina = require('piscina').Piscina;

  const cpuAtStart = cpuSnapshot();
  const settings = options.quick ? SETTINGS.quick : SETTINGS.full;
  const workers = os.availableParallelism();
  const machine = kh.machineSummary();
  const versions = {
    workerpool: packageVersion('workerpool'),
    piscina: packageVersion('piscina'),
  };
  log(`machine: ${kh.machineLine(machine)}`);
  log(`${options.quick ? 'quick' : 'full'} run: ${workers} workers (= available cores), ${settings.rounds} timed rounds after 1 warm-up round`);
  log(`a round trip = one echo(number) task sent to a worker and its result back; ${settings.roundTrips.toLocaleString('en-US')} in flight per round, submitted at once, then awaited`);

  /** Every pool started here, to terminate them all at the end, also after an error. @type {(() => Promise<unknown>)[]} */
  const stoppers = [];
  const stopAll = async () => {
    await Promise.allSettled(stoppers.splice(0).map((stop) => stop()));
  };

  /** @param {'thread' | 'process'} backend */
  const helperPool = (backend) => {
    const pool = new kh.Pool({ workers, backend });
    stoppers.push(() => pool.terminate());
    return pool;
  };

  try {
    // ---- 1. round trips per second -------------------------------------
    log('round trips: starting pools (helperPool thread/process, workerpool thread/process, piscina)');
    const helperThread = helperPool('thread');
    const helperProcess = helperPool('process');
    const wpThread = workerpool.pool(WORKERPOOL_WORKER, { minWorkers: workers, maxWorkers: workers, workerType: 'thread' });
    stoppers.push(async () => void (await wpThread.terminate(true)));
    const wpProcess = workerpool.pool(WORKERPOOL_WORKER, { minWorkers: workers, maxWorkers: workers, workerType: 'process' });
    stoppers.push(async () => void (await wpProcess.terminate(true)));
    const piscina = new Piscina({ filename: PISCINA_WORKER, minThreads: workers, maxThreads: workers, idleTimeout: 60_000 });
    stoppers.push(() => piscina.destroy());

    /** @type {[string, string, (i: number) => PromiseLike<unknown>][]} */
    const contenders = [
      ['helperPool', 'kernel-helpers Pool.applyAsync, threads', (i) => helperThread.applyAsync('echo', [i]).get()],
      ['workerpool', `raw workerpool ${versions.workerpool} exec, threads`, (i) => wpThread.exec('echo', [i])],
      ['piscina', `piscina ${versions.piscina} run, threads`, (i) => piscina.run(i, { name: 'echo' })],
      ['helperPoolProcess', 'kernel-helpers Pool.applyAsync, processes', (i) => helperProcess.applyAsync('echo', [i]).get()],
      ['workerpoolProcess', `raw workerpool ${versions.workerpool} exec, processes`, (i) => wpProcess.exec('echo', [i])],
    ];
    /** @type {Record<string, number[]>} */
    const rtSamples = Object.fromEntries(contenders.map(([key]) => [key, []]));
    /** Cores kept busy by other processes during each round, same order as the samples. @type {Record<string, (number | null)[]>} */
    const rtOthers = Object.fromEntries(contenders.map(([key]) => [key, []]));
    for (const [key, , submit] of contenders) {
      log(`round trips: warm-up ${key}`);
      await roundTripRound(submit, settings.roundTrips);
    }
    // Round-robin over the contenders, rotating who goes first, so that noise
    // from other work on the machine is spread over all of them.
    for (let round = 0; round < settings.rounds; round++) {
      for (let k = 0; k < contenders.length; k++) {
        const [key, , submit] = /** @type {[string, string, (i: number) => PromiseLike<unknown>]} */ (contenders[(round + k) % contenders.length]);
        const { value: rate, others } = await withOthers(() => roundTripRound(submit, settings.roundTrips));
        /** @type {number[]} */ (rtSamples[key]).push(rate);
        /** @type {(number | null)[]} */ (rtOthers[key]).push(others);
        log(`round trips: round ${round + 1}/${settings.rounds} ${key.padEnd(17)} ${perSecond(rate).padStart(9)}${othersNote(others)}`);
      }
    }

    // ---- 2. chunked map --------------------------------------------------
    const items = Array.from({ length: settings.mapItems }, (_, i) => i);
    /** @param {import('kernel-helpers').Pool} pool */
    const mapRound = async (pool) => {
      const start = performance.now();
      const out = await pool.map('echo', items);
      const elapsedMs = performance.now() - start;
      if (out.length !== items.length || out[items.length - 1] !== items.length - 1) throw new Error('map returned wrong values');
      return items.length / (elapsedMs / 1000);
    };
    /** @type {Record<'helperMapChunked' | 'helperMapChunkedProcess', number[]>} */
    const mapSamples = { helperMapChunked: [], helperMapChunkedProcess: [] };
    /** @type {Record<'helperMapChunked' | 'helperMapChunkedProcess', (number | null)[]>} */
    const mapOthers = { helperMapChunked: [], helperMapChunkedProcess: [] };
    log(`chunked map: ${settings.mapItems.toLocaleString('en-US')} trivial items per round, default chunk size ${Math.ceil(settings.mapItems / (4 * workers)).toLocaleString('en-US')}; warm-up`);
    await mapRound(helperThread);
    await mapRound(helperProcess);
    for (let round = 0; round < settings.rounds; round++) {
      const t = await withOthers(() => mapRound(helperThread));
      const p = await withOthers(() => mapRound(helperProcess));
      mapSamples.helperMapChunked.push(t.value);
      mapSamples.helperMapChunkedProcess.push(p.value);
      mapOthers.helperMapChunked.push(t.others);
      mapOthers.helperMapChunkedProcess.push(p.others);
      log(`chunked map: round ${round + 1}/${settings.rounds} threads ${perSecond(t.value)}, processes ${perSecond(p.value)}${othersNote(t.others ?? p.others)}`);
    }
    await stopAll();

    // ---- 3. start-up -----------------------------------------------------
    /** @param {'thread' | 'process'} backend */
    const startupOnce = async (backend) => {
      const start = performance.now();
      const pool = new kh.Pool({ workers, backend });
      try {
        const seen = new Set();
        // one whoAmI per worker, sent together so each idle worker takes one; again until all answered
        for (let attempt = 0; seen.size < workers; attempt++) {
          if (attempt === 50) throw new Error(`start-up: only ${seen.size} of ${workers} ${backend} workers answered`);
          const who = await Promise.all(Array.from({ length: workers }, () => pool.applyAsync('whoAmI', []).get()));
          for (const w of who) seen.add(`${w.pid}/${w.threadId}`);
        }
        return performance.now() - start;
      } finally {
        await pool.terminate();
      }
    };
    /** @type {Record<'thread' | 'process', number[]>} */
    const startupSamples = { thread: [], process: [] };
    log(`start-up: warm-up (loads modules once)`);
    await startupOnce('thread');
    await startupOnce('process');
    for (let i = 0; i < settings.startups; i++) {
      for (const backend of /** @type {const} */ (['thread', 'process'])) {
        const ms = await startupOnce(backend);
        startupSamples[backend].push(ms);
        log(`start-up: ${i + 1}/${settings.startups} ${backend.padEnd(7)} ${fmtMs(ms)}`);
      }
    }

    // ---- 4. heavy tasks: speed-up and efficiency ---------------------------
    log('heavy tasks: calibrating leibnizPi in this thread');
    for (let i = 0; i < 5; i++) kh.leibnizPi(10_000_000);
    const calibration = [];
    for (let i = 0; i < 7; i++) {
      const start = performance.now();
      kh.leibnizPi(20_000_000);
      calibration.push((performance.now() - start) / 20_000_000);
    }
    // the fastest run: the one least disturbed by other work on the machine
    const msPerTerm = Math.min(...calibration);
    const heavyTerms = Math.max(1_000_000, Math.round(settings.heavyTaskMs / msPerTerm / 1e6) * 1e6);
    const heavyTasks = 4 * workers;
    log(`heavy tasks: ${heavyTasks} tasks x leibnizPi(${heavyTerms.toLocaleString('en-US')}) (~${settings.heavyTaskMs} ms each); starting thread and process pools`);
    const heavyThread = helperPool('thread');
    const heavyProcess = helperPool('process');
    const serialRun = () => {
      const start = performance.now();
      let sum = 0;
      for (let t = 0; t < heavyTasks; t++) sum += kh.leibnizPi(heavyTerms);
      if (!(sum > 0)) throw new Error('leibnizPi returned a wrong value');
      return performance.now() - start;
    };
    /** @param {import('kernel-helpers').Pool} pool */
    const pooledRun = async (pool) => {
      const start = performance.now();
      const values = await Promise.all(Array.from({ length: heavyTasks }, () => pool.applyAsync('leibnizPi', [heavyTerms]).get()));
      if (!values.every((v) => v > 3 && v < 3.2)) throw new Error('leibnizPi returned a wrong value');
      return performance.now() - start;
    };
    log('heavy tasks: warm-up (serial, threads, processes)');
    serialRun();
    await pooledRun(heavyThread);
    await pooledRun(heavyProcess);
    /** @type {Record<'serial' | 'thread' | 'process', number[]>} */
    const heavySamples = { serial: [], thread: [], process: [] };
    /** @type {Record<'serial' | 'thread' | 'process', (number | null)[]>} */
    const heavyOthers = { serial: [], thread: [], process: [] };
    /** @type {Record<'serial' | 'thread' | 'process', (number | null)[]>} */
    const heavyCpu = { serial: [], thread: [], process: [] };
    /** @type {Record<'serial' | 'thread' | 'process', () => Promise<number>>} */
    const heavyCases = {
      serial: async () => serialRun(),
      thread: () => pooledRun(heavyThread),
      process: () => pooledRun(heavyProcess),
    };
    const heavyOrder = /** @type {const} */ (['serial', 'thread', 'process']);
    for (let round = 0; round < settings.heavyRounds; round++) {
      for (let k = 0; k < heavyOrder.length; k++) {
        const name = heavyOrder[(round + k) % heavyOrder.length] ?? 'serial';
        const { value: ms, others, ownCpuMs } = await withOthers(heavyCases[name]);
        heavySamples[name].push(ms);
        heavyOthers[name].push(others);
        heavyCpu[name].push(ownCpuMs);
        const cpuNote = ownCpuMs === null ? '' : `, CPU ${fmtMs(ownCpuMs)} = ${(ownCpuMs / ms).toFixed(2)} cores busy`;
        log(`heavy tasks: round ${round + 1}/${settings.heavyRounds} ${name.padEnd(7)} ${fmtMs(ms).padStart(7)}${cpuNote}${othersNote(others)}`);
      }
    }
    await stopAll();
    const serialMs = median(heavySamples.serial);
    /** @param {(number | null)[]} xs */
    const medianOrNull = (xs) => (xs.every((x) => x !== null) && xs.length > 0 ? median(/** @type {number[]} */ (xs)) : null);
    const serialCpuMs = medianOrNull(heavyCpu.serial);
    /** @param {'thread' | 'process'} backend */
    const heavyResult = (backend) => {
      const pooledMs = median(heavySamples[backend]);
      const speedup = kh.speedup(serialMs, pooledMs);
      const pooledCpuMs = medianOrNull(heavyCpu[backend]);
      return {
        serialMs,
        pooledMs,
        speedup,
        efficiency: speedup / workers,
        // Where efficiency is lost: utilization = pooled CPU time / (workers x pooled wall time)
        // (below 1: cores idle, e.g. waiting for tasks); cpuInflation = pooled CPU time / serial
        // CPU time of the same work (above 1: each core ran slower while all were busy).
        // efficiency ~= utilization / cpuInflation. Null without Linux /proc.
        serialCpuMs,
        pooledCpuMs,
        utilization: pooledCpuMs === null ? null : pooledCpuMs / (workers * pooledMs),
        cpuInflation: pooledCpuMs === null || !serialCpuMs ? null : pooledCpuMs / serialCpuMs,
        serialSamplesMs: heavySamples.serial,
        pooledSamplesMs: heavySamples[backend],
        serialOtherCores: heavyOthers.serial,
        pooledOtherCores: heavyOthers[backend],
        serialCpuSamplesMs: heavyCpu.serial,
        pooledCpuSamplesMs: heavyCpu[backend],
        // per round (serial and pooled of the same round), for a look at the spread
        efficiencyPerRound: heavySamples[backend].map((p, i) => /** @type {number} */ (heavySamples.serial[i]) / p / workers),
      };
    };
    const heavy = { tasks: heavyTasks, terms: heavyTerms, workers, thread: heavyResult('thread'), process: heavyResult('process') };

    // ---- 5. Node serial Leibniz ------------------------------------------
    log(`serial Leibniz sum in Node, N = ${settings.serialTerms.toLocaleString('en-US')}, ${settings.nodeSerialRepeats} runs after 3 warm-up runs`);
    for (let i = 0; i < 3; i++) kh.leibnizPi(settings.serialTerms);
    const nodeSerialSamples = [];
    for (let i = 0; i < settings.nodeSerialRepeats; i++) {
      const start = performance.now();
      const v = kh.leibnizPi(settings.serialTerms);
      nodeSerialSamples.push(performance.now() - start);
      if (!(v > 3 && v < 3.2)) throw new Error('leibnizPi returned a wrong value');
    }
    const nodeSerialMs = median(nodeSerialSamples);
    log(`serial Leibniz sum in Node: median ${fmtMs(nodeSerialMs)}`);

    // ---- 6. Python ---------------------------------------------------------
    const pythonArgs = [
      '--workers', String(workers),
      '--tasks', String(settings.roundTrips),
      '--rounds', String(settings.rounds),
      '--terms', String(settings.serialTerms),
      '--repeats', String(settings.pythonSerialRepeats),
    ];
    /** @type {PythonResult | null} */
    let python = null;
    const pythonErrors = [];
    /** @type {number | null} */
    let pythonOthers = null;
    for (const exe of options.pythons) {
      log(`python: running scripts/bench_python.py with ${exe} (timeout ${settings.pythonTimeoutS} s)`);
      const { value: outcome, others } = await withOthers(() => runPythonOnce(exe, pythonArgs, settings.pythonTimeoutS * 1000));
      pythonOthers = others;
      if (outcome.ok) {
        python = outcome.result;
        log(`python: ${python.implementation} ${python.version} (${python.executable}), start method ${python.startMethod}`);
        break;
      }
      pythonErrors.push(outcome.error);
      log(`python: ${outcome.error}`);
      if (outcome.fatal) break;
    }
    if (!python) log('python: no Python ran; its rows are null');

    // ---- results -------------------------------------------------------------
    /** @param {number[]} xs */
    const med = (xs) => median(xs);
    const throughput = {
      helperPool: med(/** @type {number[]} */ (rtSamples.helperPool)),
      workerpool: med(/** @type {number[]} */ (rtSamples.workerpool)),
      piscina: med(/** @type {number[]} */ (rtSamples.piscina)),
      python: python ? python.applyAsyncPerSecond : null,
      helperMapChunked: med(mapSamples.helperMapChunked),
      helperPoolProcess: med(/** @type {number[]} */ (rtSamples.helperPoolProcess)),
      workerpoolProcess: med(/** @type {number[]} */ (rtSamples.workerpoolProcess)),
      helperMapChunkedProcess: med(mapSamples.helperMapChunkedProcess),
    };
    const throughputSamples = { ...rtSamples, ...mapSamples, python: python ? python.applyAsyncSamplesPerSecond : null };
    const throughputDescriptions = {
      ...Object.fromEntries(contenders.map(([key, what]) => [key, `round trips/s: ${what}`])),
      python: 'round trips/s: Python multiprocessing.Pool.apply_async + get(), processes (scripts/bench_python.py)',
      helperMapChunked: 'items/s: kernel-helpers Pool.map("echo", items), default chunk size, threads',
      helperMapChunkedProcess: 'items/s: kernel-helpers Pool.map("echo", items), default chunk size, processes',
    };
    const throughputOtherCores = { ...rtOthers, ...mapOthers, python: pythonOthers };
    const startupMs = { thread: med(startupSamples.thread), process: med(startupSamples.process) };
    const efficiency = { thread: heavy.thread.efficiency, process: heavy.process.efficiency };
    const serialVsPython = python ? python.serialMs / nodeSerialMs : null;

    const targets = [
      {
        name: 'efficiency.thread',
        description: 'parallel efficiency, heavy tasks, threads',
        value: efficiency.thread,
        target: TARGETS.efficiencyThread,
        met: efficiency.thread >= TARGETS.efficiencyThread,
      },
      {
        name: 'efficiency.process',
        description: 'parallel efficiency, heavy tasks, processes',
        value: efficiency.process,
        target: TARGETS.efficiencyProcess,
        met: efficiency.process >= TARGETS.efficiencyProcess,
      },
      {
        name: 'helperPool / workerpool',
        description: 'round trips/s of kernel-helpers Pool over raw workerpool (threads)',
        value: throughput.helperPool / throughput.workerpool,
        target: TARGETS.helperPoolVsWorkerpool,
        met: throughput.helperPool / throughput.workerpool >= TARGETS.helperPoolVsWorkerpool,
      },
      {
        name: 'helperMapChunked / piscina',
        description: 'items/s of chunked map over piscina round trips/s',
        value: throughput.helperMapChunked / throughput.piscina,
        target: TARGETS.mapChunkedVsPiscina,
        met: throughput.helperMapChunked / throughput.piscina >= TARGETS.mapChunkedVsPiscina,
      },
    ];

    await stopAll(); // (already stopped) so that every child's CPU time is counted as ours below
    const otherCpuCores = otherCores(cpuAtStart, cpuSnapshot());
    const createdAt = new Date();
    const report = {
      schema: 1,
      createdAt: createdAt.toISOString(),
      durationS: (performance.now() - runStart) / 1000,
      mode: options.quick ? 'quick' : 'full',
      definitions: DEFINITIONS,
      machine: { ...machine, loadAverage: os.loadavg(), otherCpuCores },
      versions: { ...versions, node: process.version },
      settings: { ...settings, workers },
      throughput,
      throughputDescriptions,
      throughputSamples,
      throughputOtherCores,
      startupMs,
      startupSamplesMs: startupSamples,
      heavy,
      efficiency,
      serial: {
        terms: settings.serialTerms,
        nodeSerialMs,
        nodeSamplesMs: nodeSerialSamples,
        pythonSerialMs: python ? python.serialMs : null,
        pythonSamplesMs: python ? python.serialSamplesMs : null,
      },
      serialVsPython,
      python: python
        ? {
            available: true,
            executable: python.executable,
            version: python.version,
            implementation: python.implementation,
            startMethod: python.startMethod,
            workers: python.workers,
            tasks: python.tasks,
          }
        : { available: false, errors: pythonErrors },
      targets,
    };

    fs.mkdirSync(options.out, { recursive: true });
    const stamp = createdAt.toISOString().replace(/[:.]/g, '-');
    const latest = path.join(options.out, 'latest.json');
    const copy = path.join(options.out, `bench-${stamp}.json`);
    const text = `${JSON.stringify(report, null, 2)}\n`;
    fs.writeFileSync(copy, text);
    fs.writeFileSync(latest, text);

    // ---- table -----------------------------------------------------------------
    const na = 'n/a (no Python)';
    const rows = [
      ['round trips/s, kernel-helpers Pool.applyAsync (threads)', perSecond(throughput.helperPool)],
      ['round trips/s, raw workerpool (threads)', perSecond(throughput.workerpool)],
      ['round trips/s, piscina (threads)', perSecond(throughput.piscina)],
      ['round trips/s, kernel-helpers Pool.applyAsync (processes)', perSecond(throughput.helperPoolProcess)],
      ['round trips/s, raw workerpool (processes)', perSecond(throughput.workerpoolProcess)],
      ['round trips/s, Python Pool.apply_async (processes)', throughput.python === null ? na : perSecond(throughput.python)],
      ['items/s, kernel-helpers chunked map (threads)', perSecond(throughput.helperMapChunked)],
      ['items/s, kernel-helpers chunked map (processes)', perSecond(throughput.helperMapChunkedProcess)],
      ['pool start-up until all answered, threads', fmtMs(startupMs.thread)],
      ['pool start-up until all answered, processes', fmtMs(startupMs.process)],
      [`heavy: ${heavyTasks} x leibnizPi(${heavyTerms.toExponential(2)}) serial`, fmtMs(serialMs)],
      ['heavy: pooled, threads (speed-up, efficiency)', `${fmtMs(heavy.thread.pooledMs)} (${heavy.thread.speedup.toFixed(2)}x, ${efficiency.thread.toFixed(3)})`],
      ['heavy: pooled, processes (speed-up, efficiency)', `${fmtMs(heavy.process.pooledMs)} (${heavy.process.speedup.toFixed(2)}x, ${efficiency.process.toFixed(3)})`],
      ...(heavy.thread.utilization === null || heavy.process.utilization === null
        ? []
        : [
            [
              'heavy: pool utilization / CPU inflation, threads',
              `${heavy.thread.utilization.toFixed(3)} / ${heavy.thread.cpuInflation?.toFixed(3) ?? 'n/a'}`,
            ],
            [
              'heavy: pool utilization / CPU inflation, processes',
              `${heavy.process.utilization.toFixed(3)} / ${heavy.process.cpuInflation?.toFixed(3) ?? 'n/a'}`,
            ],
          ]),
      [`serial Leibniz N = ${settings.serialTerms.toExponential(0)}: Node`, fmtMs(nodeSerialMs)],
      [`serial Leibniz N = ${settings.serialTerms.toExponential(0)}: Python`, python ? fmtMs(python.serialMs) : na],
      ['serialVsPython = Python ms / Node ms (> 1: Node faster)', serialVsPython === null ? na : `${serialVsPython.toFixed(1)}x`],
    ];
    console.log('');
    console.log(`Benchmark (${report.mode}), ${workers} workers, medians of ${settings.rounds} rounds; ${kh.machineLine(machine)}`);
    if (python) console.log(`Python: ${python.implementation} ${python.version} (${python.executable}), multiprocessing start method ${python.startMethod}`);
    console.log(`Round trip: ${DEFINITIONS.roundTrip}`);
    console.log('');
    console.log(table(['measurement', 'median'], rows));
    console.log('');
    console.log(
      table(
        ['target', 'measured', 'target', 'met'],
        targets.map((t) => [t.name, t.value.toFixed(t.target >= 10 ? 1 : 3), `>= ${t.target}`, t.met ? 'yes' : 'NO']),
      ),
    );
    console.log('');
    if (otherCpuCores !== null) {
      const noisy = otherCpuCores > 0.1 ? ' -- the machine was shared: parallel numbers are on the low side' : '';
      console.log(`Other processes kept ${otherCpuCores.toFixed(2)} of ${machine.logicalCores} cores busy on average during the run${noisy}`);
    }
    console.log(`Load average (1, 5, 15 min) at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(', ')}`);
    console.log(`Wrote ${path.relative(process.cwd(), latest) || latest} and ${path.basename(copy)} (${report.durationS.toFixed(1)} s)`);
  } finally {
    await stopAll();
  }
}

// Ctrl-C / kill: stop the Python child's process group (it is not in ours), then exit.
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.once(signal, () => {
    if (pythonChild) killGroup(pythonChild);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  });
}

main().catch((error) => {
  console.error(`bench: failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
