// @ts-check
/** Pool start-up: from `new Pool(...)` until every worker has answered one task. */
'use strict';

const { performance } = require('node:perf_hooks');
const { Pool, median } = require('kernel-helpers');
const { formatMs, silentLog } = require('./format');

/**
 * The start-ups of one backend.
 * @typedef {object} StartupSeries
 * @property {number} medianMs - median start-up time
 * @property {number[]} samplesMs - one per timed start-up
 */

/**
 * Starts a pool, waits until every worker has answered `whoAmI`, and stops it.
 * @param {import('kernel-helpers').Backend} backend
 * @param {number} workers
 * @returns {Promise<number>} milliseconds from `new Pool` until the last worker answered
 */
async function startupOnce(backend, workers) {
  const start = performance.now();
  const pool = new Pool({ workers, backend });
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
}

/**
 * Start-up time of each backend: one untimed warm-up start-up each (it loads the
 * modules once), then `count` timed start-ups per backend, alternating.
 * @template {import('kernel-helpers').Backend} B
 * @param {readonly B[]} backends
 * @param {{ workers: number, count: number, log?: import('./format').Log }} sizes
 * @returns {Promise<Record<B, StartupSeries>>}
 */
async function measureStartup(backends, { workers, count, log = silentLog }) {
  log('start-up: warm-up (loads modules once)');
  for (const backend of backends) await startupOnce(backend, workers);
  const samples = /** @type {Record<B, number[]>} */ ({});
  for (const backend of backends) samples[backend] = [];
  for (let i = 0; i < count; i++) {
    for (const backend of backends) {
      const ms = await startupOnce(backend, workers);
      samples[backend].push(ms);
      log(`start-up: ${i + 1}/${count} ${backend.padEnd(7)} ${formatMs(ms)}`);
    }
  }
  const series = /** @type {Record<B, StartupSeries>} */ ({});
  for (const backend of backends) series[backend] = { medianMs: median(samples[backend]), samplesMs: samples[backend] };
  return series;
}

module.exports = { measureStartup };
