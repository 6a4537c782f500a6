// @ts-check
/**
 * The command line of `npm run bench` (scripts/bench.mjs): its flags, its help
 * text and the sizes of a full and a quick run. Needs no build of kernel-helpers,
 * so `--help` and flag errors work before `npm run build`.
 */
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

/** The repository root. */
const ROOT = path.resolve(__dirname, '..', '..');
const DEFAULT_OUT = path.join(ROOT, 'results', 'bench');
const DEFAULT_PYTHONS = ['python3', '/usr/bin/python3'];

/**
 * Sizes of one run.
 * @typedef {object} RunSettings
 * @property {number} rounds - timed rounds of every measurement (after one untimed warm-up round)
 * @property {number} roundTrips - trivial tasks in flight per round-trip round
 * @property {number} mapItems - items per chunked-map round
 * @property {number} startups - pool start-ups per backend
 * @property {number} heavyTaskMs - target duration of one heavy task
 * @property {number} heavyRounds - timed rounds of the heavy tasks
 * @property {number} serialTerms - Leibniz N of the Node vs Python serial comparison
 * @property {number} nodeSerialRepeats - Node takes ~10 ms per sum: many repeats
 * @property {number} pythonSerialRepeats - timed serial sums in Python
 * @property {number} pythonTimeoutS - how long the Python part may take before it is stopped
 */

