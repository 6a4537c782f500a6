/**
 * The result channel of the Python helpers (scripts/lib): a result travels
 * through a file written by `write_result`, never through a stdout pipe that
 * a child process also holds.
 *
 * The hazard, reproduced here with the standard library and Node only: a
 * Python helper starts a Node grandchild that inherits its stdout. The two
 * share the pipe's open file description, and Node switches its stdio pipes
 * to non-blocking mode, so from then on Python's writes to stdout can fail
 * with EAGAIN whenever the reader is behind, and Python drops what it could
 * not write without a word.
 */
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { repoRoot, survivors } from "../notebook-helpers";

// scripts/lib/result-file.js is plain JavaScript: its shape is declared here
// until tests/tsconfig.json allows importing JavaScript.
interface ResultFileModule {
  readResultFile(file: string): unknown;
  ResultFileError: new (file: string, problem: string) => Error & { file: string };
}
const { readResultFile, ResultFileError }: ResultFileModule = require("../../scripts/lib/result-file");

/** `python3` on PATH, else Debian's; only the standard library is needed. */
const python = spawnSync("python3", ["--version"]).status === 0 ? "python3" : "/usr/bin/python3";

/** The payload: SHA-256 of "0", "1", ... as hex, about 400 KB of JSON, far more than a pipe holds (64 KiB on Linux). */
const HASH_COUNT = 6000;
const expectedHashes = Array.from({ length: HASH_COUNT }, (_, i) => createHash("sha256").update(String(i)).digest("hex"));

/**
 * A helper as the kernel fixtures are: it starts a Node grandchild that
 * inherits its stdout and writes to it (libuv then makes the pipe
 * non-blocking), waits until the shared pipe IS non-blocking (the flag
 * belongs to the open file description, so Python sees Node's change), then
 * sends the payload, either through `write_result` (mode "file") or the old
 * way, printed as one JSON line (mode "stdout"). It always kills and reaps
 * the grandchild, which would also end by itself after 5 s.
 */
const WRITER = String.raw`
import fcntl, hashlib, json, os, subprocess, sys, time
from result_file import write_result

def payload():
    return [hashlib.sha256(str(i).encode()).hexdigest() for i in range(${HASH_COUNT})]

if __name__ == "__main__":
    mode, node = sys.argv[1], sys.argv[2]
    grandchild = subprocess.Popen([node, "-e", "process.stdout.write(''); setTimeout(() => {}, 5000)"])
    try:
        deadline = time.monotonic() + 30
        while not fcntl.fcntl(1, fcntl.F_GETFL) & os.O_NONBLOCK:
            if time.monotonic() > deadline or grandchild.poll() is not None:
                sys.exit("the Node grandchild never made the shared stdout non-blocking")
            time.sleep(0.01)
        if mode == "file":
            write_result(sys.argv[3], {"stdoutNonBlocking": True, "hashes": payload()})
        else:
            print(json.dumps(payload()))
    finally:
        grandchild.kill()
        grandchild.wait()
`;

/**
 * The old channel with the slowest possible reader: runs the writer in mode
 * "stdout" on a pipe it reads only once the writer has exited, and reports
 * (through write_result) how much arrived.
 */
const LATE_READER = String.raw`
import json, os, subprocess, sys
from result_file import write_result
from writer import payload

read_end, write_end = os.pipe()
writer = subprocess.Popen([sys.executable, sys.argv[2], "stdout", sys.argv[3]], stdout=write_end, stderr=subprocess.PIPE)
os.close(write_end)
stderr = writer.stderr.read().decode()
exit_code = writer.wait()
received = b""
while chunk := os.read(read_end, 65536):
    received += chunk
write_result(sys.argv[1], {"writerExitCode": exit_code, "writerStderr": stderr,
                           "expectedBytes": len(json.dumps(payload())) + 1, "received": received.decode(errors="replace")})
`;

