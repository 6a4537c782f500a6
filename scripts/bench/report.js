// @ts-check
/**
 * The one report of `npm run bench`: turns the typed results of every measurement
 * into the JSON that is saved (results/bench/latest.json) and the printed table.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { machineLine, textTable } = require('kernel-helpers');
const { DEFINITIONS, PYTHON_ROUND_TRIP, TARGETS } = require('./definitions');
const { formatMs, formatPerSecond } = require('./format');

/**
 * Everything one run measured, as the measurement functions return it.
 * @typedef {object} BenchResults
 * @property {'quick' | 'full'} mode
 * @property {import('./options').RunSettings} settings - the sizes of the run
 * @property {number} workers - workers of every pool
 * @property {import('kernel-helpers').MachineSummary} machine
 * @property {{ workerpool: string, piscina: string }} versions - of the raw pools compared with
 * @property {Record<import('./pools').RoundTripKey, import('./round-trips').RoundTripSeries>} roundTrips
 * @property {Record<import('./pools').MapKey, import('./round-trips').MapSeries>} chunkedMap
 * @property {Record<import('kernel-helpers').Backend, import('./startup').StartupSeries>} startup
 * @property {import('./heavy').HeavyResult<import('kernel-helpers').Backend>} heavy
 * @property {import('./serial').NodeSerialResult} nodeSerial
 * @property {import('./python').PythonMeasurement} python
 * @property {Date} createdAt - when the run ended
 * @property {number} durationS - how long it took
 * @property {number | null} otherCpuCores - cores other processes kept busy on average over the whole run
 * @property {number[]} loadAverage - os.loadavg() at the end (1, 5, 15 min)
 */

/**
 * A measured ratio against its target.
 * @typedef {object} TargetCheck
 * @property {string} name
 * @property {string} description
 * @property {number} value
 * @property {number} target - the value is to be at least this
 * @property {boolean} met
 */

/**
 * @param {string} name
 * @param {string} description
 * @param {number} value
 * @param {number} target
 * @returns {TargetCheck}
 */
const check = (name, description, value, target) => ({ name, description, value, target, met: value >= target });

/**
 * The JSON document of a run (schema 1).
 * @param {BenchResults} r
 */
