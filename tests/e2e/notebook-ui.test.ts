/**
 * Notebook 01 run the way a reader runs it: the test starts a real Jupyter
 * front end (Debian's classic Notebook 6 server, on 127.0.0.1 with a random
 * token), opens the notebook in Chromium (playwright-core, the system
 * Chromium, network cut off), clicks Cell > Run All, and checks what the page
 * shows: every code cell ran, outputs and plotly figures appeared, no error
 * output, no script error, the kernel went idle. Then the kernel is shut down
 * through the server's REST API, the server is stopped, and no server, kernel
 * or worker process may be left.
 *
 * The notebook is copied into a fresh folder under the git-ignored results/
 * (so the committed notebook is never touched, and `import ... from
 * "kernel-helpers"` still resolves through the repo's node_modules); the
 * folder is deleted at the end. Screenshot: results/screenshots/ui-01-pool.png.
 *
 * DOM of the classic Notebook 6.4 relied on:
 *   #kernel_indicator_icon.kernel_idle_icon / .kernel_busy_icon / .kernel_dead_icon
 *   #celllink (the Cell menu) and #run_all_cells > a ("Run All")
 *   .code_cell .input_prompt ("In [3]:", "In [*]:" while queued or running, "In [ ]:" never run)
 *   .output_area .output_error (error outputs), .output_stderr (stderr streams; tslab prints errors there)
 *   .kh-plotly-figure (kernel-helpers' figure div) and .plot-container.plotly (what plotly.js draws in it)
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { CHROMIUM_ARGS, chromiumPath } from "../browser-helpers";
import { repoRoot, survivors } from "../notebook-helpers";
import { startNotebookServer, type NotebookServer } from "../jupyterlab-server";

const NOTEBOOK = "01-pool.ipynb";
const RUN_TIMEOUT_MS = 180_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const marker = randomBytes(8).toString("hex");
const workDir = path.join(repoRoot, "results", `ui-test-${randomBytes(6).toString("hex")}`);
const notebookDir = path.join(workDir, "notebooks");
let server: NotebookServer | undefined;
let browser: Browser | undefined;
let page: Page | undefined;
const pageErrors: string[] = [];
const blockedRequests: string[] = [];

const serverLog = () => server?.log() ?? "";

beforeAll(async () => {
  fs.mkdirSync(notebookDir, { recursive: true });
  fs.copyFileSync(path.join(repoRoot, "notebooks", NOTEBOOK), path.join(notebookDir, NOTEBOOK));
  // server state (nbserver-*.json, cookie secret, kernel sockets) stays in the test folder
  server = await startNotebookServer({
    notebookDir,
    stateDir: workDir,
    staticDirs: [],
    env: { RESULTS_DIR: path.join(workDir, "results"), SCALE: "quick", CORES: "1", KH_TEST_MARKER: marker },
  });

  browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS, headless: true });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // No network: anything but this machine, file:, data: and blob: is refused (and recorded).
  await context.route(/^(?!https?:\/\/(127\.0\.0\.1|localhost)[:/]|file:|data:|blob:)/, (route) => {
    blockedRequests.push(route.request().url());
    return route.abort();
  });
  page = await context.newPage();
  page.on("pageerror", (error) => pageErrors.push(error.message));
}, 60_000);

afterAll(async () => {
  // Whatever happened above: close the browser, stop the server, remove the folder.
  await browser?.close().catch(() => undefined);
  await server?.stop();
  // Last resort, only for processes this test started (they carry its marker).
  for (const pid of survivors(marker)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone meanwhile
    }
  }
  fs.rmSync(workDir, { recursive: true, force: true });
}, 60_000);

/** What the page shows about the run, read in the browser. */
interface RunState {
  kernel: string;
  prompts: string[];
}

// Code that runs in the page is written as strings (the tests' tsconfig has no DOM types, as in browser-helpers).
const RUN_STATE = `({
  kernel: document.querySelector("#kernel_indicator_icon")?.className ?? "",
  prompts: Array.from(document.querySelectorAll(".code_cell .input_prompt"), (el) => (el.textContent ?? "").replace(/\\s+/g, " ").trim()),
})`;

async function runState(p: Page): Promise<RunState> {
  return p.evaluate<RunState>(RUN_STATE);
}

const ran = (prompt: string) => /\[\d+\]/.test(prompt);

