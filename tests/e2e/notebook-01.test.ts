/**
 * Notebook 01 executed end to end under tslab at quick scale, through the
 * runner a user runs, once per core count; then checked as a user sees it.
 */
import { errorOutputs, outputs, referenceLeibniz, runNotebooks, survivors, visibleText, type RunResult } from "../notebook-helpers";
import { browserChecks } from "../browser-helpers";

const NAME = "01-pool";
const CORE_COUNTS = [1, 2];
let run: RunResult;

beforeAll(() => {
  run = runNotebooks(["--only", "01", "--scale", "quick", "--cores", CORE_COUNTS.join(",")]);
  if (run.status !== 0) {
    throw new Error(`runner exited with ${run.status}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`);
  }
}, 300_000);

describe.each(CORE_COUNTS)("notebook 01 run with CORES=%i", (cores) => {
  test("has no error outputs (error outputs or error stacks on stderr)", () => {
    expect(errorOutputs(run.read(cores, NAME))).toEqual([]);
  });

  test("reads its core count and scale from the environment", () => {
    const notebook = run.read(cores, NAME);
    const parameters = notebook.cells.find((c) => c.metadata.tags?.includes("parameters"));
    expect(parameters).toBeDefined();
    const printed = (parameters!.outputs ?? []).map((o) => (Array.isArray(o.text) ? o.text.join("") : (o.text ?? ""))).join("");
    expect(printed).toContain(`CORES: ${cores}`);
    expect(printed).toContain("SCALE: 'quick'");
  });

  test("computes the Leibniz partial sum within 1e-6 of an independent reference", () => {
    const match = /leibnizPi\((\d+)\) = (-?[\d.]+(?:e[-+]?\d+)?)/.exec(visibleText(run.read(cores, NAME)));
    expect(match).not.toBeNull();
    const terms = Number(match![1]);
    expect(Math.abs(Number(match![2]) - referenceLeibniz(terms))).toBeLessThan(1e-6);
    expect(visibleText(run.read(cores, NAME))).toMatch(/pooled results equal the serial ones: true/);
  });

  test("integrates 2x + 5 over [0, 100] within 1e-6 of 10,500", () => {
    const match = /integral = (-?[\d.]+(?:e[-+]?\d+)?)/.exec(visibleText(run.read(cores, NAME)));
    expect(match).not.toBeNull();
    expect(Math.abs(Number(match![1]) - 10_500)).toBeLessThan(1e-6);
  });

  test("shows plotly figures as one bundle with the plotly, HTML and text mime types", () => {
    const figures = outputs(run.read(cores, NAME)).filter((o) => o.data?.["application/vnd.plotly.v1+json"]);
    expect(figures.length).toBeGreaterThanOrEqual(1);
    for (const figure of figures) {
      expect(Object.keys(figure.data!).sort()).toEqual(["application/vnd.plotly.v1+json", "text/html", "text/plain"]);
    }
  });

  test("shows the inline-function caveat as printed text, not as an error", () => {
    expect(visibleText(run.read(cores, NAME))).toMatch(/ReferenceError: exports is not defined/);
  });

  test("exports HTML with plotly.js inline exactly once and every figure's plot call", () => {
    const html = run.html(cores, NAME);
    const figureCount = outputs(run.read(cores, NAME)).filter((o) => o.data?.["application/vnd.plotly.v1+json"]).length;
    expect(html.match(/kh-plotly-loader/g)?.length).toBe(1);
    expect(html.match(/class="kh-plotly-figure"/g)?.length).toBe(figureCount);
    // the library itself (its bundle defines the global Plotly object), not a CDN link
    expect(html).not.toMatch(/<script[^>]+src="https?:[^"]*plotly/);
    expect(html.length).toBeGreaterThan(1_000_000);
  });
});

test("the runner reports progress for each notebook and core count", () => {
  for (const cores of CORE_COUNTS) expect(run.stdout).toMatch(new RegExp(`cores=${cores}\\]? ${NAME}`));
});

test("no kernel or worker process of the run is left behind", () => {
  expect(survivors(run.marker)).toEqual([]);
});

test("the leftover-process check finds a live process that carries the marker (so the test above can fail)", async () => {
  const { spawn } = await import("node:child_process");
  const child = spawn("sleep", ["30"], { env: { ...process.env, KH_TEST_MARKER: "self-test-" + run.marker } });
  try {
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(survivors("self-test-" + run.marker)).toEqual([child.pid]);
  } finally {
    child.kill("SIGKILL");
  }
});

browserChecks(() => run, NAME, CORE_COUNTS);