function reportJson(r) {
  const { roundTrips: rt, chunkedMap: map, heavy, python } = r;
  const py = python.result;
  const throughput = {
    helperPool: rt.helperPool.roundTripsPerSecond,
    workerpool: rt.workerpool.roundTripsPerSecond,
    piscina: rt.piscina.roundTripsPerSecond,
    python: py ? py.applyAsyncPerSecond : null,
    helperMapChunked: map.helperMapChunked.itemsPerSecond,
    helperPoolProcess: rt.helperPoolProcess.roundTripsPerSecond,
    workerpoolProcess: rt.workerpoolProcess.roundTripsPerSecond,
    helperMapChunkedProcess: map.helperMapChunkedProcess.itemsPerSecond,
  };
  /** @typedef {keyof typeof throughput} ThroughputKey */
  const roundTripEntries = Object.entries(rt);
  const mapEntries = Object.entries(map);
  const efficiency = { thread: heavy.thread.efficiency, process: heavy.process.efficiency };
  return {
    schema: 1,
    createdAt: r.createdAt.toISOString(),
    durationS: r.durationS,
    mode: r.mode,
    definitions: DEFINITIONS,
    machine: { ...r.machine, loadAverage: r.loadAverage, otherCpuCores: r.otherCpuCores },
    versions: { ...r.versions, node: r.machine.node },
    settings: { ...r.settings, workers: r.workers },
    throughput,
    throughputDescriptions: /** @type {Record<ThroughputKey, string>} */ ({
      ...Object.fromEntries(roundTripEntries.map(([key, s]) => [key, `round trips/s: ${s.description}`])),
      python: `round trips/s: ${PYTHON_ROUND_TRIP}`,
      ...Object.fromEntries(mapEntries.map(([key, s]) => [key, `items/s: ${s.description}`])),
    }),
    throughputSamples: /** @type {Record<ThroughputKey, number[] | null>} */ ({
      ...Object.fromEntries(roundTripEntries.map(([key, s]) => [key, s.roundTripsPerSecondSamples])),
      ...Object.fromEntries(mapEntries.map(([key, s]) => [key, s.itemsPerSecondSamples])),
      python: py ? py.applyAsyncSamplesPerSecond : null,
    }),
    throughputOtherCores: /** @type {Record<ThroughputKey, (number | null)[] | number | null>} */ ({
      ...Object.fromEntries([...roundTripEntries, ...mapEntries].map(([key, s]) => [key, s.otherCoresPerRound])),
      python: python.otherCores,
    }),
    startupMs: { thread: r.startup.thread.medianMs, process: r.startup.process.medianMs },
    startupSamplesMs: { thread: r.startup.thread.samplesMs, process: r.startup.process.samplesMs },
    heavy,
    efficiency,
    serial: {
      terms: r.nodeSerial.terms,
      nodeSerialMs: r.nodeSerial.medianMs,
      nodeSamplesMs: r.nodeSerial.samplesMs,
      pythonSerialMs: py ? py.serialMs : null,
      pythonSamplesMs: py ? py.serialSamplesMs : null,
    },
    serialVsPython: py ? py.serialMs / r.nodeSerial.medianMs : null,
    python: py
      ? {
          available: true,
          executable: py.executable,
          version: py.version,
          implementation: py.implementation,
          startMethod: py.startMethod,
          workers: py.workers,
          tasks: py.tasks,
        }
      : { available: false, errors: python.errors },
    targets: [
      check('efficiency.thread', 'parallel efficiency, heavy tasks, threads', efficiency.thread, TARGETS.efficiencyThread),
      check('efficiency.process', 'parallel efficiency, heavy tasks, processes', efficiency.process, TARGETS.efficiencyProcess),
      check(
        'helperPool / workerpool',
        'round trips/s of kernel-helpers Pool over raw workerpool (threads)',
        throughput.helperPool / throughput.workerpool,
        TARGETS.helperPoolVsWorkerpool,
      ),
      check(
        'helperMapChunked / piscina',
        'items/s of chunked map over piscina round trips/s',
        throughput.helperMapChunked / throughput.piscina,
        TARGETS.mapChunkedVsPiscina,
      ),
    ],
  };
}

/** @typedef {ReturnType<typeof reportJson>} BenchReport */

/**
 * The printed report: a header, the table of medians, the targets and the noise.
 * @param {BenchResults} r
 * @param {BenchReport} json
 * @returns {string}
 */
