/**
 * A learner's mistakes in a plain Node process, on both backends: every case of tests/bad-input-cases.ts ends with a named error (or the value unchanged), the process never crashes, and the pool keeps working.
 *
 * Each backend's cases run in a child Node process of their own
 * (tests/fixtures/bad-input-runner.js), so that an uncaught exception (the
 * crash this guards against) is seen as what it is instead of taking jest's
 * worker down.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Backend } from "kernel-helpers";
import { CASES } from "../bad-input-cases";
import { expectOutcome, type CaseOutcome } from "../bad-input-expect";

interface RunnerResult {
  outcomes: (CaseOutcome & { name: string; nextTask: unknown; join: unknown })[];
  crashes: string[];
  leftover: number;
}

const results = new Map<Backend, RunnerResult>();
const exits = new Map<Backend, { code: number | null; stderr: string }>();

async function runBackend(backend: Backend): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kh-bad-input-"));
  const casesFile = path.join(dir, "cases.json");
  const resultFile = path.join(dir, "result.json");
  fs.writeFileSync(casesFile, JSON.stringify(CASES));
  const child = spawn(process.execPath, [path.join(__dirname, "..", "fixtures", "bad-input-runner.js"), casesFile, backend, resultFile], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  exits.set(backend, { code, stderr });
  if (fs.existsSync(resultFile)) results.set(backend, JSON.parse(fs.readFileSync(resultFile, "utf8")) as RunnerResult);
  fs.rmSync(dir, { recursive: true, force: true });
}

beforeAll(() => Promise.all([runBackend("thread"), runBackend("process")]), 120_000);

describe.each<Backend>(["thread", "process"])("%s backend", (backend) => {
  test("the runner process survived every case and left nothing running", () => {
    expect({ exit: exits.get(backend)?.code, stderr: results.has(backend) ? "" : exits.get(backend)?.stderr }).toEqual({ exit: 0, stderr: "" });
    const result = results.get(backend)!;
    expect(result.crashes).toEqual([]);
    expect(result.leftover).toBe(0);
    expect(result.outcomes.map((o) => o.name)).toEqual(CASES.map((c) => c.name));
  });

  test.each(CASES.map((c, i) => [c.name, i] as const))("%s", (_, i) => {
    const outcome = results.get(backend)!.outcomes[i]!;
    expectOutcome(CASES[i]!, outcome);
    // the pool is not left with a worker marked busy: a next task runs and close()+join() return
    expect({ nextTask: outcome.nextTask, join: outcome.join }).toEqual({ nextTask: 7, join: "returned" });
  });
});
