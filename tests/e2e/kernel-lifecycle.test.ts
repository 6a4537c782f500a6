/**
 * The kernel as Jupyter runs it: the project-local kernelspec is what a
 * Jupyter started from the repository finds, and interrupting a long
 * parallel cell, then re-running it, works, with nothing left afterwards.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { jupyterPath, jupyterPython, repoRoot } from "../notebook-helpers";

const jupyterEnv = {
  ...process.env,
  JUPYTER_PATH: jupyterPath(),
};


test("a Jupyter started from the repository finds the tslab kernelspec, pointing at this repository's tslab", () => {
  const listed = spawnSync(jupyterPython(), ["-m", "jupyter_client.kernelspecapp", "list", "--json"], { cwd: repoRoot, encoding: "utf8", env: jupyterEnv });
  const specs = (JSON.parse(listed.stdout) as { kernelspecs: Record<string, { resource_dir: string; spec: { argv: string[]; language: string } }> }).kernelspecs;
  expect(specs["tslab"]).toBeDefined();
  expect(specs["tslab"]!.spec.language).toBe("typescript");
  expect(specs["tslab"]!.spec.argv[0]).toBe(path.join(repoRoot, "node_modules", ".bin", "tslab"));
  expect(specs["tslab"]!.resource_dir.startsWith(path.join(repoRoot, ".jupyter-project"))).toBe(true);
});

test("interrupting a long parallel cell returns control, re-running it works, and shutdown leaves nothing", () => {
  const result = spawnSync(jupyterPython(), [path.join(__dirname, "..", "fixtures", "kernel_interrupt.py"), path.join(repoRoot, "notebooks")], {
    cwd: repoRoot, encoding: "utf8", timeout: 120_000, env: jupyterEnv,
  });
  const last = result.stdout.trim().split("\n").pop() ?? "";
  if (!last.startsWith("{")) throw new Error(`no result from the kernel script\n${result.stdout}\n${result.stderr}`);
  const report = JSON.parse(last) as { interruptedStatus: string; rerunStatus: string; rerunOutput: string; alive: string[] };
  expect(report.interruptedStatus).not.toBe("ok"); // the 20 s cell was interrupted, not finished
  expect(report.rerunStatus).toBe("ok");
  expect(report.rerunOutput).toContain("rerun done 4");
  expect(report.alive).toEqual([]);
}, 150_000);
