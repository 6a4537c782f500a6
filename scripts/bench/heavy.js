// @ts-check
/**
 * Heavy tasks (leibnizPi, a few hundred ms each): serial in this thread vs pooled,
 * speed-up and parallel efficiency, and the CPU time that explains the efficiency.
 */
'use strict';

const { performance } = require('node:perf_hooks');
const { leibnizPi, median, parallelEfficiency, speedup } = require('kernel-helpers');
const { formatMs, otherCoresNote, plural, silentLog } = require('./format');
const { takeTurns } = require('./turns');

/**
 * Terms of one leibnizPi call that takes about `taskMs` in this thread (a multiple
 * of a million, at least a million), from the fastest of 7 timed calls after a warm-up.
 * @param {number} taskMs - the target duration of one heavy task
 * @returns {number}
 */
function calibrateHeavyTerms(taskMs) {
  for (let i = 0; i < 5; i++) leibnizPi(10_000_000);
  const msPerTermSamples = [];
  for (let i = 0; i < 7; i++) {
    const start = performance.now();
    leibnizPi(20_000_000);
    msPerTermSamples.push((performance.now() - start) / 20_000_000);
  }
  // the fastest run: the one least disturbed by other work on the machine
  const msPerTerm = Math.min(...msPerTermSamples);
  return Math.max(1_000_000, Math.round(taskMs / msPerTerm / 1e6) * 1e6);
}

/**
 * Serial vs one pool, from the medians of the rounds. CPU fields are null without Linux /proc.
 * @typedef {object} HeavyComparison
 * @property {number} serialMs - median wall time of the serial run
 * @property {number} pooledMs - median wall time of the pooled run
 * @property {number} speedup - serialMs / pooledMs
 * @property {number} efficiency - speedup / workers (1 = perfect scaling)
 * @property {number | null} serialCpuMs - median CPU time of the serial run
 * @property {number | null} pooledCpuMs - median CPU time of the pooled run
 * @property {number | null} utilization - pooledCpuMs / (workers x pooledMs): below 1 when cores sat idle
 * @property {number | null} cpuInflation - pooledCpuMs / serialCpuMs: above 1 when each core computed more slowly
 * @property {number[]} serialSamplesMs
 * @property {number[]} pooledSamplesMs
 * @property {(number | null)[]} serialOtherCores - cores other processes kept busy, per serial round
 * @property {(number | null)[]} pooledOtherCores - the same per pooled round
 * @property {(number | null)[]} serialCpuSamplesMs
 * @property {(number | null)[]} pooledCpuSamplesMs
 * @property {number[]} efficiencyPerRound - serial and pooled of the same round, for a look at the spread
 */

/**
 * The heavy-task measurement: what ran, and serial vs each pool.
 * @template {string} B
 * @typedef {{ tasks: number, terms: number, workers: number } & Record<B, HeavyComparison>} HeavyResult
 */

/**
 * Runs `tasks` leibnizPi(terms) calls one after the other in this thread ("serial")
 * and on each pool (all submitted, then awaited), in rounds taken in turns after one
 * warm-up round each, and compares them.
 * @template {string} B
 * @param {Record<B, import('kernel-helpers').Pool>} pools - e.g. `{ thread, process }`, each of `workers` workers
 * @param {{ workers: number, tasks: number, terms: number, rounds: number, log?: import('./format').Log }} sizes
 * @returns {Promise<HeavyResult<B>>}
 */
async function measureHeavyTasks(pools, { workers, tasks, terms, rounds, log = silentLog }) {
  const backends = /** @type {B[]} */ (Object.keys(pools));
  const serialRun = () => {
    const start = performance.now();
    let sum = 0;
    for (let t = 0; t < tasks; t++) sum += leibnizPi(terms);
    if (!(sum > 0)) throw new Error('leibnizPi returned a wrong value');
    return performance.now() - start;
  };
  /** @param {import('kernel-helpers').Pool} pool */
  const pooledRun = async (pool) => {
    const start = performance.now();
    const values = await Promise.all(Array.from({ length: tasks }, () => pool.applyAsync('leibnizPi', [terms]).get()));
    if (!values.every((v) => v > 3 && v < 3.2)) throw new Error('leibnizPi returned a wrong value');
    return performance.now() - start;
  };
  /** @param {'serial' | B} name */
  const runOnce = (name) => (name === 'serial' ? serialRun() : pooledRun(pools[/** @type {B} */ (name)]));

  log(`heavy tasks: warm-up (serial, ${backends.map(plural).join(', ')})`);
  serialRun();
  // each worker calls leibnizPi 12 times or more, as this thread did while calibrating (calibrateHeavyTerms):
  // the same warm-up on both sides, as V8 optimises a function in each thread or process only after it has run
  // a while there, so a worker's first calls run slower code
  for (const backend of backends) for (let run = 0; run < 3; run++) await pooledRun(pools[backend]);
  const runs = await takeTurns(/** @type {('serial' | B)[]} */ (['serial', ...backends]), rounds, runOnce, (name, round, { value: ms, otherCores, ownCpuMs }) => {
    const cpuNote = ownCpuMs === null ? '' : `, CPU ${formatMs(ownCpuMs)} = ${(ownCpuMs / ms).toFixed(2)} cores busy`;
    log(`heavy tasks: round ${round + 1}/${rounds} ${name.padEnd(7)} ${formatMs(ms).padStart(7)}${cpuNote}${otherCoresNote(otherCores)}`);
  });

  /** @param {'serial' | B} name */
  const samplesMs = (name) => runs[name].map((r) => r.value);
  /** @param {'serial' | B} name */
  const cpuSamplesMs = (name) => runs[name].map((r) => r.ownCpuMs);
  /** @param {(number | null)[]} xs */
  const medianOrNull = (xs) => (xs.length > 0 && xs.every((x) => x !== null) ? median(/** @type {number[]} */ (xs)) : null);
  const serialSamplesMs = samplesMs('serial');
  const serialMs = median(serialSamplesMs);
  const serialCpuMs = medianOrNull(cpuSamplesMs('serial'));

  const result = /** @type {HeavyResult<B>} */ ({ tasks, terms, workers });
  for (const backend of backends) {
    const pooledSamplesMs = samplesMs(backend);
    const pooledMs = median(pooledSamplesMs);
    const pooledCpuMs = medianOrNull(cpuSamplesMs(backend));
    /** @type {HeavyComparison} */
    const comparison = {
      serialMs,
      pooledMs,
      speedup: speedup(serialMs, pooledMs),
      efficiency: parallelEfficiency(serialMs, pooledMs, workers),
      // efficiency ~= utilization / cpuInflation: idle cores vs cores that computed more slowly
      serialCpuMs,
      pooledCpuMs,
      utilization: pooledCpuMs === null ? null : pooledCpuMs / (workers * pooledMs),
      cpuInflation: pooledCpuMs === null || !serialCpuMs ? null : pooledCpuMs / serialCpuMs,
      serialSamplesMs,
      pooledSamplesMs,
      serialOtherCores: runs.serial.map((r) => r.otherCores),
      pooledOtherCores: runs[backend].map((r) => r.otherCores),
      serialCpuSamplesMs: cpuSamplesMs('serial'),
      pooledCpuSamplesMs: cpuSamplesMs(backend),
      efficiencyPerRound: pooledSamplesMs.map((p, i) => parallelEfficiency(/** @type {number} */ (serialSamplesMs[i]), p, workers)),
    };
    /** @type {Record<B, HeavyComparison>} */ (result)[backend] = comparison;
  }
  return result;
}

module.exports = { calibrateHeavyTerms, measureHeavyTasks };
