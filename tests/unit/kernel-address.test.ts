/**
 * Where the Python helpers' kernels listen (scripts/lib/kernel_address.py): Unix socket files in a
 * folder of the kernel's own (mode 0700, removed afterwards), with /tmp when $TMPDIR is too long for a
 * socket path. Standard library only: no Jupyter needed.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { repoRoot } from "../notebook-helpers";

const python = spawnSync("python3", ["--version"]).status === 0 ? "python3" : "/usr/bin/python3";

/** Calls private_kernel_address() in a Python child and reports what it made, before and after cleanup. */
function kernelAddress(env: NodeJS.ProcessEnv = {}): { settings: { transport?: string; ip?: string }; mode: number; removed: boolean } {
  const code = `
import json, os, stat, sys
sys.path.insert(0, ${JSON.stringify(path.join(repoRoot, "scripts", "lib"))})
from kernel_address import private_kernel_address
settings, cleanup = private_kernel_address()
folder = os.path.dirname(settings["ip"])
mode = stat.S_IMODE(os.stat(folder).st_mode)
cleanup()
print(json.dumps({"settings": settings, "mode": mode, "removed": not os.path.exists(folder)}))
`;
  const r = spawnSync(python, ["-c", code], { encoding: "utf8", env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`python exited with ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

test("IPC in a fresh private folder under $TMPDIR, removed by the cleanup", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ka-"));
  try {
    const { settings, mode, removed } = kernelAddress({ TMPDIR: tmp });
    expect(settings.transport).toBe("ipc");
    expect(path.dirname(path.dirname(settings.ip!))).toBe(tmp);
    expect(path.basename(path.dirname(settings.ip!))).toMatch(/^kernel-/);
    expect(mode).toBe(0o700);
    expect(removed).toBe(true);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test("a $TMPDIR too long for a Unix socket path falls back to /tmp", () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "ka-"));
  const long = path.join(base, "x".repeat(100));
  fs.mkdirSync(long);
  try {
    const { settings, removed } = kernelAddress({ TMPDIR: long });
    expect(settings.transport).toBe("ipc");
    expect(settings.ip!.startsWith("/tmp/kernel-")).toBe(true);
    expect(Buffer.byteLength(`${settings.ip}-99999`)).toBeLessThanOrEqual(100);
    expect(removed).toBe(true);
    expect(fs.readdirSync(long)).toEqual([]); // the too-long folder it tried first is gone again
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});
