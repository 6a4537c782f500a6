/**
 * `npm run bench` (scripts/bench.mjs): its flags are validated, and a quick run
 * exits by itself, leaves no process behind, and writes results/bench-style
 * JSON with the documented shape.
 *
 * No timing thresholds: the values are only checked to be positive finite
 * numbers (or null where no Python is available), never against targets.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { repoRoot, survivors } from "../notebook-helpers";
import { readResultFile } from "../../scripts/lib/result-file";

function bench(args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 30_000): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, ["scripts/bench.mjs", ...args], {
    cwd: repoRoot,
    encoding: "utf8",
    env,
    timeout: timeoutMs,
  });
  return { status: result.status, output: result.stdout + result.stderr };
}

/** Asserts a positive finite number. */
function expectPositive(value: unknown, what: string): void {
  if (!(typeof value === "number" && Number.isFinite(value) && value > 0)) {
    throw new Error(`Expected ${what} to be a positive finite number, got ${JSON.stringify(value)}.`);
  }
}

/** Asserts a non-empty array of positive finite numbers, of `length` if given. */
function expectSamples(value: unknown, what: string, length?: number): void {
  if (!Array.isArray(value) || value.length === 0) throw new Error(`Expected ${what} to be a non-empty array.`);
  if (length !== undefined) expect(value).toHaveLength(length);
  value.forEach((v, i) => expectPositive(v, `${what}[${i}]`));
}

describe("bench flags", () => {
  // every bad flag is checked against parseArgs in tests/unit/bench.test.ts; here, that the CLI turns one into exit status 2
  test("an unknown flag is rejected with exit status 2 and a message naming it", () => {
    const { status, output } = bench(["--frobnicate"]);
    expect(status).toBe(2);
    expect(output).toContain("bench: unknown option --frobnicate");
  });

  test("--help prints the options and what a round trip is, and exits 0", () => {
    const { status, output } = bench(["--help"]);
    expect(status).toBe(0);
    for (const flag of ["--quick", "--out", "--python", "--help"]) expect(output).toContain(flag);
    expect(output).toMatch(/round trip/i);
  });
});

