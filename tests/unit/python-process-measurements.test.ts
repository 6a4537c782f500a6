/**
 * The Python measurements behind notebooks 02 and 04, run live: start-up per
 * start method, the original's read-before-join warning over a real pipe, and
 * a Pool inside a Process and inside a pool worker.
 */
import { pythonOriginal } from "kernel-helpers";

test("processStartup times every start method this Python has, and names its default", async () => {
  const py = await pythonOriginal("processStartup", { repeats: 2 }, { showProgress: false });
  const methods = Object.keys(py.startupMs);
  expect(methods).toContain(py.defaultMethod);
  expect(methods.every((m) => ["fork", "spawn", "forkserver"].includes(m))).toBe(true);
  for (const samples of Object.values(py.startupMs)) expect(samples).toHaveLength(2);
  expect(py.defaultMethod).toBe(py.python.startMethod);
}, 60_000);

test("joinBeforeRead: an item that fits the pipe lets the child end before the read; a larger one does not", async () => {
  const py = await pythonOriginal("joinBeforeRead", { fractions: [0.25, 4], timeoutS: 1 }, { showProgress: false });
  expect(py.pipeBytes).toBeGreaterThanOrEqual(512); // POSIX: a pipe holds at least PIPE_BUF bytes
  if (process.platform === "linux") expect(py.pipeBytes).toBe(65_536); // Linux's default pipe capacity (16 pages)
  const [small, large] = py.cases;
  expect(small).toMatchObject({ itemBytes: Math.floor(py.pipeBytes / 4), endedBeforeRead: true, receivedBytes: Math.floor(py.pipeBytes / 4) });
  expect(large).toMatchObject({ itemBytes: py.pipeBytes * 4, endedBeforeRead: false, receivedBytes: py.pipeBytes * 4 });
  expect(large!.joinWaitedMs).toBeGreaterThanOrEqual(990);
}, 60_000);

test("nestedPools: a Pool inside a Process works; inside a pool worker Python refuses (daemonic)", async () => {
  const py = await pythonOriginal("nestedPools", { workers: 2 }, { showProgress: false });
  expect(py.inProcess).toEqual({ ok: true, error: null });
  expect(py.inPoolWorker.ok).toBe(false);
  expect(py.inPoolWorker.error).toMatch(/daemonic processes are not allowed to have children/);
}, 60_000);
