// @ts-check
/** One whole bench run: every measurement in turn, with the sizes of the chosen mode. */
'use strict';

const os = require('node:os');
const { performance } = require('node:perf_hooks');
const { machineLine, machineSummary } = require('kernel-helpers');
const { cpuSnapshot, otherCores } = require('kernel-helpers');
const { silentLog } = require('./format');
const { calibrateHeavyTerms, measureHeavyTasks } = require('./heavy');
const { SETTINGS } = require('./options');
const { PoolRegistry, startContenders } = require('./pools');
const { measurePython } = require('./python');
const { measureChunkedMap, measureRoundTrips } = require('./round-trips');
const { measureNodeSerial } = require('./serial');
const { measureStartup } = require('./startup');

/**
 * Runs every measurement of the bench: round trips, chunked map, start-up, heavy
 * tasks, serial Node, then Python. Every pool has `os.availableParallelism()` workers
 * and is terminated before this returns, also after an error.
 * @param {import('./options').BenchOptions} options - from parseArgs
 * @param {import('./format').Log} [log] - progress lines
 * @returns {Promise<import('./report').BenchResults>}
 */
async function runBench(options, log = silentLog) {
  const startMs = performance.now();
  const cpuAtStart = cpuSnapshot();
  const mode = options.quick ? 'quick' : 'full';
  const settings = SETTINGS[mode];
  const workers = os.availableParallelism();
  const machine = machineSummary();
  log(`machine: ${machineLine(machine)}`);
  log(`${mode} run: ${workers} workers (= available cores), ${settings.rounds} timed rounds after 1 warm-up round`);
  log(
    `a round trip = one echo(number) task sent to a worker and its result back; ${settings.roundTrips.toLocaleString('en-US')} in flight per round, submitted at once, then awaited`,
  );

  const registry = new PoolRegistry();
  try {
    log('round trips: starting pools (helperPool thread/process, workerpool thread/process, piscina)');
    const contenders = startContenders(registry, workers);
    const roundTrips = await measureRoundTrips(contenders.roundTrips, { tasksPerRound: settings.roundTrips, rounds: settings.rounds, log });
    const chunkedMap = await measureChunkedMap(contenders.chunkedMap, { items: settings.mapItems, rounds: settings.rounds, log });
    await registry.stopAll();

    const startup = await measureStartup(['thread', 'process'], { workers, count: settings.startups, log });

    log('heavy tasks: calibrating leibnizPi in this thread');
    const terms = calibrateHeavyTerms(settings.heavyTaskMs);
    const tasks = 4 * workers;
    log(`heavy tasks: ${tasks} tasks x leibnizPi(${terms.toLocaleString('en-US')}) (~${settings.heavyTaskMs} ms each); starting thread and process pools`);
    const heavyPools = { thread: registry.helperPool(workers, 'thread'), process: registry.helperPool(workers, 'process') };
    const heavy = await measureHeavyTasks(heavyPools, { workers, tasks, terms, rounds: settings.heavyRounds, log });
    await registry.stopAll();

    const nodeSerial = measureNodeSerial({ terms: settings.serialTerms, repeats: settings.nodeSerialRepeats, log });
    const python = await measurePython(options.pythons, {
      workers,
      tasks: settings.roundTrips,
      rounds: settings.rounds,
      terms: settings.serialTerms,
      repeats: settings.pythonSerialRepeats,
      timeoutS: settings.pythonTimeoutS,
      log,
    });

    return {
      mode,
      settings,
      workers,
      machine,
      versions: contenders.versions,
      roundTrips,
      chunkedMap,
      startup,
      heavy,
      nodeSerial,
      python,
      // every pool is stopped by now, so that each child's CPU time counts as ours
      ...runEnd(startMs, cpuAtStart),
    };
  } finally {
    await registry.stopAll();
  }
}

/**
 * The fields every run's JSON ends with: when it was made, how long it took,
 * how many cores other processes kept busy since `cpuAtStart`, and the load.
 * @param {number} startMs - performance.now() at the start
 * @param {ReturnType<typeof cpuSnapshot>} cpuAtStart - cpuSnapshot() at the start
 */
function runEnd(startMs, cpuAtStart) {
  return {
    createdAt: new Date(),
    durationS: (performance.now() - startMs) / 1000,
    otherCpuCores: otherCores(cpuAtStart, cpuSnapshot()),
    loadAverage: os.loadavg(),
  };
}

module.exports = { runBench, runEnd };
