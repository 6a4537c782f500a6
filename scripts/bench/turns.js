// @ts-check
/** Timed rounds in which several contenders take turns. */
'use strict';

const { observe } = require('kernel-helpers');

/**
 * Runs `rounds` rounds; in each, every contender runs once, observed (kernel-helpers' observe).
 * Who goes first rotates from round to round, so that noise from other work on
 * the machine is spread over all contenders instead of hitting one.
 * @template {string} K
 * @template T
 * @param {readonly K[]} names - the contenders, in the order of the first round
 * @param {number} rounds
 * @param {(name: K) => Promise<T> | T} runOnce - one timed run of one contender
 * @param {(name: K, round: number, observed: import('kernel-helpers').Observed<T>) => void} [onRun] - after each run (progress lines)
 * @returns {Promise<Record<K, import('kernel-helpers').Observed<T>[]>>} every run of each contender, in round order
 */
async function takeTurns(names, rounds, runOnce, onRun) {
  const runs = /** @type {Record<K, import('kernel-helpers').Observed<T>[]>} */ ({});
  for (const name of names) runs[name] = [];
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = /** @type {K} */ (names[(round + k) % names.length]);
      const observed = await observe(() => runOnce(name));
      runs[name].push(observed);
      onRun?.(name, round, observed);
    }
  }
  return runs;
}

module.exports = { takeTurns };