test("notebook 01 runs through the classic Notebook UI (Cell > Run All): every cell runs, outputs and plots appear, no error, kernel idle", async () => {
  const p = page!;
  const started = Date.now();
  await p.goto(server!.url(`/notebooks/${NOTEBOOK}`), { waitUntil: "load", timeout: 30_000 });
  // The kernel is ready when the indicator first shows idle.
  await p.waitForSelector("#kernel_indicator_icon.kernel_idle_icon", { state: "attached", timeout: 60_000 }).catch(async (error: Error) => {
    throw new Error(`the kernel never became idle: ${error.message}; indicator: ${JSON.stringify((await runState(p)).kernel)}${serverLog()}`);
  });
  const before = await runState(p);
  expect(before.prompts.length).toBeGreaterThan(5);
  expect(before.prompts.some(ran)).toBe(false); // a fresh copy, nothing run yet

  // The server, the kernel (and whatever it starts) carry the marker, so the final check can see them.
  expect(survivors(marker)).toEqual(expect.arrayContaining([server!.pid]));
  expect(survivors(marker).length).toBeGreaterThanOrEqual(2);

  // Run everything through the menus, as a reader does.
  await p.click("#celllink");
  await p.click("#run_all_cells > a");
  // Started: every prompt is queued or done (Run All marks them all "[*]" at once).
  await p.waitForFunction(
    `Array.from(document.querySelectorAll(".code_cell .input_prompt")).every((el) => /\\[(\\*|\\d+)\\]/.test(el.textContent ?? ""))`,
    undefined,
    { timeout: 10_000 },
  );
  // Finished: no "[*]" left and the kernel idle, on two polls in a row (it flickers idle between cells).
  let state = await runState(p);
  let quietPolls = 0;
  const deadline = Date.now() + RUN_TIMEOUT_MS;
  while (quietPolls < 2) {
    if (Date.now() > deadline) throw new Error(`the run did not finish within ${RUN_TIMEOUT_MS / 1000} s: ${JSON.stringify(state)}${serverLog()}`);
    await sleep(500);
    state = await runState(p);
    if (state.kernel.includes("kernel_dead_icon")) throw new Error(`the kernel died: ${JSON.stringify(state)}${serverLog()}`);
    const done = !state.prompts.some((t) => t.includes("[*]")) && state.kernel === "kernel_idle_icon";
    quietPolls = done ? quietPolls + 1 : 0;
  }
  const runSeconds = (Date.now() - started) / 1000;

  // Let plotly finish drawing, then read the page.
  await p
    .waitForFunction(
      `document.querySelectorAll(".kh-plotly-figure .plot-container.plotly").length >= document.querySelectorAll(".kh-plotly-figure").length`,
      undefined,
      { timeout: 15_000 },
    )
    .catch(() => undefined); // counted below either way
  const seen = await p.evaluate<{
    codeCells: number;
    cellsWithOutput: number;
    outputAreas: number;
    errors: string[];
    stderr: string[];
    figures: number;
    rendered: number;
    text: string;
  }>(`({
    codeCells: document.querySelectorAll(".code_cell").length,
    cellsWithOutput: Array.from(document.querySelectorAll(".code_cell")).filter((c) => c.querySelector(".output_area")).length,
    outputAreas: document.querySelectorAll(".code_cell .output_area").length,
    errors: Array.from(document.querySelectorAll(".output_error"), (el) => (el.textContent ?? "").slice(0, 500)),
    stderr: Array.from(document.querySelectorAll(".output_stderr"), (el) => (el.textContent ?? "").slice(0, 1000)),
    figures: document.querySelectorAll(".kh-plotly-figure").length,
    rendered: document.querySelectorAll(".kh-plotly-figure .plot-container.plotly").length,
    text: Array.from(document.querySelectorAll(".output_subarea"), (el) => el.textContent ?? "").join("\\n"),
  })`);

  // Screenshot of the whole notebook (the classic UI scrolls inside #site; let the page scroll instead).
  const dir = path.join(repoRoot, "results", "screenshots");
  fs.mkdirSync(dir, { recursive: true });
  const screenshot = path.join(dir, "ui-01-pool.png");
  await p.addStyleTag({ content: "#site { height: auto !important; overflow: visible !important; }" });
  await p.screenshot({ path: screenshot, fullPage: true });

  // eslint-disable-next-line no-console
  console.log(
    `UI run of ${NOTEBOOK}: ${runSeconds.toFixed(1)} s from opening to idle; ${state.prompts.length} code cells, ` +
      `${seen.outputAreas} outputs in ${seen.cellsWithOutput} cells, ${seen.rendered}/${seen.figures} figures drawn, ${seen.stderr.length} stderr outputs, ` +
      `blocked requests: ${JSON.stringify(blockedRequests)}`,
  );

  expect(state.prompts.filter((t) => !ran(t))).toEqual([]); // every code cell has an execution count
  expect(state.kernel).toBe("kernel_idle_icon");
  expect(seen.codeCells).toBe(state.prompts.length);
  // every cell shows something except at most two that only define things (const factor)
  expect(seen.cellsWithOutput).toBeGreaterThanOrEqual(seen.codeCells - 2);
  expect(seen.errors).toEqual([]);
  expect(seen.stderr.filter((t) => /Error|    at /.test(t))).toEqual([]);
  expect(seen.figures).toBeGreaterThanOrEqual(1);
  expect(seen.rendered).toBe(seen.figures);
  expect(seen.text).toMatch(/pooled results equal the serial ones: true/);
  expect(seen.text).toMatch(/integral = /);
  expect(pageErrors).toEqual([]);
  expect(blockedRequests).toEqual([]); // the page (plotly.js included) needs nothing from outside this machine
  expect(fs.statSync(screenshot).size).toBeGreaterThan(10_000);
}, RUN_TIMEOUT_MS + 60_000);

test("shutting the kernel down (REST API) and stopping the server leaves no server, kernel or worker process", async () => {
  await browser?.close();
  browser = undefined;
  expect(server!.running()).toBe(true);

  const kernels = await server!.api<{ id: string }[]>("/api/kernels");
  expect(kernels.length).toBe(1); // the notebook's
  for (const kernel of kernels) {
    const response = await fetch(server!.url(`/api/kernels/${kernel.id}`), { method: "DELETE" });
    expect(response.status).toBe(204);
  }
  expect((await server!.api<unknown[]>("/api/kernels")).length).toBe(0);

  const log = server!.log();
  if ((await server!.stop()) === "killed") throw new Error(`the Notebook server did not exit within 20 s of SIGTERM${log}`);

  // Workers may take a moment to notice their parent is gone.
  let left = survivors(marker);
  for (let i = 0; i < 20 && left.length > 0; i++) {
    await sleep(250);
    left = survivors(marker);
  }
  expect(left).toEqual([]);
}, 60_000);