/** @type {Readonly<Record<'full' | 'quick', Readonly<RunSettings>>>} */
const SETTINGS = {
  full: {
    rounds: 5,
    roundTrips: 20_000,
    mapItems: 500_000,
    startups: 7,
    heavyTaskMs: 250,
    heavyRounds: 7,
    serialTerms: 5_000_000,
    nodeSerialRepeats: 60,
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

/**
 * Sizes of one sweep (`--sweep`): the same for every worker count, so that cells compare.
 * @typedef {object} SweepSettings
 * @property {number} rounds - timed rounds of every cell (after one untimed warm-up round)
 * @property {number} roundTrips - trivial tasks in flight per round-trip round (applyAsync + get)
 * @property {number} mapItems - trivial items per chunked-map round (default chunk size)
 * @property {number} queueItems - items the P consumers take from the input Queue per round
 * @property {number} managerOps - manager `set`s per round, split evenly over the C clients
 * @property {number} heavyTaskMs - target duration of one heavy task, in each language's own serial loop
 * @property {number} heavyRounds - timed rounds of the heavy tasks
 * @property {number} pythonTimeoutS - how long the Python part of ONE worker count may take before it is stopped
 */

/** @type {Readonly<Record<'full' | 'quick', Readonly<SweepSettings>>>} */
const SWEEP_SETTINGS = {
  full: {
    rounds: 5,
    roundTrips: 20_000,
    mapItems: 200_000,
    queueItems: 20_000,
    managerOps: 20_000,
    heavyTaskMs: 60,
    heavyRounds: 5,
    pythonTimeoutS: 600,
  },
  quick: {
    rounds: 1,
    roundTrips: 2_000,
    mapItems: 20_000,
    queueItems: 1_000,
    managerOps: 1_000,
    heavyTaskMs: 15,
    heavyRounds: 1,
    pythonTimeoutS: 120,
  },
};

/** The most workers `--workers` accepts in one cell. */
const MAX_SWEEP_WORKERS = 256;

/**
 * The sweep's default worker counts: 1, 4 and every available core, without repeats, ascending
 * (2 cores: 1, 2, 4, where 4 is oversubscribed; 16 cores: 1, 4, 16).
 * @param {number} [cores] - default `os.availableParallelism()`
 * @returns {number[]}
 */
const defaultSweepWorkers = (cores = os.availableParallelism()) => [...new Set([1, 4, cores])].sort((a, b) => a - b);

/**
 * Reads `--workers 1,4,16`: whole numbers from 1 to {@link MAX_SWEEP_WORKERS}, comma-separated,
 * returned without repeats in ascending order.
 * @param {string} text
 * @returns {number[]}
 * @throws {UsageError} naming `--workers` and showing the bad value
 * @example parseWorkerList('16,1,4') // [1, 4, 16]
 */
function parseWorkerList(text) {
  const parts = text.split(',').map((p) => p.trim());
  const bad = parts.find((p) => !/^\d+$/.test(p) || Number(p) < 1 || Number(p) > MAX_SWEEP_WORKERS);
  if (bad !== undefined) {
    throw new UsageError(
      `--workers expects whole numbers from 1 to ${MAX_SWEEP_WORKERS}, comma-separated (e.g. --workers 1,4,16), got ${JSON.stringify(text)}`,
    );
  }
  return [...new Set(parts.map(Number))].sort((a, b) => a - b);
}

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
  --sweep          the sweep instead: kernel-helpers (threads and processes)
                   against Python's multiprocessing at several worker counts,
                   for heavy-task efficiency, round trips, chunked map, Queue
                   consumers and Manager clients; prints the ratio table and
                   writes <out>/sweep-latest.json and sweep-latest.html (plotly
                   figures inline, no network), plus timestamped copies.
                   Full: a few minutes on 2 cores; with --quick: well under one.
  --workers LIST   worker counts of the sweep, e.g. 1,4,16 (default: 1, 4 and
                   all available cores; more than the cores is oversubscribed)
  -h, --help       show this help
`;

/** A flag on the command line is unknown, lacks its value or has a bad one; the message says which. */
class UsageError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'UsageError';
  }
}

/** @type {Record<string, string>} */
const EXAMPLE_VALUES = { '--out': 'results/bench', '--python': 'python3', '--workers': '1,4,16' };

/**
 * What the command line asked for.
 * @typedef {object} BenchOptions
 * @property {boolean} quick - the short run
 * @property {string} out - absolute path of the output folder
 * @property {string[]} pythons - Python executables to try, in order
 * @property {boolean} help - print the help and stop
 * @property {boolean} sweep - the sweep against Python at several worker counts instead of the one-size run
 * @property {number[] | null} workers - the sweep's worker counts; null: {@link defaultSweepWorkers}
 */

/**
 * Parses the bench's flags (`--flag value` or `--flag=value`).
 * @param {readonly string[]} argv - the arguments after the script name
 * @returns {BenchOptions}
 * @throws {UsageError} naming the flag when one is unknown, lacks its value, or `--out` is a file
 * @example parseArgs(['--quick', '--out', 'results/bench']).quick // true
 */
function parseArgs(argv) {
  /** @type {BenchOptions} */
  const options = { quick: false, out: DEFAULT_OUT, pythons: DEFAULT_PYTHONS, help: false, sweep: false, workers: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = /** @type {string} */ (argv[i]);
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith('--') && eq > 0 ? arg.slice(eq + 1) : undefined;
    /** @param {string} flag */
    const value = (flag) => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '' || (inline === undefined && v.startsWith('--'))) {
        throw new UsageError(`${flag} needs a value, e.g. ${flag} ${EXAMPLE_VALUES[flag] ?? ''}`);
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
    else if (name === '--sweep') {
      if (inline !== undefined) throw new UsageError('--sweep takes no value');
      options.sweep = true;
    } else if (name === '--workers') options.workers = parseWorkerList(value('--workers'));
    else throw new UsageError(`unknown option ${arg} (try --help)`);
  }
  if (options.workers !== null && !options.sweep) throw new UsageError('--workers belongs to the sweep: add --sweep (e.g. --sweep --workers 1,4,16)');
  return options;
}

module.exports = {
  ROOT,
  DEFAULT_OUT,
  DEFAULT_PYTHONS,
  SETTINGS,
  SWEEP_SETTINGS,
  MAX_SWEEP_WORKERS,
  HELP,
  UsageError,
  parseArgs,
  parseWorkerList,
  defaultSweepWorkers,
};
