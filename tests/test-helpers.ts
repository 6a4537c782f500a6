/** Small helpers shared by the library's unit tests. */

/** Awaits a promise that must reject, and returns what it rejected with. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("Expected the promise to reject, but it resolved.");
}

/** Calls `fn`, which must throw, and returns what it threw. */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("Expected a throw.");
}

/** "alive" if a process with this pid exists, else the error code (e.g. "ESRCH"). */
export function probePid(pid: number): string {
  try {
    process.kill(pid, 0);
    return "alive";
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? String(error);
  }
}

/**
 * Registers the leak checks every library test file shares: after each test no pool, process, queue or
 * manager is left (one that leaks is stopped, so it cannot hang the next test), and none after the file.
 * `extra` runs after each test too (e.g. a check for leftover sockets).
 */
export function expectNoLeaks(
  library: { liveResourceCount(): number; terminateAll(): Promise<unknown> },
  extra?: () => void,
): void {
  afterEach(async () => {
    const leaked = library.liveResourceCount();
    if (leaked > 0) await library.terminateAll(); // so one leaking test does not hang the others
    expect(leaked).toBe(0);
    extra?.();
  });
  afterAll(async () => {
    const leaked = library.liveResourceCount();
    await library.terminateAll();
    expect(leaked).toBe(0);
  });
}
