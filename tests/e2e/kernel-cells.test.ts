/**
 * The kernel-cell harness (tests/kernel-cells.ts over tests/fixtures/kernel_cells.py)
 * on one real tslab kernel: printed output, displays, errors, a cell that never
 * settles, kernel-helpers' Pool, and nothing left running afterwards.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import { type CellResult, KernelFixtureError, runCells } from "../kernel-cells";
import { referenceLeibniz, survivors } from "../notebook-helpers";
import { rejectionOf } from "../test-helpers";

const marker = randomBytes(8).toString("hex");
let cells: CellResult[];

beforeAll(async () => {
  cells = await runCells(
    [
      'const greeting = "hello"; console.log(greeting); import * as tslab from "tslab"; tslab.display.html("<b>bold</b>");',
      'throw new RangeError("no such thing");',
      // never settles: only the harness's timeout ends it, so a short one costs nothing
      { code: "await new Promise(() => {});", timeoutSeconds: 5 },
      'console.log(greeting + " again");',
      `import { Pool } from "kernel-helpers";
const pool = new Pool({ workers: 1, backend: "process" });
const pi = await pool.applyAsync("leibnizPi", [100_000]).get();
pool.close(); await pool.join();
console.log(JSON.stringify({ pi }));`,
    ],
    { env: { KH_TEST_MARKER: marker } },
  );
}, 600_000);

const cell = (index: number): CellResult => {
  const found = cells[index];
  if (!found) throw new Error(`no result for cell ${index}: ${JSON.stringify(cells)}`);
  return found;
};

test("a cell that prints is ok, with its stream text and the mime types of its display", () => {
  expect(cell(0)).toMatchObject({ status: "ok", ename: null, stdout: "hello\n", stderr: "" });
  expect(cell(0).displays).toEqual([["text/html"]]);
});

test("a cell that throws is an error named after what it threw, with the message and the stack", () => {
  expect(cell(1)).toMatchObject({ status: "error", ename: "RangeError", evalue: "no such thing", stdout: "" });
  expect(cell(1).traceback[0]).toBe("RangeError: no such thing");
  expect(cell(1).traceback[1]).toMatch(/^ {4}at /);
});

test("a cell that never settles is reported as timeout, and the next cell still runs in the same kernel", () => {
  expect(cell(2).status).toBe("timeout");
  expect(cell(2).evalue).toBe("Interrupted asynchronously"); // how tslab ends an interrupted cell
  expect(cell(3)).toMatchObject({ status: "ok", stdout: "hello again\n" }); // `greeting` from cell 0: same kernel
});

test("a cell imports kernel-helpers and runs a task on a 1-worker process pool", () => {
  expect(cell(4)).toMatchObject({ status: "ok", stderr: "" });
  expect((JSON.parse(cell(4).stdout) as { pi: number }).pi).toBeCloseTo(referenceLeibniz(100_000), 12);
});

test("nothing the kernel started is left running", () => {
  expect(survivors(marker)).toEqual([]);
});

test("when the kernel cannot start, runCells rejects with a KernelFixtureError that shows the harness's output", async () => {
  const error = await rejectionOf(runCells(["1"], { cwd: "/no/such/folder" }));
  expect(error).toBeInstanceOf(KernelFixtureError);
  const { message, dir } = error as KernelFixtureError;
  fs.rmSync(dir, { recursive: true, force: true });
  expect(message).toMatch(/^kernel_cells\.py exited with status 1 \(files kept in /);
  expect(message).toContain("FileNotFoundError");
  expect(message).toContain("/no/such/folder");
});