describe("a quick run", () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "bench-test-"));
  const marker = `bench-${process.pid}-${Date.now()}`;
  let run: { status: number | null; output: string };
  let report: Record<string, any>;

  beforeAll(() => {
    // Exiting within the timeout shows that every pool was terminated (no open handle keeps Node alive).
    run = bench(["--quick", "--out", out], { ...process.env, KH_TEST_MARKER: marker }, 240_000);
    const latest = path.join(out, "latest.json");
    report = fs.existsSync(latest) ? JSON.parse(fs.readFileSync(latest, "utf8")) : {};
  }, 250_000);

  afterAll(() => {
    fs.rmSync(out, { recursive: true, force: true });
  });

  test("exits 0 by itself and leaves no worker or Python process behind", () => {
    if (run.status !== 0) throw new Error(`bench exited with ${run.status}:\n${run.output.slice(-3000)}`);
    expect(survivors(marker)).toEqual([]);
  });

  test("prints progress, the round-trip definition, the table and the targets", () => {
    expect(run.output).toMatch(/round trips: round 1\/2/);
    expect(run.output).toMatch(/Round trip: /);
    expect(run.output).toContain("items/s, kernel-helpers chunked map");
    expect(run.output).toMatch(/efficiency\.thread\s/);
    expect(run.output).toContain("latest.json");
  });

  test("writes latest.json and an identical timestamped copy", () => {
    const files = fs.readdirSync(out);
    expect(files).toContain("latest.json");
    const copies = files.filter((f) => /^bench-.+\.json$/.test(f));
    expect(copies).toHaveLength(1);
    expect(fs.readFileSync(path.join(out, copies[0]!), "utf8")).toBe(fs.readFileSync(path.join(out, "latest.json"), "utf8"));
  });

  test("the JSON has the documented fields, with positive finite values or null where allowed", () => {
    expect(report["mode"]).toBe("quick");
    const rounds = report["settings"]?.rounds;
    expectPositive(rounds, "settings.rounds");

    const machine = report["machine"];
    expect(typeof machine?.cpuModel).toBe("string");
    expectPositive(machine?.availableCores, "machine.availableCores");
    expect(report["settings"].workers).toBe(machine.availableCores);

    const throughput = report["throughput"];
    for (const key of ["helperPool", "workerpool", "piscina", "helperMapChunked", "helperPoolProcess", "workerpoolProcess"]) {
      expectPositive(throughput?.[key], `throughput.${key}`);
      expectSamples(report["throughputSamples"]?.[key], `throughputSamples.${key}`, rounds);
    }
    expect("python" in throughput).toBe(true);

    for (const backend of ["thread", "process"]) {
      expectPositive(report["startupMs"]?.[backend], `startupMs.${backend}`);
      expectSamples(report["startupSamplesMs"]?.[backend], `startupSamplesMs.${backend}`);
      expectPositive(report["efficiency"]?.[backend], `efficiency.${backend}`);
      const heavy = report["heavy"]?.[backend];
      for (const key of ["serialMs", "pooledMs", "speedup", "efficiency"]) expectPositive(heavy?.[key], `heavy.${backend}.${key}`);
      expect(heavy.efficiency).toBe(report["efficiency"][backend]);
      expectSamples(heavy.pooledSamplesMs, `heavy.${backend}.pooledSamplesMs`);
    }
    expectPositive(report["heavy"]?.terms, "heavy.terms");
    expect(report["heavy"].tasks).toBe(4 * report["settings"].workers);

    expectPositive(report["serial"]?.nodeSerialMs, "serial.nodeSerialMs");
    expect(typeof report["definitions"]?.serialVsPython).toBe("string");
    expect(typeof report["definitions"]?.roundTrip).toBe("string");

    expect(Array.isArray(report["targets"])).toBe(true);
    for (const target of report["targets"]) {
      expectPositive(target.value, `target ${target.name}`);
      expect(typeof target.met).toBe("boolean");
    }
  });

  test("the Python fields are all numbers when a Python ran, all null when none did", () => {
    const python = report["python"];
    expect(typeof python?.available).toBe("boolean");
    if (python.available) {
      expect(typeof python.executable).toBe("string");
      expect(typeof python.version).toBe("string");
      expectPositive(report["throughput"].python, "throughput.python");
      expectSamples(report["throughputSamples"].python, "throughputSamples.python", report["settings"].rounds);
      expectPositive(report["serial"].pythonSerialMs, "serial.pythonSerialMs");
      expectPositive(report["serialVsPython"], "serialVsPython");
      expect(report["serialVsPython"]).toBeCloseTo(report["serial"].pythonSerialMs / report["serial"].nodeSerialMs, 10);
    } else {
      expect(Array.isArray(python.errors)).toBe(true);
      expect(report["throughput"].python).toBeNull();
      expect(report["serial"].pythonSerialMs).toBeNull();
      expect(report["serialVsPython"]).toBeNull();
    }
  });
});

describe("scripts/bench_python.py", () => {
  // the bench's own default: python3 on PATH, else Debian's
  const python = ["python3", "/usr/bin/python3"].find((exe) => spawnSync(exe, ["--version"]).status === 0);
  const withPython = python ? test : test.skip;

  withPython("writes its results to --result-file and nothing to stdout (its pool workers share that pipe)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-python-test-"));
    try {
      const file = path.join(dir, "result.json");
      const args = ["--workers", "2", "--tasks", "50", "--rounds", "1", "--terms", "1000", "--repeats", "1", "--result-file", file];
      const run = spawnSync(python!, ["scripts/bench_python.py", ...args], { cwd: repoRoot, encoding: "utf8", timeout: 60_000 });
      if (run.status !== 0) throw new Error(`bench_python.py exited with ${run.status}:\n${run.stderr.slice(-2000)}`);
      expect(run.stdout).toBe("");
      expect(run.stderr).toContain("[python] apply_async round 1/1");
      const result = readResultFile(file) as Record<string, unknown>;
      expect(result).toMatchObject({ workers: 2, tasks: 50, rounds: 1, terms: 1000 });
      expectPositive(result["applyAsyncPerSecond"], "applyAsyncPerSecond");
      expectSamples(result["serialSamplesMs"], "serialSamplesMs", 1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  withPython("refuses to run without --result-file", () => {
    const run = spawnSync(python!, ["scripts/bench_python.py", "--workers", "1", "--tasks", "1", "--rounds", "1", "--terms", "1", "--repeats", "1"], {
      cwd: repoRoot,
      encoding: "utf8",
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("--result-file");
  });
});
