/**
 * Every notebook run by JupyterLab 4's own notebook front end in Chromium: Run All at quick scale (no error, every figure drawn with and without the plotly renderer, math typeset, progress lines updated in place); notebook 01 reopened untrusted and trusted, interrupted and re-run, its kernel shut down, nothing left running.
 *
 * JupyterLab's Python package cannot be installed here (no PyPI), but its
 * front end is on the npm registry. tests/jupyterlab/ bundles it into one page
 * (see tests/jupyterlab/src/page.js); beforeAll installs and builds it (a
 * minute or so the first time, then a no-op), starts Debian's classic
 * Notebook 6.4 server on 127.0.0.1 with a token and a port of its own (it
 * serves the page, the notebooks and the project's tslab kernel), and starts
 * Chromium with the network cut off. The notebooks are copies in a fresh
 * folder under results/, so the committed ones are never touched.
 *
 * Each notebook runs once, shown in two views of the same document side by
 * side, as JupyterLab's "New View for Notebook" does: one with jupyterlab-plotly's
 * renderer registered (JupyterLab after `pip install plotly`), one with the
 * standard renderers only (figures through their text/html fallback).
 *
 * Verified: JupyterLab's notebook widgets, output area, renderers, sanitizer,
 * trust, toolbar and kernel/session services against a real tslab kernel.
 * Not verified: the JupyterLab application shell (menus, file browser,
 * launcher), its extension manager, and jupyter_server 2 (the server here is
 * Notebook 6's; see KNOWN_CONSOLE_NOISE for what that changes).
 *
 * Assertions are on structure: the model's outputs and mime types, the rendered
 * plot elements, the kernel's state and the processes. Screenshots (the window,
 * each view scrolled to its first figure) go to results/screenshots/jupyterlab/.
 *
 * Figures keep their height when the window's height changes, in both views.
 * (A probe saw a figure with plotly's `config.responsive: true` collapse to
 * zero height in jupyterlab-plotly's output, which has no height of its own;
 * the plotly mime version is no longer responsive. The notebooks' figures,
 * which set their height, kept it here either way.)
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { chromium, type Browser, type BrowserContext } from "playwright-core";
import { CHROMIUM_ARGS, chromiumPath } from "../browser-helpers";
import { buildJupyterLabPage, LabPage, PAGE_STATIC_DIR, type LabOptions } from "../jupyterlab-page";
import { startNotebookServer, type NotebookServer } from "../jupyterlab-server";
import { errorOutputs, jupyterPython, outputs, repoRoot, survivors, type Notebook, type Output } from "../notebook-helpers";

const NOTEBOOKS = fs.readdirSync(path.join(repoRoot, "notebooks")).filter((name) => name.endsWith(".ipynb")).sort();
const SAVED = "01-pool.ipynb"; // saved by the page after its Run All, then reopened, interrupted, shut down
const RUN_TIMEOUT_MS = 240_000;
const SCREENSHOTS = path.join(repoRoot, "results", "screenshots", "jupyterlab");
const PLOTLY_MIME = "application/vnd.plotly.v1+json";

const marker = randomBytes(8).toString("hex");
const workDir = path.join(repoRoot, "results", `jupyterlab-test-${randomBytes(6).toString("hex")}`);
const notebookDir = path.join(workDir, "notebooks");
let server: NotebookServer | undefined;
let browser: Browser | undefined;
let context: BrowserContext | undefined;
const blockedRequests: string[] = [];

beforeAll(async () => {
  process.stderr.write("jupyterlab.test: installing and bundling the JupyterLab page (tests/jupyterlab; a minute or two the first time)\n");
  const built = await buildJupyterLabPage(600_000);
  process.stderr.write(built.replace(/^/gm, "  "));

  fs.rmSync(SCREENSHOTS, { recursive: true, force: true }); // only this run's pictures
  fs.mkdirSync(notebookDir, { recursive: true });
  for (const name of NOTEBOOKS) fs.copyFileSync(path.join(repoRoot, "notebooks", name), path.join(notebookDir, name));
  server = await startNotebookServer({
    notebookDir,
    stateDir: workDir,
    staticDirs: [PAGE_STATIC_DIR],
    env: { SCALE: "quick", CORES: "2", RESULTS_DIR: path.join(workDir, "results"), KH_TEST_MARKER: marker },
  });
  browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS, headless: true });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // No network: anything but this machine, data: and blob: is refused (and recorded).
  await context.route(/^(?!https?:\/\/(127\.0\.0\.1|localhost)[:/]|data:|blob:)/, (route) => {
    blockedRequests.push(route.request().url());
    return route.abort();
  });
}, 900_000);

afterAll(async () => {
  // Whatever happened: browser closed, server stopped (its kernels with it), folder removed.
  await browser?.close().catch(() => undefined);
  await server?.stop();
  for (const pid of survivors(marker)) {
    try {
      process.kill(pid, "SIGKILL"); // only processes this test started carry its marker
    } catch {
      // gone meanwhile
    }
  }
  fs.rmSync(workDir, { recursive: true, force: true });
}, 60_000);

/** Outputs that are figures, as the model says: the plotly mime type, or kernel-helpers' HTML figure alone. */
function figureOutputs(notebook: Notebook): { plotly: Output[]; htmlOnly: Output[] } {
  const isHtmlFigure = (o: Output) => join(o.data?.["text/html"]).includes("kh-plotly-figure");
  return {
    plotly: outputs(notebook).filter((o) => o.data?.[PLOTLY_MIME] !== undefined),
    htmlOnly: outputs(notebook).filter((o) => o.data?.[PLOTLY_MIME] === undefined && isHtmlFigure(o)),
  };
}

