/**
 * A real tslab kernel, started through Jupyter's own client, starts pools,
 * a Process and a Manager; shutting it down leaves no process behind.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { jupyterPath, jupyterPython, repoRoot } from "../notebook-helpers";


test("shutting a kernel down stops its pools, processes and managers", () => {
  const result = spawnSync(jupyterPython(), [path.join(__dirname, "..", "fixtures", "kernel_shutdown.py"), path.join(repoRoot, "notebooks")], {
    cwd: repoRoot,
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, JUPYTER_PATH: jupyterPath() },
  });
  const last = result.stdout.trim().split("\n").pop() ?? "";
  if (!last.startsWith("{")) throw new Error(`no result from the kernel script\n${result.stdout}\n${result.stderr}`);
  const report = JSON.parse(last) as { status: string; children: string[]; alive: string[]; exitCode: number | null };
  expect(report.status).toBe("ok");
  // 0: the kernel ended by itself once kernel-helpers had stopped its workers
  // (tslab alone only closes its sockets, and Jupyter then has to SIGTERM it: -15)
  expect(report.exitCode).toBe(0);
  expect(report.children.length).toBeGreaterThanOrEqual(3); // 2 pool processes and the Process
  expect(report.alive).toEqual([]);
}, 150_000);
