/**
 * A registry of everything that owns workers (pools, processes), so they can
 * all be stopped from one place: the last cell of a notebook, a test's
 * `afterAll`, or a re-run of a cell whose earlier run was interrupted.
 *
 * Why a registry: after a kernel interrupt, tslab abandons the awaited
 * promise but the pool in that cell keeps its workers; without a handle on
 * it, nothing could stop them short of restarting the kernel.
 */

/** Anything that holds workers and can stop them. */
export interface Terminable {
  terminate(): Promise<void>;
}

const live = new Set<Terminable>();

/** @internal Called by pools and processes when they start. */
export function registerResource(resource: Terminable): void {
  live.add(resource);
}

/** @internal Called by pools and processes once they have stopped. */
export function unregisterResource(resource: Terminable): void {
  live.delete(resource);
}

/** How many pools and processes are still holding workers. */
export function liveResourceCount(): number {
  return live.size;
}

/**
 * Terminates every pool and process this kernel (or test) has started and
 * not yet stopped. Safe to call at any time, any number of times.
 *
 * @returns how many were stopped.
 * @example await terminateAll(); // last cell of a notebook
 */
export async function terminateAll(): Promise<number> {
  const resources = [...live];
  await Promise.allSettled(resources.map((r) => r.terminate()));
  for (const r of resources) live.delete(r);
  return resources.length;
}
