// @ts-check
/**
 * The sweep's Queue and Manager cells: a Queue job loop with P Process consumers,
 * and a Manager written by C pool workers at once, both backends taking turns.
 */
'use strict';

const path = require('node:path');
const { Manager, median, runQueueWorkers, splitEvenly } = require('kernel-helpers');
const { formatMs, formatPerSecond, otherCoresNote, silentLog } = require('./format');
const { takeTurns } = require('./turns');

/** The consumer every Queue cell runs (scripts/bench/queue-consumer.js). */
const CONSUMER = { module: path.join(__dirname, 'queue-consumer.js'), exportName: 'consume' };

/** Gives up on a Queue round when no result arrives for this long (a stuck consumer, not a slow one). */
const QUEUE_STALL_MS = 60_000;

/**
 * A rate measured in rounds.
 * @typedef {object} RateSeries
 * @property {number} perSecond - median over the timed rounds
 * @property {number[]} samplesPerSecond - one per timed round
 * @property {(number | null)[]} otherCoresPerRound - cores other processes kept busy, per round
 */

/**
 * The Queue job loop of one backend.
 * @typedef {RateSeries & { emptyRunMs: number, emptyRunSamplesMs: number[] }} QueueSeries
 * `emptyRunMs`: the same run with no items (consumers start, find the queue empty, end), median:
 * the fixed cost of starting and joining P consumers inside each round's time.
 */

/**
 * One Queue round: `items` numbers put on the input queue, then `consumers` Processes
 * started that take them with getNowait() until it is empty and put each back on the
 * output queue; timed from the first start until every result is read and every consumer joined.
 * @param {import('kernel-helpers').Backend} backend
 * @param {number} consumers
 * @param {number} items
 * @returns {Promise<number>} milliseconds
 */
async function queueRound(backend, consumers, items) {
  const inputs = Array.from({ length: items }, (_, i) => i);
  const { results, elapsedMs } = await runQueueWorkers({
    items: inputs,
    workers: consumers,
    target: CONSUMER,
    args: (_i, input, output) => [input, output],
    backend,
    name: (i) => `consumer-${i + 1}`,
    timeoutMs: QUEUE_STALL_MS,
  });
  let sum = 0;
  for (const r of results) sum += /** @type {number} */ (r);
  if (results.length !== items || sum !== (items * (items - 1)) / 2) throw new Error('the Queue consumers returned wrong items');
  return elapsedMs;
}

/**
 * Items per second of the Queue job loop with `consumers` Process consumers on each
 * backend: one untimed warm-up round each, then `rounds` rounds taken in turns, each
 * followed by an empty run (its fixed cost).
 * @template {import('kernel-helpers').Backend} B
 * @param {readonly B[]} backends
 * @param {{ consumers: number, items: number, rounds: number, log?: import('./format').Log }} sizes
 * @returns {Promise<Record<B, QueueSeries>>}
 */
async function measureQueueJobs(backends, { consumers, items, rounds, log = silentLog }) {
  log(`queue: ${items.toLocaleString('en-US')} items, ${consumers} consumer(s) getNowait until empty, put a result; warm-up`);
  for (const backend of backends) await queueRound(backend, consumers, items);
  /** @type {Record<string, number[]>} */
  const emptyMs = Object.fromEntries(backends.map((b) => [b, []]));
  const runs = await takeTurns(backends, rounds, async (backend) => {
    const ms = await queueRound(backend, consumers, items);
    emptyMs[backend]?.push(await queueRound(backend, consumers, 0));
    return ms;
  }, (backend, round, { value, otherCores }) => {
    const perSecond = items / (value / 1000);
    const empty = emptyMs[backend]?.at(-1) ?? 0;
    log(`queue: round ${round + 1}/${rounds} ${backend.padEnd(7)} ${formatPerSecond(perSecond).padStart(9)} (${formatMs(value)}, of which empty run ${formatMs(empty)})${otherCoresNote(otherCores)}`);
  });
  const series = /** @type {Record<B, QueueSeries>} */ ({});
  for (const backend of backends) {
    const samplesPerSecond = runs[backend].map((r) => items / (r.value / 1000));
    const emptyRunSamplesMs = emptyMs[backend] ?? [];
    series[backend] = {
      perSecond: median(samplesPerSecond),
      samplesPerSecond,
      otherCoresPerRound: runs[backend].map((r) => r.otherCores),
      emptyRunMs: median(emptyRunSamplesMs),
      emptyRunSamplesMs,
    };
  }
  return series;
}

/**
 * Operations per second of a Manager written by every worker of each pool at once:
 * `ops` sets split evenly over the workers (each a client, one operation per message,
 * kernel-helpers' managerWrites task), timed in the owner from submitting until all
 * clients are done. One untimed warm-up round per pool (the clients connect), then
 * `rounds` rounds taken in turns; one Manager serves every pool.
 * @template {string} B
 * @param {Record<B, import('kernel-helpers').Pool>} pools
 * @param {{ ops: number, rounds: number, log?: import('./format').Log }} sizes
 * @returns {Promise<Record<B, RateSeries>>}
 */
async function measureManagerClients(pools, { ops, rounds, log = silentLog }) {
  const names = /** @type {B[]} */ (Object.keys(pools));
  const manager = await Manager.start();
  try {
    /** @param {B} name */
    const managerRound = async (name) => {
      const pool = pools[name];
      const shares = splitEvenly(ops, pool.workers).filter((n) => n > 0);
      const start = performance.now();
      const elapsed = await pool.starmap('managerWrites', shares.map((n) => /** @type {[Manager<number>, number, number]} */ ([manager, n, 1])), { chunkSize: 1 });
      const ms = performance.now() - start;
      if (elapsed.length !== shares.length || (await manager.size()) === 0) throw new Error('the manager clients did not write');
      return ms;
    };
    const clients = Math.min(ops, pools[/** @type {B} */ (names[0])]?.workers ?? 1);
    log(`manager: ${ops.toLocaleString('en-US')} sets from ${clients} client(s) at once, one operation per message; warm-up`);
    for (const name of names) await managerRound(name);
    const runs = await takeTurns(names, rounds, managerRound, (name, round, { value, otherCores }) =>
      log(`manager: round ${round + 1}/${rounds} ${String(name).padEnd(7)} ${formatPerSecond(ops / (value / 1000)).padStart(9)}${otherCoresNote(otherCores)}`),
    );
    const series = /** @type {Record<B, RateSeries>} */ ({});
    for (const name of names) {
      const samplesPerSecond = runs[name].map((r) => ops / (r.value / 1000));
      series[name] = { perSecond: median(samplesPerSecond), samplesPerSecond, otherCoresPerRound: runs[name].map((r) => r.otherCores) };
    }
    return series;
  } finally {
    await manager.shutdown();
  }
}

module.exports = { CONSUMER, queueRound, measureQueueJobs, measureManagerClients };
