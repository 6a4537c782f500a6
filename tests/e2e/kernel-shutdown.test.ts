/**
 * A real tslab kernel, started through Jupyter's own client, starts pools,
 * a Process and a Manager; shutting it down leaves no process behind.
 */
import path from "node:path";
import { runKernelFixture } from "../kernel-cells";
import { repoRoot } from "../notebook-helpers";


test("shutting a kernel down stops its pools, processes and managers", async () => {
  const report = (await runKernelFixture(
    "kernel_shutdown.py",
    (files) => [path.join(repoRoot, "notebooks"), files.result, files.kernelLog],
    { timeoutMs: 240_000 },
  )) as { status: string; output: string; children: number[]; alive: number[]; exitCode: number | null };
  expect(report).toMatchObject({ status: "ok", output: "started\n" });
  // 0: the kernel ended by itself once kernel-helpers had stopped its workers
  // (tslab alone only closes its sockets, and Jupyter then has to SIGTERM it: -15)
  expect(report.exitCode).toBe(0);
  expect(report.children.length).toBeGreaterThanOrEqual(3); // 2 pool processes and the Process
  expect(report.alive).toEqual([]);
}, 300_000);
