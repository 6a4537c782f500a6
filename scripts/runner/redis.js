// @ts-check
/**
 * Redis and worker hosts for the notebooks that need them (those whose metadata says
 * `"kernel_helpers": { "needs": ["redis"] }`, i.e. 06): for each such run, a Redis on
 * 127.0.0.1 with a password made for the run (unless REDIS_URL names one) and one worker
 * host per core on this machine, handed to the notebook as REDIS_URL, and all of it
 * stopped afterwards. Uses kernel-helpers' own launchers (built by the set-up by then), so
 * Redis and the hosts also stop if the runner itself is killed.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const paths = require('./paths');
const { ok, step, warn, indent } = require('./output');

const CLUSTER_DIST = path.join(paths.ROOT, 'kernel-helpers', 'dist', 'cluster');

/**
 * @param {string} file - a notebook
 * @returns {boolean} whether its metadata lists "redis" among what it needs
 */
function needsRedis(file) {
  try {
    const needs = JSON.parse(fs.readFileSync(file, 'utf8'))?.metadata?.kernel_helpers?.needs;
    return Array.isArray(needs) && needs.includes('redis');
  } catch {
    return false;
  }
}

/**
 * @typedef {{ env: Record<string, string>, stop: () => Promise<void> }} Services
 */

/**
 * Starts what a notebook run needs: nothing for most notebooks; for one that needs Redis,
 * Redis (REDIS_URL's, or a new one here) and `cores` worker hosts on this machine.
 * When no Redis can be had, it says how to get one and returns no services: the notebook
 * then explains the same and stops at its first cluster cell.
 * @param {{ name: string, file: string }} nb
 * @param {number} cores
 * @returns {Promise<Services | null>}
 */
async function servicesFor(nb, cores) {
  if (!needsRedis(nb.file)) return null;
  const { startRedis, redisInstallHint } = require(path.join(CLUSTER_DIST, 'redis-server.js'));
  const { startWorkerHosts } = require(path.join(CLUSTER_DIST, 'local-hosts.js'));
  const { redactUrl } = require(path.join(CLUSTER_DIST, 'redis-url.js'));
  const external = process.env.REDIS_URL;
  /** @type {{ url: string, stop: () => Promise<void> } | null} */
  let redis = null;
  try {
    redis = external ? null : await startRedis();
  } catch (error) {
    warn(`${nb.name} needs Redis, and none could be started: ${/** @type {Error} */ (error).message.split('\n')[0]}`);
    console.log(indent(redisInstallHint()));
    return null;
  }
  const url = external ?? /** @type {{ url: string }} */ (redis).url;
  step(`[cores=${cores}] ${nb.name}: ${external ? `Redis from REDIS_URL (${redactUrl(url)})` : `Redis started on ${redactUrl(url)} (password made for this run)`}; starting ${cores} worker host(s) here`);
  try {
    const hosts = await startWorkerHosts({ redis: url, count: cores });
    ok(`[cores=${cores}] ${nb.name}: ${cores} worker host(s) ready (pids ${hosts.pids.join(', ')})`);
    return {
      env: { REDIS_URL: url },
      stop: async () => {
        await hosts.stop();
        await redis?.stop();
      },
    };
  } catch (error) {
    await redis?.stop();
    warn(`${nb.name}: the worker hosts did not start: ${/** @type {Error} */ (error).message}`);
    return null;
  }
}

/**
 * @param {{ file: string }[]} notebooks - the notebooks a run selected
 * @returns {boolean} whether any of them needs Redis
 */
const selectionNeedsRedis = (notebooks) => notebooks.some((nb) => needsRedis(nb.file));

module.exports = { needsRedis, servicesFor, selectionNeedsRedis };
