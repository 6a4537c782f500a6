/**
 * Every knob of every notebook's parameters cell rejects bad values (zero
 * where not allowed, negative, non-integer, non-numeric, absurdly large,
 * unknown words) with a message naming the knob and the value, before any
 * worker starts: checked in a real tslab kernel per notebook.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import knobs from "../../kernel-helpers/src/knobs.json";
import { readResultFile } from "../../scripts/lib/result-file";
import { type Notebook, jupyterPath, jupyterPython, repoRoot } from "../notebook-helpers";

const NOTEBOOKS = ["00-node-machinery", "01-pool", "02-process", "03-benchmarking", "04-nesting", "05-manager", "06-cluster"];

function parametersSource(name: string): string {
  const notebook = JSON.parse(fs.readFileSync(path.join(repoRoot, "notebooks", `${name}.ipynb`), "utf8")) as Notebook;
  const cell = notebook.cells.find((c) => c.metadata.tags?.includes("parameters"));
  if (!cell) throw new Error(`${name} has no cell tagged "parameters"`);
  return Array.isArray(cell.source) ? cell.source.join("") : cell.source;
}

/** Bad CORES values: just outside the range knobs.json gives (the one the runner checks too), and malformed. */
const BAD_CORES = [String(knobs.CORES.min - 1), String(knobs.CORES.max + 1), "-1", "abc", "1.5"];

/** The knobs a parameters cell reads, with the bad values each must reject. */
function casesFor(source: string): [string, string][] {
  const cases: [string, string][] = [];
  if (source.includes("coresFromEnv()")) for (const v of BAD_CORES) cases.push(["CORES", v]);
  if (source.includes("scaleFromEnv()")) for (const v of ["huge", "1"]) cases.push(["SCALE", v]);
  // the default may contain braces (byScale(SCALE, { quick: .., full: .. })): match lazily up to the bounds
  for (const m of source.matchAll(/integerFromEnv\("([A-Z_]+)",[\s\S]*?\{ min: (-?[\d_e.]+)/g)) {
    const [knob, min] = [m[1]!, Number(m[2]!.replace(/_/g, ""))];
    for (const v of ["abc", "1.5", "99999999999999999999", String(min - 1)]) cases.push([knob, v]);
  }
  for (const m of source.matchAll(/choiceFromEnv\("([A-Z_]+)"/g)) cases.push([m[1]!, "bogus"]);
  // a Redis URL that is not one (the password, if any, is never echoed)
  if (source.includes("redisUrlFromEnv(")) cases.push(["REDIS_URL", "http://x"]);
  return cases;
}

const cases = Object.fromEntries(NOTEBOOKS.map((name) => [name, casesFor(parametersSource(name))]));
type Result = { notebook: string; knob: string; value: string; status: string; stderr: string };
let results: Result[] = [];

beforeAll(() => {
  // The result comes back in a file (checked: a truncated one is an error naming it), never on
  // the fixture's stdout, which the kernels it starts would otherwise share.
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "knobs-check-"));
  const resultFile = path.join(folder, "result.json");
  const run = spawnSync(
    jupyterPython(),
    [path.join(__dirname, "..", "fixtures", "knobs_check.py"), path.join(repoRoot, "notebooks"), JSON.stringify(cases), resultFile],
    { cwd: repoRoot, encoding: "utf8", timeout: 280_000, env: { ...process.env, JUPYTER_PATH: jupyterPath() } },
  );
  try {
    results = readResultFile(resultFile) as Result[];
    fs.rmSync(folder, { recursive: true, force: true }); // kept on failure, for its kernel log
  } catch (error) {
    const how = run.error?.message ?? (run.signal ? `killed by ${run.signal}` : `exit status ${run.status}`);
    throw new Error(
      `knobs_check.py (${how}) gave no result: ${(error as Error).message}\n${run.stderr.slice(-4000)}\n` +
        `(the kernels' own output is in ${resultFile}.kernels.log)`,
    );
  }
}, 300_000);

test.each(NOTEBOOKS)("%s: the parameters cell reads knobs and starts no worker", (name) => {
  const source = parametersSource(name);
  expect(cases[name]!.length).toBeGreaterThan(8);
  expect(source).not.toMatch(/new (Pool|Process)\b|Manager\.start|withPool/);
});

test.each(NOTEBOOKS)("%s: every bad knob value stops the cell with a message naming the knob and the value", (name) => {
  const mine = results.filter((r) => r.notebook === name);
  expect(mine.length).toBe(cases[name]!.length);
  const accepted = mine.filter((r) => r.status === "ok").map((r) => `${r.knob}=${r.value}`);
  expect(accepted).toEqual([]);
  for (const r of mine) {
    expect(r.stderr).toContain(r.knob);
    expect(r.stderr).toContain(`"${r.value}"`); // the value as the user wrote it
    expect(r.stderr).toMatch(/Expected .*(from|one of|to start with redis:\/\/)/);
  }
});
