// @ts-check
/**
 * `npm run bench -- --sweep`: kernel-helpers on both backends against Python's
 * multiprocessing at several worker counts, in one run. For each worker count, the
 * Node cells (both backends taking turns), then Python's cells at that count, so that
 * the two sides of a ratio are measured minutes apart at most, on the same machine.
 */
'use strict';

const os = require('node:os');
const { performance } = require('node:perf_hooks');
const { cpuSnapshot, machineLine, machineSummary, measureNodeStart } = require('kernel-helpers');
const { plural, silentLog } = require('./format');
const { calibrateHeavyTerms, measureHeavyTasks } = require('./heavy');
const { SWEEP_SETTINGS, defaultSweepWorkers } = require('./options');
const { PoolRegistry } = require('./pools');
const { measureManagerClients, measureQueueJobs } = require('./primitives');
const { measurePythonSweep } = require('./python');
const { runEnd } = require('./run');
const { measureChunkedMap, measureRoundTrips } = require('./round-trips');
const { nodeStartLine } = require('./node-start');

/** @typedef {import('kernel-helpers').Backend} Backend */
const BACKENDS = /** @type {const} */ (['thread', 'process']);

/**
 * Everything measured at one worker count.
 * @typedef {object} SweepStep
 * @property {number} workers - pool workers, Queue consumers and Manager clients
 * @property {boolean} oversubscribed - more workers than available cores
 * @property {Record<Backend, import('./round-trips').RoundTripSeries>} roundTrips
 * @property {Record<Backend, import('./round-trips').MapSeries>} chunkedMap
 * @property {Record<Backend, import('./primitives').QueueSeries>} queue
 * @property {Record<Backend, import('./primitives').RateSeries>} manager
 * @property {import('./heavy').HeavyResult<Backend>} heavy
 * @property {import('./python').PythonSweepMeasurement} python
 */

/**
 * Everything one sweep measured, as the measurement functions return it.
 * @typedef {object} SweepResults
 * @property {'quick' | 'full'} mode
 * @property {import('./options').SweepSettings} settings - the sizes, the same at every worker count
 * @property {number[]} workerCounts - ascending
 * @property {number} cores - os.availableParallelism(): more workers than this is oversubscribed
 * @property {import('kernel-helpers').MachineSummary} machine
 * @property {import('kernel-helpers').NodeStart} [nodeStart] - what a Node process costs to start here (each process consumer of the Queue cells is one)
 * @property {number} heavyTerms - Leibniz terms of one Node heavy task (Python calibrates its own)
 * @property {SweepStep[]} steps - one per worker count, in order
 * @property {string} command - how the sweep was started
 * @property {Date} createdAt - when the run ended
 * @property {number} durationS
 * @property {number | null} otherCpuCores - cores other processes kept busy on average over the whole run
 * @property {number[]} loadAverage - os.loadavg() at the end
 */

/**
 * Runs the sweep: at each worker count, round trips, chunked map, Manager clients and
 * heavy tasks on a thread and a process pool of that many workers, the Queue job loop
 * with that many Process consumers on each backend, then Python's cells. Every pool is
 * terminated before this returns, also after an error.
 * @param {import('./options').BenchOptions} options - from parseArgs, with `sweep`
 * @param {import('./format').Log} [log] - progress lines
 * @param {string} [command] - the command line, for the report
 * @returns {Promise<SweepResults>}
 */
async function runSweep(options, log = silentLog, command = 'npm run bench -- --sweep') {
  const startMs = performance.now();
  const cpuAtStart = cpuSnapshot();
  const mode = options.quick ? 'quick' : 'full';
  const settings = SWEEP_SETTINGS[mode];
  const cores = os.availableParallelism();
  const workerCounts = options.workers ?? defaultSweepWorkers(cores);
  const machine = machineSummary();
  log(`machine: ${machineLine(machine)}`);
  const over = workerCounts.filter((w) => w > cores);
  log(
    `${mode} sweep at ${workerCounts.join(', ')} worker(s), ${settings.rounds} timed round(s) per cell after 1 warm-up round` +
      (over.length > 0 ? `; ${over.join(', ')} worker(s) on ${cores} cores is oversubscribed` : ''),
  );
  const nodeStart = await measureNodeStart(Math.max(5, 2 * settings.rounds + 1));
  log(nodeStartLine(nodeStart));
  log('heavy tasks: calibrating leibnizPi in this thread');
  const heavyTerms = calibrateHeavyTerms(settings.heavyTaskMs);

  let pythons = options.pythons;
  /** @type {SweepStep[]} */
  const steps = [];
  const registry = new PoolRegistry();
  try {
    for (const workers of workerCounts) {
      log(`--- ${workers} worker(s)${workers > cores ? ` (oversubscribed: ${cores} cores)` : ''}: starting a thread and a process pool`);
      const pools = { thread: registry.helperPool(workers, 'thread'), process: registry.helperPool(workers, 'process') };
      const roundTrips = await measureRoundTrips(
        BACKENDS.map((backend) => ({
          key: backend,
          description: `kernel-helpers Pool.applyAsync + get, ${plural(backend)}`,
          submit: (/** @type {number} */ i) => pools[backend].applyAsync('echo', [i]).get(),
        })),
        { tasksPerRound: settings.roundTrips, rounds: settings.rounds, log },
      );
      const chunkedMap = await measureChunkedMap(
        BACKENDS.map((backend) => ({
          key: backend,
          label: plural(backend),
          description: `kernel-helpers Pool.map("echo", items), default chunk size, ${plural(backend)}`,
          pool: pools[backend],
        })),
        { items: settings.mapItems, rounds: settings.rounds, log },
      );
      const manager = await measureManagerClients(pools, { ops: settings.managerOps, rounds: settings.rounds, log });
      log(`heavy tasks: ${4 * workers} tasks x leibnizPi(${heavyTerms.toLocaleString('en-US')}) (~${settings.heavyTaskMs} ms each)`);
      const heavy = await measureHeavyTasks(pools, { workers, tasks: 4 * workers, terms: heavyTerms, rounds: settings.heavyRounds, log });
      await registry.stopAll();
      const queue = await measureQueueJobs(BACKENDS, { consumers: workers, items: settings.queueItems, rounds: settings.rounds, log });
      const python = await measurePythonSweep(pythons, workers, settings, log);
      if (python.exe) pythons = [python.exe];
      steps.push({ workers, oversubscribed: workers > cores, roundTrips, chunkedMap, queue, manager, heavy, python });
    }
    return {
      mode,
      settings,
      workerCounts,
      cores,
      machine,
      nodeStart,
      heavyTerms,
      steps,
      command,
      ...runEnd(startMs, cpuAtStart),
    };
  } finally {
    await registry.stopAll();
  }
}

module.exports = { runSweep, BACKENDS };
