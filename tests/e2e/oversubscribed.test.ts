/**
 * Every notebook of the original's lessons (00 to 05) run with CORES=16 on this machine at quick scale, as people re-run them on bigger machines: each finishes without an error output, warns about oversubscription when 16 is more than the cores here, words its numbers correctly, and leaves nothing behind.
 *
 * How long such a run takes against `--cores 2` is measured, not asserted
 * (timings are noise-prone; no test has a timing threshold): the runner's
 * times are printed here, and the closing notes of issue 10 record the ratio.
 * What keeps the run short is checked by the notebooks' own tests: sweeps
 * use ladder(CORES) (1, 2, 4, 8, 16), not every count from 1 to CORES.
 */
import os from "node:os";
import { errorOutputs, removeRunOutputs, runNotebooks, survivors, visibleText, type RunResult } from "../notebook-helpers";
import { wordingMismatches } from "../lesson-checks";

const NOTEBOOKS = ["00", "01", "02", "03", "04", "05"];
const CORES = 16;
let run: RunResult;
let names: string[] = [];

afterAll(removeRunOutputs);

beforeAll(() => {
  run = runNotebooks(["--only", NOTEBOOKS.join(","), "--scale", "quick", "--cores", String(CORES)], 600_000);
  if (run.status !== 0) throw new Error(`runner exited with ${run.status}\n${run.stdout}\n${run.stderr}`);
  names = [...run.stdout.matchAll(/✓ \[cores=16\] (\d\d-[\w-]+): ok in ([\d.]+) s/g)].map((m) => m[1]!);
  console.log(`CORES=${CORES} at quick scale on ${os.availableParallelism()} cores:\n${run.stdout.split("\n").filter((l) => /\[cores=16\].*ok in/.test(l)).join("\n")}`);
}, 660_000);

test("every notebook ran", () => {
  expect(names.map((n) => n.slice(0, 2))).toEqual(NOTEBOOKS);
});

test.each(NOTEBOOKS)("notebook %s: no error output, the oversubscription named, every efficiency word matching its number", (number) => {
  const name = names.find((n) => n.startsWith(`${number}-`))!;
  const notebook = run.read(CORES, name);
  expect(errorOutputs(notebook)).toEqual([]);
  const text = visibleText(notebook);
  expect(text).toContain(`CORES: ${CORES}`);
  if (CORES > os.availableParallelism()) expect(text).toMatch(/oversubscription/i);
  expect(wordingMismatches(text).mismatches).toEqual([]);
});

test("nothing the run started is still running", () => {
  expect(survivors(run.marker)).toEqual([]);
});
