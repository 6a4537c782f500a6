// @ts-check
/**
 * The pools the bench compares: kernel-helpers' Pool (threads and processes), raw
 * workerpool (threads and processes) and piscina, all with the same trivial `echo`
 * task, and a registry that terminates every pool it started, also after an error.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { Pool } = require('kernel-helpers');

const WORKERPOOL_WORKER = path.join(__dirname, '..', 'bench-workers', 'workerpool-echo.js');
const PISCINA_WORKER = path.join(__dirname, '..', 'bench-workers', 'piscina-echo.js');

/**
 * The installed version of a package (piscina's `exports` hide its package.json from require).
 * @param {string} name
 * @returns {string} e.g. "10.0.3", or "unknown"
 */
function packageVersion(name) {
  let dir = path.dirname(require.resolve(name));
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8'));
      if (pkg.name === name) return /** @type {string} */ (pkg.version);
    }
    const parent = path.dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}

/** Every pool started through it, so that `stopAll()` can terminate them all. */
class PoolRegistry {
  /** @type {(() => Promise<unknown>)[]} */
  #stoppers = [];

  /**
   * A kernel-helpers Pool, registered.
   * @param {number} workers
   * @param {import('kernel-helpers').Backend} backend
   */
  helperPool(workers, backend) {
    const pool = new Pool({ workers, backend });
    this.#stoppers.push(() => pool.terminate());
    return pool;
  }

  /**
   * Registers how to stop a pool started elsewhere.
   * @param {() => Promise<unknown>} stop
   */
  add(stop) {
    this.#stoppers.push(stop);
  }

  /** Terminates every registered pool (errors ignored); the registry is empty afterwards. */
  async stopAll() {
    await Promise.allSettled(this.#stoppers.splice(0).map((stop) => stop()));
  }
}

/** @typedef {'helperPool' | 'workerpool' | 'piscina' | 'helperPoolProcess' | 'workerpoolProcess'} RoundTripKey */
/** @typedef {'helperMapChunked' | 'helperMapChunkedProcess'} MapKey */

/**
 * The five round-trip contenders and the two chunked-map ones, on pools of `workers`
 * workers started now and registered in `registry`.
 * @param {PoolRegistry} registry
 * @param {number} workers
 * @returns {{ roundTrips: import('./round-trips').RoundTripContender<RoundTripKey>[],
 *   chunkedMap: import('./round-trips').MapContender<MapKey>[], versions: { workerpool: string, piscina: string } }}
 */
function startContenders(registry, workers) {
  /** @type {typeof import('workerpool')} */
  const workerpool = require('workerpool');
  const { Piscina } = require('piscina');
  const versions = { workerpool: packageVersion('workerpool'), piscina: packageVersion('piscina') };

  const helperThread = registry.helperPool(workers, 'thread');
  const helperProcess = registry.helperPool(workers, 'process');
  const wpThread = workerpool.pool(WORKERPOOL_WORKER, { minWorkers: workers, maxWorkers: workers, workerType: 'thread' });
  registry.add(async () => void (await wpThread.terminate(true))); // a workerpool Promise, not a native one
  const wpProcess = workerpool.pool(WORKERPOOL_WORKER, { minWorkers: workers, maxWorkers: workers, workerType: 'process' });
  registry.add(async () => void (await wpProcess.terminate(true)));
  const piscina = new Piscina({ filename: PISCINA_WORKER, minThreads: workers, maxThreads: workers, idleTimeout: 60_000 });
  registry.add(() => piscina.destroy());

  return {
    roundTrips: [
      { key: 'helperPool', description: 'kernel-helpers Pool.applyAsync, threads', submit: (i) => helperThread.applyAsync('echo', [i]).get() },
      { key: 'workerpool', description: `raw workerpool ${versions.workerpool} exec, threads`, submit: (i) => wpThread.exec('echo', [i]) },
      { key: 'piscina', description: `piscina ${versions.piscina} run, threads`, submit: (i) => piscina.run(i, { name: 'echo' }) },
      { key: 'helperPoolProcess', description: 'kernel-helpers Pool.applyAsync, processes', submit: (i) => helperProcess.applyAsync('echo', [i]).get() },
      { key: 'workerpoolProcess', description: `raw workerpool ${versions.workerpool} exec, processes`, submit: (i) => wpProcess.exec('echo', [i]) },
    ],
    chunkedMap: [
      { key: 'helperMapChunked', label: 'threads', description: 'kernel-helpers Pool.map("echo", items), default chunk size, threads', pool: helperThread },
      { key: 'helperMapChunkedProcess', label: 'processes', description: 'kernel-helpers Pool.map("echo", items), default chunk size, processes', pool: helperProcess },
    ],
    versions,
  };
}

module.exports = { packageVersion, PoolRegistry, startContenders };
