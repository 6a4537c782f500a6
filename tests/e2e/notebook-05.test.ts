/**
 * Notebook 05 (shared dict of dicts) executed end to end under tslab at
 * quick scale, through the runner, once per core count.
 */
import { errorOutputs, outputs, runNotebooks, survivors, visibleText, type RunResult } from "../notebook-helpers";
import { browserChecks } from "../browser-helpers";

const NAME = "05-manager";
const CORE_COUNTS = [1, 2];
let run: RunResult;

beforeAll(() => {
  run = runNotebooks(["--only", "05", "--scale", "quick", "--cores", CORE_COUNTS.join(",")]);
  if (run.status !== 0) throw new Error(`runner exited with ${run.status}\n${run.stdout}\n${run.stderr}`);
}, 300_000);

describe.each(CORE_COUNTS)("notebook 05 run with CORES=%i", (cores) => {
  const text = (): string => visibleText(run.read(cores, NAME));

  test("has no error outputs", () => {
    expect(errorOutputs(run.read(cores, NAME))).toEqual([]);
  });

  test("reads its core count from the environment", () => {
    expect(text()).toContain(`CORES: ${cores}`);
  });

  test("finishes every key of the original run", () => {
    expect(text()).toMatch(/every key finished: true \(20 of 20\); every sequence reached 1000: true/);
    expect(text()).toMatch(/Final dict: 20 keys, all finished: true/);
  });

  test("shows the copy caveat live: a changed copy changes nothing until assigned back", () => {
    expect(text()).toMatch(/After changing the copy, .* unchanged\./);
    expect(text()).toMatch(/After set\(1, copy\): .* changed\./);
  });

  test("refuses unsendable values with the named error and stores nothing", () => {
    for (const what of ["a function", "a cycle", "a class instance"]) {
      expect(text()).toMatch(new RegExp(`${what}: UnsendableValueError: Cannot send manager\\["bad"\\]`));
    }
    expect(text()).toContain('Nothing was stored under "bad": true');
  });

  test("the atomic update loses nothing, through the manager and in shared memory", () => {
    expect(text()).toMatch(/update\(key, fn\) lost 0\./);
    expect(text()).toMatch(/Atomics\.add lost 0\./);
  });

  test("shows the cost comparison as a plotly figure", () => {
    expect(outputs(run.read(cores, NAME)).filter((o) => o.data?.["application/vnd.plotly.v1+json"]).length).toBeGreaterThanOrEqual(1);
  });
});

test("no kernel, process, worker or manager socket of the run is left behind", () => {
  expect(survivors(run.marker)).toEqual([]);
});

browserChecks(() => run, NAME, CORE_COUNTS);
