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

const HOOKED = Symbol.for("kernel-helpers.shutdown-hook");

/**
 * Makes a tslab kernel stop everything kernel-helpers started when Jupyter
 * shuts it down. tslab's shutdown only closes its sockets, so a kernel with a
 * live pool would keep running (worker threads and child processes keep
 * Node's event loop busy) until Jupyter kills it. This wraps tslab's
 * `ZmqServer.close()` (found among loaded modules, as the display code does)
 * to terminate every pool, process and manager, then exit. Outside a tslab
 * kernel it does nothing.
 *
 * @returns true if a kernel was found and hooked (now or before).
 */
export function installKernelShutdownHook(): boolean {
  for (const [file, module] of Object.entries(require.cache)) {
    if (!/[\\/]tslab[\\/]dist[\\/]jupyter\.js$/.test(file)) continue;
    const server = (module?.exports as { ZmqServer?: { prototype: { close(): void; [HOOKED]?: boolean } } } | undefined)?.ZmqServer;
    if (!server) continue;
    const prototype = server.prototype;
    if (prototype[HOOKED]) return true;
    const close = prototype.close;
    prototype.close = function (this: unknown) {
      close.call(this);
      void terminateAll().finally(() => process.exit(0));
    };
    prototype[HOOKED] = true;
    return true;
  }
  return false;
}
