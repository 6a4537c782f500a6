// @ts-check
/** How the bench writes numbers and progress lines. */
'use strict';

const { performance } = require('node:perf_hooks');

/**
 * A progress line sink: `log("...")` prints `[  12.3 s] ...`.
 * @typedef {(message: string) => void} Log
 */

/**
 * A rate for the table: `25,228/s`.
 * @param {number} perSecond
 */
const formatPerSecond = (perSecond) => `${Math.round(perSecond).toLocaleString('en-US')}/s`;

/**
 * A duration with 3 significant digits or so: `650 ms`, `32.2 ms`, `6.83 ms`.
 * @param {number} ms
 */
const formatMs = (ms) => (ms >= 100 ? `${ms.toFixed(0)} ms` : ms >= 10 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(2)} ms`);

/**
 * The noise note of a progress line; empty where it is unknown (not Linux).
 * @param {number | null} otherCores - cores other processes kept busy
 */
const otherCoresNote = (otherCores) => (otherCores === null ? '' : `  (others busy: ${otherCores.toFixed(2)} cores)`);

/**
 * A {@link Log} to stdout that stamps each line with the seconds since `startMs`.
 * @param {number} [startMs] - `performance.now()` at the start of the run (default: now)
 * @returns {Log}
 */
function createLog(startMs = performance.now()) {
  return (message) => {
    const seconds = ((performance.now() - startMs) / 1000).toFixed(1).padStart(6);
    console.log(`[${seconds} s] ${message}`);
  };
}

/**
 * A backend in the plural, for labels: `threads`, `processes`.
 * @param {string} backend
 */
const plural = (backend) => (backend.endsWith('s') ? `${backend}es` : `${backend}s`);

/** A {@link Log} that drops everything (tests). @type {Log} */
const silentLog = () => {};

module.exports = { formatPerSecond, formatMs, otherCoresNote, plural, createLog, silentLog };
