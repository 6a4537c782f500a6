// @ts-check
/** The serial Leibniz sum in Node: the Node half of the Node vs Python comparison. */
'use strict';

const { performance } = require('node:perf_hooks');
const { leibnizPi, median } = require('kernel-helpers');
const { formatMs, silentLog } = require('./format');

/**
 * @typedef {object} NodeSerialResult
 * @property {number} terms - Leibniz N of one sum
 * @property {number} medianMs - median time of one sum
 * @property {number[]} samplesMs - one per timed sum
 */

/**
 * Times `repeats` serial leibnizPi(terms) sums in this thread after 3 untimed ones
 * (so that the loop is compiled by the optimising JIT first).
 * @param {{ terms: number, repeats: number, log?: import('./format').Log }} sizes
 * @returns {NodeSerialResult}
 */
function measureNodeSerial({ terms, repeats, log = silentLog }) {
  log(`serial Leibniz sum in Node, N = ${terms.toLocaleString('en-US')}, ${repeats} runs after 3 warm-up runs`);
  for (let i = 0; i < 3; i++) leibnizPi(terms);
  const samplesMs = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    const value = leibnizPi(terms);
    samplesMs.push(performance.now() - start);
    if (!(value > 3 && value < 3.2)) throw new Error('leibnizPi returned a wrong value');
  }
  const medianMs = median(samplesMs);
  log(`serial Leibniz sum in Node: median ${formatMs(medianMs)}`);
  return { terms, medianMs, samplesMs };
}

module.exports = { measureNodeSerial };
