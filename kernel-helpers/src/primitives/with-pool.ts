/**
 * `withPool`: a pool for the length of a body, always cleaned up (Python's
 * `with Pool() as pool:`, with one difference named below).
 */
import { Pool } from "./pool";
import type { PoolOptions } from "./pool-options";

/**
 * Runs `body` with a new pool and always cleans up: `close()` + `join()` when
 * `body` succeeds, `terminate()` when it throws.
 *
 * This differs from Python's `with Pool() as pool:`, whose exit calls
 * `terminate()` even on success, silently cancelling tasks the body started
 * but did not wait for. Here the tasks the body started always finish (so a
 * forgotten `await` costs time, never results); call `pool.terminate()` in
 * the body to stop early.
 *
 * @example const pis = await withPool({ workers: 2 }, (pool) => pool.map("leibnizPi", [1e6, 2e6]));
 */
export async function withPool<T>(options: PoolOptions, body: (pool: Pool) => Promise<T>): Promise<T> {
  const pool = new Pool(options);
  try {
    const result = await body(pool);
    pool.close();
    await pool.join();
    return result;
  } catch (error) {
    await pool.terminate();
    throw error;
  }
}
