// @ts-check
/**
 * Trivial tasks through a pool: round trips per second (one task per message)
 * and items per second through kernel-helpers' chunked `Pool.map`.
 */
'use strict';

const { performance } = require('node:perf_hooks');
const { median } = require('kernel-helpers');
const { observe } = require('kernel-helpers');
const { formatPerSecond, otherCoresNote, silentLog } = require('./format');
const { takeTurns } = require('./turns');

/**
 * One pool whose round trips are timed.
 * @template {string} K
 * @typedef {object} RoundTripContender
 * @property {K} key - its name in the results (`helperPool`, `piscina`, ...)
 * @property {string} description - what it is, with the library's version
 * @property {(i: number) => PromiseLike<unknown>} submit - sends echo(i) and resolves with the answer
 */

/**
 * The round trips of one contender.
 * @typedef {object} RoundTripSeries
 * @property {string} description - what was measured
 * @property {number} roundTripsPerSecond - median over the timed rounds
 * @property {number[]} roundTripsPerSecondSamples - one per timed round
 * @property {(number | null)[]} otherCoresPerRound - cores other processes kept busy, per round
 */

/**
 * Times one round of `tasks` trivial tasks submitted at once, then awaited.
 * @param {(i: number) => PromiseLike<unknown>} submit - sends echo(i)
 * @param {number} tasks
 * @returns {Promise<number>} round trips per second
 */
async function roundTripRound(submit, tasks) {
  const promises = new Array(tasks);
  const start = performance.now();
  for (let i = 0; i < tasks; i++) promises[i] = submit(i);
  const values = await Promise.all(promises);
  const elapsedMs = performance.now() - start;
  let sum = 0;
  for (const v of values) sum += /** @type {number} */ (v);
  if (sum !== (tasks * (tasks - 1)) / 2) throw new Error('echo returned wrong values');
  return tasks / (elapsedMs / 1000);
}

/**
 * Round trips per second of each contender: one untimed warm-up round each, then
 * `rounds` timed rounds taken in turns.
 * @template {string} K
 * @param {readonly RoundTripContender<K>[]} contenders
 * @param {{ tasksPerRound: number, rounds: number, log?: import('./format').Log }} sizes
 * @returns {Promise<Record<K, RoundTripSeries>>}
 */
async function measureRoundTrips(contenders, { tasksPerRound, rounds, log = silentLog }) {
  const byKey = new Map(contenders.map((c) => [c.key, c]));
  const contender = (/** @type {K} */ key) => /** @type {RoundTripContender<K>} */ (byKey.get(key));
  for (const { key, submit } of contenders) {
    log(`round trips: warm-up ${key}`);
    await roundTripRound(submit, tasksPerRound);
  }
  const runs = await takeTurns(
    contenders.map((c) => c.key),
    rounds,
    (key) => roundTripRound(contender(key).submit, tasksPerRound),
    (key, round, { value, otherCores }) =>
      log(`round trips: round ${round + 1}/${rounds} ${key.padEnd(17)} ${formatPerSecond(value).padStart(9)}${otherCoresNote(otherCores)}`),
  );
  const series = /** @type {Record<K, RoundTripSeries>} */ ({});
  for (const { key, description } of contenders) {
    const samples = runs[key].map((r) => r.value);
    series[key] = {
      description,
      roundTripsPerSecond: median(samples),
      roundTripsPerSecondSamples: samples,
      otherCoresPerRound: runs[key].map((r) => r.otherCores),
    };
  }
  return series;
}

/**
 * One pool whose chunked map is timed.
 * @template {string} K
 * @typedef {object} MapContender
 * @property {K} key - its name in the results (`helperMapChunked`, ...)
 * @property {string} label - its name in progress lines (`threads`)
 * @property {string} description - what it is
 * @property {import('kernel-helpers').Pool} pool
 */

/**
 * The chunked map of one contender.
 * @typedef {object} MapSeries
 * @property {string} description - what was measured
 * @property {number} itemsPerSecond - median over the timed rounds
 * @property {number[]} itemsPerSecondSamples - one per timed round
 * @property {(number | null)[]} otherCoresPerRound - cores other processes kept busy, per round
 */

/**
 * Items per second through `pool.map("echo", items)` with the default chunk size
 * (items / (4 x workers) per message): one warm-up round per pool, then `rounds`
 * rounds in which the pools run one after the other.
 * @template {string} K
 * @param {readonly MapContender<K>[]} contenders
 * @param {{ items: number, rounds: number, log?: import('./format').Log }} sizes
 * @returns {Promise<Record<K, MapSeries>>}
 */
async function measureChunkedMap(contenders, { items, rounds, log = silentLog }) {
  const inputs = Array.from({ length: items }, (_, i) => i);
  /** @param {import('kernel-helpers').Pool} pool */
  const mapRound = async (pool) => {
    const start = performance.now();
    const out = await pool.map('echo', inputs);
    const elapsedMs = performance.now() - start;
    if (out.length !== items || out[items - 1] !== items - 1) throw new Error('map returned wrong values');
    return items / (elapsedMs / 1000);
  };
  const workers = contenders[0]?.pool.workers ?? 1;
  log(`chunked map: ${items.toLocaleString('en-US')} trivial items per round, default chunk size ${Math.ceil(items / (4 * workers)).toLocaleString('en-US')}; warm-up`);
  for (const { pool } of contenders) await mapRound(pool);
  /** @type {import('kernel-helpers').Observed<number>[][]} */
  const runs = contenders.map(() => []);
  for (let round = 0; round < rounds; round++) {
    const parts = [];
    /** @type {number | null} */
    let note = null;
    for (const [i, { label, pool }] of contenders.entries()) {
      const observed = await observe(() => mapRound(pool));
      runs[i]?.push(observed);
      parts.push(`${label} ${formatPerSecond(observed.value)}`);
      note ??= observed.otherCores;
    }
    log(`chunked map: round ${round + 1}/${rounds} ${parts.join(', ')}${otherCoresNote(note)}`);
  }
  const series = /** @type {Record<K, MapSeries>} */ ({});
  for (const [i, { key, description }] of contenders.entries()) {
    const samples = (runs[i] ?? []).map((r) => r.value);
    series[key] = {
      description,
      itemsPerSecond: median(samples),
      itemsPerSecondSamples: samples,
      otherCoresPerRound: (runs[i] ?? []).map((r) => r.otherCores),
    };
  }
  return series;
}

module.exports = { roundTripRound, measureRoundTrips, measureChunkedMap };