const join = (text: unknown): string => (Array.isArray(text) ? text.join("") : typeof text === "string" ? text : "");

/** Markdown without its code (fenced blocks and inline spans), where a `$` is not math. */
const withoutCode = (markdown: string) => markdown.replace(/```[\s\S]*?```/g, "").replace(/`[^`\n]*`/g, "");

/** kernel-helpers' progress line: "label: ████░░░░ 3/16  1.2 s  note". */
const PROGRESS_LINE = /^(.*): [█░]{20} (\d+)\/(\d+) {2}\d+\.\d s/;

/** Every progress output of the notebook, with its cell and counters. */
function progressOutputs(notebook: Notebook): { cell: number; label: string; done: number; total: number }[] {
  return notebook.cells.flatMap((cell, index) =>
    (cell.outputs ?? []).flatMap((o) => {
      const match = PROGRESS_LINE.exec(join(o.data?.["text/plain"]));
      return match ? [{ cell: index, label: match[1]!, done: Number(match[2]), total: Number(match[3]) }] : [];
    }),
  );
}

/** Waits until the server has no kernel left (after the page's Shut Down Kernel). */
async function noKernels(): Promise<unknown[]> {
  let kernels: unknown[] = [];
  for (let i = 0; i < 40; i++) {
    kernels = await server!.api<unknown[]>("/api/kernels");
    if (kernels.length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return kernels;
}

/** Shuts down any kernel a failed test left behind, so the next notebook starts alone. */
async function shutDownLeftKernels(): Promise<void> {
  for (const kernel of await server!.api<{ id: string }[]>("/api/kernels").catch(() => [])) {
    await server!.api(`/api/kernels/${kernel.id}`, { method: "DELETE" }).catch(() => undefined);
  }
}

/** Opens a notebook in the page, runs `body`, and always closes the page and shuts down what was left. */
async function withLab<T>(notebookPath: string, options: LabOptions, body: (lab: LabPage) => Promise<T>): Promise<T> {
  const lab = await LabPage.open(context!, server!, notebookPath, options);
  try {
    const result = await body(lab);
    expect(lab.pageErrors).toEqual([]);
    expect(lab.consoleErrors).toEqual([]);
    return result;
  } finally {
    await lab.close();
    await shutDownLeftKernels();
  }
}

describe.each(NOTEBOOKS)("%s in JupyterLab, SCALE=quick CORES=2", (name) => {
  test("Run All, seen side by side with the plotly renderer and without it (text/html fallback): every cell runs, no error output, every figure drawn in both views, math typeset, progress lines updated in place", async () => {
    await withLab(name, { views: ["plotly", "html"], kernel: true }, async (lab) => {
      const before = await lab.state();
      expect(before.codeCells.length).toBeGreaterThan(0);
      expect(before.codeCells.filter((c) => c.executionCount !== null)).toEqual([]); // a fresh copy

      const started = Date.now();
      await lab.click("kh-run-all");
      const after = await lab.untilIdle(RUN_TIMEOUT_MS);
      const runSeconds = (Date.now() - started) / 1000;
      const notebook = await lab.model();

      expect(errorOutputs(notebook)).toEqual([]);
      expect(after.runAll).toEqual({ state: "done", ok: true }); // JupyterLab's runAll: every cell succeeded
      expect(after.codeCells.filter((c) => c.executionCount === null)).toEqual([]);

      const expected = figureOutputs(notebook);
      for (const figure of expected.plotly) expect(join(figure.data?.["text/html"])).toContain("kh-plotly-figure"); // the fallback travels along
      const count = expected.plotly.length + expected.htmlOnly.length;
      // with jupyterlab-plotly, the plotly mime type wins and its renderer draws
      const withRenderer = await lab.figures("plotly", count, count);
      expect(withRenderer.renderer).toEqual(expected.plotly.map(() => true));
      expect(withRenderer.html).toEqual(expected.htmlOnly.map(() => true));
      // without it, the text/html fallback's script draws each figure
      const withoutRenderer = await lab.figures("html", count, count);
      expect(withoutRenderer.renderer).toEqual([]);
      expect(withoutRenderer.html).toEqual([...expected.plotly, ...expected.htmlOnly].map(() => true));
      // a change of the window's height leaves every figure its height, in both views
      for (const view of ["plotly", "html"] as const) {
        const heights = await lab.plotHeightsAfterResize(view);
        expect(heights).toHaveLength(count);
        expect(heights.filter((h) => h < 100)).toEqual([]);
      }

      // the Markdown's math, typeset by the MathJax typesetter the page registers
      if (notebook.cells.some((c) => c.cell_type === "markdown" && /\$[^$\n]+\$/.test(withoutCode(join(c.source))))) {
        for (const view of ["plotly", "html"] as const) {
          const math = await lab.math(view);
          expect(math.typeset).toBeGreaterThan(0);
          expect(math.errors).toBe(0);
        }
      }

      // update_display_data replaced each progress line in place: every one shows its final count
      // (appended updates would leave one output per intermediate state behind)
      const progress = progressOutputs(notebook);
      expect(progress.filter((p) => p.done !== p.total)).toEqual([]);
      if (notebook.cells.some((c) => c.cell_type === "code" && /\bprogress\(/.test(join(c.source)))) expect(progress.length).toBeGreaterThan(0);

      await lab.screenshot(path.join(SCREENSHOTS, `${name.replace(/\.ipynb$/, "")}.png`));
      if (name === SAVED) {
        await lab.click("save");
        await lab.page.waitForFunction("!window.khLab.dirty()", undefined, { timeout: 30_000 });
      }
      await lab.click("kh-shut-down");
      expect(await noKernels()).toEqual([]);
      process.stderr.write(
        `jupyterlab.test: ${name}: ${runSeconds.toFixed(1)} s from Run All to idle; ${after.codeCells.length} code cells, ` +
          `${outputs(notebook).length} outputs, figures ${expected.plotly.length} plotly + ${expected.htmlOnly.length} html-only, ` +
          `${progress.length} progress lines${lab.consoleWarnings.length ? `; other console warnings: ${JSON.stringify([...new Set(lab.consoleWarnings)])}` : ""}\n`,
      );
    });
  }, RUN_TIMEOUT_MS + 120_000);
});

describe(`${SAVED}, saved by JupyterLab after its run`, () => {
  const savedFile = () => path.join(notebookDir, SAVED);
  const figuresSaved = () => figureOutputs(JSON.parse(fs.readFileSync(savedFile(), "utf8")) as Notebook).plotly.length;

  /** Runs nbformat's notary on the saved notebook with the server's data folder (its signature database). */
  function notary(code: string): string {
    const result = spawnSync(
      jupyterPython(),
      ["-c", `import sys, nbformat\nfrom nbformat.sign import NotebookNotary\nnb = nbformat.read(sys.argv[1], 4)\n${code}`, savedFile()],
      { env: server!.jupyterEnv, encoding: "utf8" },
    );
    if (result.status !== 0) throw new Error(`nbformat's notary failed: ${result.stderr}`);
    return result.stdout.trim();
  }

  test("reopened untrusted: figures come from the plotly renderer; without it the HTML fallback is sanitized (no script, no plot)", async () => {
    // The server signed it when JupyterLab saved it (every output came from this session). Remove the
    // signature, as for a notebook executed on another machine or changed outside Jupyter.
    expect(notary("print(NotebookNotary().check_signature(nb))")).toBe("True");
    notary("NotebookNotary().unsign(nb)");
    expect(notary("print(NotebookNotary().check_signature(nb))")).toBe("False");
    const figures = figuresSaved();
    expect(figures).toBeGreaterThan(0);

    await withLab(SAVED, { views: ["plotly", "html"], kernel: false }, async (lab) => {
      const state = await lab.state();
      expect(state.codeCells.filter((c) => c.trusted)).toEqual([]);
      expect((await lab.figures("plotly", figures, figures)).renderer).toEqual(Array(figures).fill(true));
      const sanitized = await lab.figures("html", figures, 0);
      expect(sanitized.renderer).toEqual([]);
      expect(sanitized.html).toEqual(Array(figures).fill(false)); // the figure's div is kept, its script is not
      expect(sanitized.scripts).toBe(0);
      await lab.screenshot(path.join(SCREENSHOTS, "01-pool-reopened-untrusted.png"));
    });
  }, 180_000);

  test("signed with `python3 -m nbformat.sign`, reopened trusted: the HTML fallback's scripts run and draw every figure", async () => {
    const signed = spawnSync(jupyterPython(), ["-m", "nbformat.sign", savedFile()], { env: server!.jupyterEnv, encoding: "utf8" });
    expect(signed.status).toBe(0);
    expect(notary("print(NotebookNotary().check_signature(nb))")).toBe("True");
    const figures = figuresSaved();

    await withLab(SAVED, { views: ["plotly", "html"], kernel: false }, async (lab) => {
      const state = await lab.state();
      expect(state.codeCells.filter((c) => !c.trusted)).toEqual([]);
      expect((await lab.figures("plotly", figures, figures)).renderer).toEqual(Array(figures).fill(true));
      expect((await lab.figures("html", figures, figures)).html).toEqual(Array(figures).fill(true));
      await lab.screenshot(path.join(SCREENSHOTS, "01-pool-reopened-trusted.png"));
    });
  }, 180_000);

  test("interrupting a long parallel cell with the toolbar's stop button returns control; re-running it works; Shut Down Kernel leaves only the server", async () => {
    await withLab(SAVED, { views: ["plotly"], kernel: true }, async (lab) => {
      const cellText = async (index: number) =>
        ((await lab.model()).cells[index]?.outputs ?? []).map((o) => join(o.text) + join(o.data?.["text/plain"])).join("");
      const run = async (index: number) => {
        await lab.page.evaluate(`window.khLab.selectCell(${index})`);
        await lab.click("run"); // run the selected cell (and select the next), as Shift+Enter does
      };
      const setup = await lab.page.evaluate<number>(
        `window.khLab.appendCell(${JSON.stringify('import { Pool } from "kernel-helpers";\nconst labPool = new Pool({ workers: 2, backend: "process" });\nlet labSpinMs = 20_000;')})`,
      );
      // "long waiting" is printed by a timer, so only once the cell's synchronous part is over and it awaits
      // its workers (a SIGINT during the synchronous part would break the next cell instead; environment.md)
      const long = await lab.page.evaluate<number>(
        `window.khLab.appendCell(${JSON.stringify('setTimeout(() => console.log("long waiting"), 0);\nconsole.log("long done", (await labPool.map("spin", [labSpinMs, labSpinMs, labSpinMs, labSpinMs], { chunkSize: 1 })).length);')})`,
      );
      const shorter = await lab.page.evaluate<number>(`window.khLab.appendCell("labSpinMs = 200;")`);

      await run(setup);
      await lab.untilIdle(60_000);
      await run(long);
      await lab.page.waitForFunction(
        `(window.khLab.model().cells[${long}].outputs ?? []).some((o) => o.output_type === "stream" && [].concat(o.text).join("").includes("long waiting"))`,
        undefined,
        { timeout: 60_000, polling: 200 },
      );
      await lab.click("interrupt");
      await lab.untilIdle(30_000); // well before the 2 × 20 s of work per worker
      const interrupted = await cellText(long);
      expect(interrupted).not.toContain("long done");
      // tslab ending the awaited cell, or the pool reporting its process worker killed by the same
      // SIGINT (the server signals the kernel's whole process group); whichever comes first
      expect(interrupted).toMatch(/Error: Interrupted asynchronously|WorkerCrashedError: /);

      await run(shorter);
      await lab.untilIdle(30_000);
      await run(long);
      await lab.untilIdle(60_000);
      const rerun = await cellText(long);
      expect(rerun).toContain("long done 4");
      expect(rerun).not.toMatch(/Error/);

      const kernelProcesses = survivors(marker).filter((pid) => pid !== server!.pid);
      expect(kernelProcesses.length).toBeGreaterThanOrEqual(3); // the kernel and its two workers
      await lab.click("kh-shut-down");
      expect(await noKernels()).toEqual([]);
      expect((await lab.state()).kernel).toBe("none");
      let left = survivors(marker);
      for (let i = 0; i < 40 && left.some((pid) => pid !== server!.pid); i++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        left = survivors(marker);
      }
      expect(left).toEqual([server!.pid]);
    });
  }, 240_000);
});

/** Processes whose parent is this test process (the server and Chromium, while they run). */
function children(): string[] {
  return fs.readdirSync("/proc").flatMap((entry) => {
    try {
      // /proc/<pid>/stat: "pid (name) state ppid ..."; the name may contain spaces
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const [name, rest] = [stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")), stat.slice(stat.lastIndexOf(")") + 2)];
      return rest.split(" ")[1] === String(process.pid) ? [`${entry} ${name}`] : [];
    } catch {
      return []; // not a process, or gone meanwhile
    }
  });
}

test("stopping the server and the browser leaves no server, kernel, worker or browser process; no request left the machine", async () => {
  expect(children().length).toBeGreaterThanOrEqual(2); // the server and the browser
  await browser!.close();
  browser = undefined;
  await server!.stop();
  let left = survivors(marker);
  for (let i = 0; i < 40 && left.length > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    left = survivors(marker);
  }
  expect(left).toEqual([]);
  expect(children()).toEqual([]);
  expect(blockedRequests).toEqual([]);
}, 60_000);
