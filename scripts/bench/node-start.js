// @ts-check
/**
 * What one Node process costs to start on this machine, measured by the sweep:
 * every Process consumer of the Queue cells (process backend) is a fresh Node
 * process, where Python's fork start method copies a running one.
 *
 * One setting of the environment weighs here: Node 20 reads the certificates
 * named by NODE_EXTRA_CA_CERTS at every start, used or not (nodejs/node#40524;
 * later Node versions read them when TLS is first used). Some machines set it
 * to the whole system bundle, which can double a start. When it is set, the
 * start is measured with and without it, in turns, so the report can say what
 * it cost; the workers inherit the environment as it is.
 */
'use strict';

const { spawnSync } = require('node:child_process');
const { performance } = require('node:perf_hooks');
const { median } = require('kernel-helpers');

/**
 * @typedef {object} NodeStart
 * @property {number} ms - median wall time of `node -e 0` (spawn to exit) with this environment
 * @property {number[]} samplesMs
 * @property {string | null} extraCaCerts - NODE_EXTRA_CA_CERTS when set, else null
 * @property {number | null} withoutExtraCaCertsMs - the same start with that variable removed (null when it is not set)
 * @property {number[]} withoutSamplesMs
 */

/**
 * Milliseconds from spawning `node -e 0` until it exits.
 * @param {NodeJS.ProcessEnv} env
 */
function timeOneStart(env) {
  const start = performance.now();
  const run = spawnSync(process.execPath, ['-e', '0'], { env, stdio: 'ignore' });
  const ms = performance.now() - start;
  if (run.error) throw run.error;
  if (run.status !== 0) throw new Error(`node -e 0 exited with ${run.status ?? run.signal}`);
  return ms;
}

/**
 * Times `repeats` starts of a bare Node process (after one untimed start), and
 * as many without NODE_EXTRA_CA_CERTS when it is set, taking turns.
 * @param {number} repeats
 * @param {NodeJS.ProcessEnv} [env] - the environment the workers get (default: this process's)
 * @returns {NodeStart}
 */
function measureNodeStart(repeats, env = process.env) {
  const extraCaCerts = env.NODE_EXTRA_CA_CERTS ? env.NODE_EXTRA_CA_CERTS : null;
  const without = { ...env };
  delete without.NODE_EXTRA_CA_CERTS;
  timeOneStart(env);
  /** @type {number[]} */
  const samplesMs = [];
  /** @type {number[]} */
  const withoutSamplesMs = [];
  for (let i = 0; i < repeats; i++) {
    samplesMs.push(timeOneStart(env));
    if (extraCaCerts !== null) withoutSamplesMs.push(timeOneStart(without));
  }
  return {
    ms: median(samplesMs),
    samplesMs,
    extraCaCerts,
    withoutExtraCaCertsMs: extraCaCerts === null ? null : median(withoutSamplesMs),
    withoutSamplesMs,
  };
}

/**
 * The report's line about it.
 * @param {NodeStart} start
 * @returns {string}
 */
function nodeStartLine(start) {
  const base = `Node process start (node -e 0, spawn to exit): ${start.ms.toFixed(0)} ms, median of ${start.samplesMs.length}`;
  if (start.extraCaCerts === null || start.withoutExtraCaCertsMs === null) return base;
  const extra = start.ms - start.withoutExtraCaCertsMs;
  return (
    `${base}; ${start.withoutExtraCaCertsMs.toFixed(0)} ms without NODE_EXTRA_CA_CERTS=${start.extraCaCerts}, which Node 20 reads at every start ` +
    `(${extra >= 0 ? '+' : ''}${extra.toFixed(0)} ms per process: each process consumer of the Queue cells pays it; ` +
    'run the sweep with `env -u NODE_EXTRA_CA_CERTS` to measure without it)'
  );
}

module.exports = { measureNodeStart, nodeStartLine };
