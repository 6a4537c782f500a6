/**
 * The kernel as Jupyter runs it: the project-local kernelspec is what a
 * Jupyter started from the repository finds, and interrupting a long
 * parallel cell, then re-running it, works, with nothing left afterwards.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { runKernelFixture } from "../kernel-cells";
import { jupyterPath, jupyterPython, repoRoot } from "../notebook-helpers";


test("a Jupyter started from the repository finds the tslab kernelspec, pointing at this repository's tslab", () => {
  const listed = spawnSync(jupyterPython(), ["-m", "jupyter_client.kernelspecapp", "list", "--json"], {
    cwd: repoRoot, encoding: "utf8", env: { ...process.env, JUPYTER_PATH: jupyterPath() },
  });
  const specs = (JSON.parse(listed.stdout) as { kernelspecs: Record<string, { resource_dir: string; spec: { argv: string[]; language: string } }> }).kernelspecs;
  expect(specs["tslab"]).toBeDefined();
  expect(specs["tslab"]!.spec.language).toBe("typescript");
  expect(specs["tslab"]!.spec.argv[0]).toBe(path.join(repoRoot, "node_modules", ".bin", "tslab"));
  expect(specs["tslab"]!.resource_dir.startsWith(path.join(repoRoot, ".jupyter-project"))).toBe(true);
});

test("interrupting a long parallel cell returns control, re-running it works, and shutdown leaves nothing", async () => {
  const report = (await runKernelFixture(
    "kernel_interrupt.py",
    (files) => [path.join(repoRoot, "notebooks"), files.result, files.kernelLog],
    { timeoutMs: 240_000 },
  )) as { interruptedStatus: string; interruptedOutput: string; rerunStatus: string; rerunOutput: string; alive: number[] };
  // the 20 s cell was interrupted by the stop button (not finished, not timed out by the fixture)
  expect(report.interruptedStatus).toBe("error");
  expect(report.interruptedOutput).not.toContain("long done");
  // which comes first varies: tslab ending the awaited cell, or the pool reporting its process worker
  // killed by the same SIGINT (Jupyter signals the kernel's whole process group)
  expect(report.interruptedOutput).toMatch(/Error: Interrupted asynchronously|WorkerCrashedError: /);
  expect(report.rerunStatus).toBe("ok");
  expect(report.rerunOutput).toContain("rerun done 4");
  expect(report.alive).toEqual([]);
}, 300_000);