function reportText(r, json) {
  const { throughput, heavy, efficiency, serialVsPython } = json;
  const py = r.python.result;
  const na = 'n/a (no Python)';
  const n = r.settings.serialTerms.toExponential(0);
  /** @param {'thread' | 'process'} backend */
  const pooled = (backend) => `${formatMs(heavy[backend].pooledMs)} (${heavy[backend].speedup.toFixed(2)}x, ${efficiency[backend].toFixed(3)})`;
  /** @param {'thread' | 'process'} backend */
  const cpuSplit = (backend) => `${heavy[backend].utilization?.toFixed(3)} / ${heavy[backend].cpuInflation?.toFixed(3) ?? 'n/a'}`;
  const rows = [
    ['round trips/s, kernel-helpers Pool.applyAsync (threads)', formatPerSecond(throughput.helperPool)],
    ['round trips/s, raw workerpool (threads)', formatPerSecond(throughput.workerpool)],
    ['round trips/s, piscina (threads)', formatPerSecond(throughput.piscina)],
    ['round trips/s, kernel-helpers Pool.applyAsync (processes)', formatPerSecond(throughput.helperPoolProcess)],
    ['round trips/s, raw workerpool (processes)', formatPerSecond(throughput.workerpoolProcess)],
    ['round trips/s, Python Pool.apply_async (processes)', throughput.python === null ? na : formatPerSecond(throughput.python)],
    ['items/s, kernel-helpers chunked map (threads)', formatPerSecond(throughput.helperMapChunked)],
    ['items/s, kernel-helpers chunked map (processes)', formatPerSecond(throughput.helperMapChunkedProcess)],
    ['pool start-up until all answered, threads', formatMs(json.startupMs.thread)],
    ['pool start-up until all answered, processes', formatMs(json.startupMs.process)],
    [`heavy: ${heavy.tasks} x leibnizPi(${heavy.terms.toExponential(2)}) serial`, formatMs(heavy.thread.serialMs)],
    ['heavy: pooled, threads (speed-up, efficiency)', pooled('thread')],
    ['heavy: pooled, processes (speed-up, efficiency)', pooled('process')],
    ...(heavy.thread.utilization === null || heavy.process.utilization === null
      ? []
      : [
          ['heavy: pool utilization / CPU inflation, threads', cpuSplit('thread')],
          ['heavy: pool utilization / CPU inflation, processes', cpuSplit('process')],
        ]),
    [`serial Leibniz N = ${n}: Node`, formatMs(json.serial.nodeSerialMs)],
    [`serial Leibniz N = ${n}: Python`, py ? formatMs(py.serialMs) : na],
    ['serialVsPython = Python ms / Node ms (> 1: Node faster)', serialVsPython === null ? na : `${serialVsPython.toFixed(1)}x`],
  ];
  const targets = json.targets.map((t) => [t.name, t.value.toFixed(t.target >= 10 ? 1 : 3), `>= ${t.target}`, t.met ? 'yes' : 'NO']);
  const lines = [
    '',
    `Benchmark (${r.mode}), ${r.workers} workers, medians of ${r.settings.rounds} rounds; ${machineLine(r.machine)}`,
    ...(py ? [`Python: ${py.implementation} ${py.version} (${py.executable}), multiprocessing start method ${py.startMethod}`] : []),
    `Round trip: ${DEFINITIONS.roundTrip}`,
    '',
    textTable(['measurement', 'median'], rows, { align: ['left', 'right'] }),
    '',
    textTable(['target', 'measured', 'target', 'met'], targets, { align: ['left', 'right', 'right', 'right'] }),
    '',
  ];
  if (r.otherCpuCores !== null) {
    const noisy = r.otherCpuCores > 0.1 ? ' -- the machine was shared: parallel numbers are on the low side' : '';
    lines.push(`Other processes kept ${r.otherCpuCores.toFixed(2)} of ${r.machine.logicalCores} cores busy on average during the run${noisy}`);
  }
  lines.push(`Load average (1, 5, 15 min) at the end: ${r.loadAverage.map((l) => l.toFixed(2)).join(', ')}`);
  return lines.join('\n');
}

/**
 * The report of a run: the JSON to save and the text to print.
 * @param {BenchResults} results - what the measurement functions returned
 * @returns {{ json: BenchReport, text: string }}
 * @example const { json, text } = report(results); console.log(text);
 */
function report(results) {
  const json = reportJson(results);
  return { json, text: reportText(results, json) };
}

/**
 * Saves a report as `<outDir>/latest.json` and a timestamped copy `bench-<createdAt>.json`.
 * @param {string} outDir - created when missing
 * @param {BenchReport} json
 * @returns {{ latest: string, copy: string }} the two paths
 */
function writeReportFiles(outDir, json) {
  fs.mkdirSync(outDir, { recursive: true });
  const latest = path.join(outDir, 'latest.json');
  const copy = path.join(outDir, `bench-${json.createdAt.replace(/[:.]/g, '-')}.json`);
  const text = `${JSON.stringify(json, null, 2)}\n`;
  fs.writeFileSync(copy, text);
  fs.writeFileSync(latest, text);
  return { latest, copy };
}

module.exports = { report, writeReportFiles };