let dir: string;
let writer: string;
let lateReader: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "result-channel-"));
  writer = path.join(dir, "writer.py");
  lateReader = path.join(dir, "late_reader.py");
  fs.writeFileSync(writer, WRITER);
  fs.writeFileSync(lateReader, LATE_READER);
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs a Python script with scripts/lib importable, marked so that {@link survivors} finds whatever it left running. */
function runPython(args: string[]): { status: number | null; stdout: string; stderr: string; leftBehind: number[] } {
  const marker = randomBytes(8).toString("hex");
  const result = spawnSync(python, args, {
    cwd: dir,
    encoding: "utf8",
    timeout: 60_000,
    env: { ...process.env, PYTHONPATH: path.join(repoRoot, "scripts", "lib"), KH_TEST_MARKER: marker },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, leftBehind: survivors(marker) };
}

test("a result larger than a pipe arrives whole through write_result while a Node grandchild holds the helper's stdout non-blocking", () => {
  const resultFile = path.join(dir, "big.json");
  // spawnSync gives the helper a stdout pipe, which the grandchild inherits: the setting of the bug
  const run = runPython([writer, "file", process.execPath, resultFile]);
  expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: "" });
  const result = readResultFile(resultFile) as { stdoutNonBlocking: boolean; hashes: string[] };
  expect(result.stdoutNonBlocking).toBe(true); // the hazard was really there
  expect(result.hashes).toHaveLength(HASH_COUNT);
  expect(result.hashes).toEqual(expectedHashes);
  expect(run.leftBehind).toEqual([]);
});

test("the old channel, a JSON line on stdout, loses all but what the pipe holds when the reader is late", () => {
  // Deterministic by construction: nobody reads until the writer has exited,
  // so at most one pipe's capacity (64 KiB) can be in flight; the rest of the
  // print fails with EAGAIN. Measured: 20 of 20 runs received exactly 65,536
  // of 408,001 bytes, with exit code 0 and nothing on stderr (Python 3.11): the
  // writer never knew. Only the loss is asserted; how loud it is depends on the Python.
  const resultFile = path.join(dir, "late.json");
  const run = runPython([lateReader, resultFile, writer, process.execPath]);
  expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: "" });
  const report = readResultFile(resultFile) as { expectedBytes: number; received: string };
  expect(report.expectedBytes).toBeGreaterThan(300_000);
  expect(report.received.length).toBeLessThan(report.expectedBytes);
  expect(() => JSON.parse(report.received)).toThrow(SyntaxError);
  expect(run.leftBehind).toEqual([]);
});

describe("readResultFile reports a bad result file as ResultFileError naming the file", () => {
  /** Asserts that reading `file` throws a ResultFileError that names it and says what is wrong. */
  function expectResultFileError(file: string, problem: RegExp): void {
    let thrown: unknown;
    try {
      readResultFile(file);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ResultFileError);
    expect((thrown as InstanceType<typeof ResultFileError>).file).toBe(file);
    expect((thrown as Error).message).toContain(file);
    expect((thrown as Error).message).toMatch(problem);
  }

  test("a missing file", () => {
    expectResultFileError(path.join(dir, "never-written.json"), /missing/);
  });

  test("an empty file", () => {
    const file = path.join(dir, "empty.json");
    fs.writeFileSync(file, "");
    expectResultFileError(file, /empty/);
  });

  test("a file cut short after write_result wrote it", () => {
    const file = path.join(dir, "cut.json");
    const run = runPython(["-c", "import sys; from result_file import write_result; write_result(sys.argv[1], list(range(10000)))", file]);
    expect(run.status).toBe(0);
    expect(readResultFile(file)).toHaveLength(10000); // whole, it reads
    fs.truncateSync(file, Math.floor(fs.statSync(file).size / 2));
    expectResultFileError(file, /truncated/);
  });

  test("JSON that is not write_result's envelope", () => {
    const file = path.join(dir, "bare.json");
    fs.writeFileSync(file, JSON.stringify({ result: [1, 2] }));
    expectResultFileError(file, /not a complete result/);
  });
});

test.each([
  ["a path in a folder that does not exist", "no-such-folder/result.json", "{'a': 1}"],
  ["a path where a folder stands", "a-folder", "{'a': 1}"],
  ["a result with NaN, which JSON.parse would refuse", "result.json", "[float('nan')]"],
  ["a result that is a set", "result.json", "{1, 2}"],
])("write_result raises ResultWriteError naming the path, and leaves no file behind: %s", (_, relative, value) => {
  const folder = fs.mkdtempSync(path.join(dir, "unwritable-"));
  fs.mkdirSync(path.join(folder, "a-folder"));
  const file = path.join(folder, relative);
  const run = runPython(["-c", `import sys; from result_file import write_result; write_result(sys.argv[1], ${value})`, file]);
  expect(run.status).toBe(1);
  expect(run.stderr).toMatch(/^result_file\.ResultWriteError: could not write the result file /m);
  expect(run.stderr).toContain(file);
  expect(fs.readdirSync(folder)).toEqual(["a-folder"]); // not even a temporary file
});
