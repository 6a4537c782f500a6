/**
 * Drives the JupyterLab test page (tests/jupyterlab/: JupyterLab 4's notebook
 * front end bundled from npm) in Chromium: build it, open a notebook in it,
 * click its toolbar, and read what it shows (kernel state, the notebook model,
 * rendered figures), keeping every script error and console message.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import type { NotebookServer } from "./jupyterlab-server";
import { repoRoot, type Notebook } from "./notebook-helpers";

/** The folder the Notebook server serves under /static/ (the page is /static/kh-lab/index.html). */
export const PAGE_STATIC_DIR = path.join(repoRoot, "tests", "jupyterlab", "dist");

/**
 * Installs (npm ci, only when needed) and bundles the page: `node tests/jupyterlab/build.mjs`.
 * Resolves with what it printed; rejects with that output when it fails.
 */
export function buildJupyterLabPage(timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot, "tests", "jupyterlab", "build.mjs")], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`tests/jupyterlab/build.mjs failed (${signal ?? `exit status ${code}`}):\n${output.slice(-6000)}`));
    });
  });
}

/**
 * Console messages that JupyterLab's front end prints against this set-up and
 * that say nothing about the notebooks. Anything else the console reports as
 * an error fails the test.
 */
export const KNOWN_CONSOLE_NOISE: { pattern: RegExp; why: string }[] = [
  {
    // JupyterLab first asks for the kernel WebSocket subprotocol v1.kernel.websocket.jupyter.org,
    // which Notebook 6 does not speak (jupyter_server 2 does); it reconnects at once with the
    // legacy protocol, and every message after that arrives.
    pattern: /^WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/api\/kernels\/[^']*' failed: Error during WebSocket handshake: Sent non-empty 'Sec-WebSocket-Protocol' header but no response was received$/,
    why: "the kernel WebSocket subprotocol fallback (Notebook 6 server)",
  },
  { pattern: /^Connection lost, reconnecting in \d+ seconds\.$/, why: "the same fallback, reconnecting" },
  {
    // yjs warns when a cell's shared model is read before the cell joins the notebook's Y.Doc,
    // which JupyterLab does while it builds a notebook's cells.
    pattern: /^Invalid access: Add Yjs type to a document before reading data\.$/,
    why: "yjs: a cell read before it joined the notebook's document",
  },
  { pattern: /^\[yjs#509\] Not same Y\.Doc$/, why: "yjs: the same, for cells being moved into the notebook's document" },
  {
    // JupyterLab asks the kernel for its input history; tslab does not answer history_request.
    pattern: /^History was unable to be retrieved$/,
    why: "tslab has no input history",
  },
];

const isNoise = (text: string) => KNOWN_CONSOLE_NOISE.some(({ pattern }) => pattern.test(text));

/** A view of the notebook: with jupyterlab-plotly's renderer, or with the standard renderers only. */
export type LabView = "plotly" | "html";

/** How the page is opened: its views, side by side on one notebook model, and with a kernel or not. */
export interface LabOptions {
  views: LabView[];
  kernel: boolean;
}

/** What `window.khLab.state()` reports (tests/jupyterlab/src/page.js). */
export interface LabState {
  kernel: string;
  runAll: { state: "idle" | "running" | "done"; ok: boolean | null };
  /** Each code cell: its execution count and trust (one model), and its prompt in each view ("[3]:", "[*]:"). */
  codeCells: { executionCount: number | null; trusted: boolean; prompts: string[] }[];
}

/** Figures as one view drew them: one entry per container, true when a plot (or its saved image) is in it. */
export interface RenderedFigures {
  /** jupyterlab-plotly's renderer (`.jp-RenderedPlotly`): a plotly.js plot, or the PNG it saved in the output. */
  renderer: boolean[];
  /** The text/html fallback (kernel-helpers' `.kh-plotly-figure` div): a plot drawn by its script. */
  html: boolean[];
  /** `<script>` elements left in rendered outputs (the sanitizer removes them from untrusted HTML). */
  scripts: number;
}

const readFigures = (view: LabView) => `(() => {
  const view = document.querySelector('[data-kh-view="${view}"]');
  return {
    renderer: Array.from(view.querySelectorAll(".jp-RenderedPlotly"), (el) =>
      el.querySelector(".plot-container") !== null || el.querySelector('img.plot-img[src^="data:image/png"]') !== null),
    html: Array.from(view.querySelectorAll(".kh-plotly-figure"), (el) => el.querySelector(".plot-container.plotly") !== null),
    scripts: view.querySelectorAll(".jp-OutputArea-output script").length,
  };
})()`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One notebook open in the JupyterLab page. */
export class LabPage {
  /** Uncaught script errors. */
  readonly pageErrors: string[] = [];
  /** Console errors that are not {@link KNOWN_CONSOLE_NOISE}. */
  readonly consoleErrors: string[] = [];
  /** Console warnings that are not known noise (reported, not failed on: libraries warn freely). */
  readonly consoleWarnings: string[] = [];

  private constructor(readonly page: Page) {
    page.on("pageerror", (error) => this.pageErrors.push(error.message));
    page.on("console", (message) => {
      const text = message.text();
      if (isNoise(text)) return;
      if (message.type() === "error") this.consoleErrors.push(text.slice(0, 1000));
      if (message.type() === "warning") this.consoleWarnings.push(text.slice(0, 300));
    });
  }

  /** Opens `notebookPath` (relative to the server's folder) and waits until it is loaded and, with a kernel, the kernel is idle. */
  static async open(context: BrowserContext, server: NotebookServer, notebookPath: string, options: LabOptions): Promise<LabPage> {
    const lab = new LabPage(await context.newPage());
    await lab.page.setViewportSize({ width: Math.max(1280, 900 * options.views.length), height: 900 });
    const query = `path=${encodeURIComponent(notebookPath)}&views=${options.views.join(",")}&kernel=${options.kernel ? 1 : 0}`;
    await lab.page.goto(server.url(`/static/kh-lab/index.html?${query}`), { waitUntil: "load", timeout: 60_000 });
    await lab.page.waitForFunction("window.khLab !== undefined", undefined, { timeout: 30_000 });
    await lab.page.evaluate("window.khLab.ready");
    if (options.kernel) await lab.waitFor("the kernel to start", (s) => s.kernel === "idle", 60_000);
    return lab;
  }

  state(): Promise<LabState> {
    return this.page.evaluate<LabState>("window.khLab.state()");
  }

  /** The notebook model as JupyterLab would save it. */
  model(): Promise<Notebook> {
    return this.page.evaluate<Notebook>("window.khLab.model()");
  }

  /** Clicks an item of the first view's notebook toolbar by name: save, run, interrupt, kh-run-all, kh-shut-down... */
  async click(item: string): Promise<void> {
    await this.page.locator(`[data-jp-item-name="${item}"]`).first().click({ timeout: 10_000 });
  }

  /** Polls the page until `done(state)` holds on two polls in a row (the kernel flickers idle between cells). */
  async waitFor(what: string, done: (state: LabState) => boolean, timeoutMs: number): Promise<LabState> {
    const deadline = Date.now() + timeoutMs;
    let state = await this.state();
    for (let hits = 0; hits < 2; ) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}: ${JSON.stringify(state)}`);
      if (state.kernel === "dead") throw new Error(`the kernel died while waiting for ${what}`);
      await sleep(300);
      state = await this.state();
      hits = done(state) ? hits + 1 : 0;
    }
    return state;
  }

  /** Waits until no cell runs or waits to run and the kernel is idle. */
  untilIdle(timeoutMs: number): Promise<LabState> {
    return this.waitFor(
      "the kernel to be idle with no cell running",
      (s) => s.kernel === "idle" && s.runAll.state !== "running" && !s.codeCells.some((c) => c.prompts.some((p) => p.includes("[*]"))),
      timeoutMs,
    );
  }

  /**
   * Reads the figures of `view` once at least `containers` figure containers are in it and at least
   * `drawn` of them hold a plot, or after 30 s (plotly draws asynchronously).
   */
  async figures(view: LabView, containers: number, drawn: number): Promise<RenderedFigures> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const seen = await this.page.evaluate<RenderedFigures>(readFigures(view));
      const all = [...seen.renderer, ...seen.html];
      if ((all.length >= containers && all.filter(Boolean).length >= drawn) || Date.now() > deadline) return seen;
      await sleep(500);
    }
  }

  /** Math typeset by MathJax in `view` (`mjx-container` elements) and MathJax's error marks in it. */
  math(view: LabView): Promise<{ typeset: number; errors: number }> {
    return this.page.evaluate(`(() => {
      const view = document.querySelector('[data-kh-view="${view}"]');
      return { typeset: view.querySelectorAll("mjx-container").length, errors: view.querySelectorAll("mjx-merror").length };
    })()`);
  }

  /**
   * A picture of the window with every view scrolled to its first figure (or its top). Not the whole
   * notebook: making the window taller to fit it would collapse the plotly renderer's figures
   * (tests/e2e/jupyterlab.test.ts says why), and a picture must show what the checks saw.
   */
  /**
   * Changes the window's height and back, then returns the drawn height (px) of
   * every plotly.js plot in `view`: a figure that resizes to its output's own
   * height (zero in jupyterlab-plotly) would collapse here.
   */
  async plotHeightsAfterResize(view: LabView): Promise<number[]> {
    const size = this.page.viewportSize() ?? { width: 1280, height: 900 };
    for (const height of [Math.round(size.height * 0.6), size.height]) {
      await this.page.setViewportSize({ width: size.width, height });
      await sleep(800); // plotly's resize handler runs after the window's resize event
    }
    return (await this.page.evaluate(`Array.from(document.querySelectorAll('[data-kh-view="${view}"] .js-plotly-plot'), (el) => el.getBoundingClientRect().height)`)) as number[];
  }

  async screenshot(file: string): Promise<void> {
    await this.page.evaluate(`document.querySelectorAll("[data-kh-view]").forEach((view) => {
      const figure = view.querySelector(".jp-RenderedPlotly, .kh-plotly-figure");
      if (figure) figure.scrollIntoView({ block: "center" });
      else view.querySelector(".jp-WindowedPanel-outer")?.scrollTo(0, 0);
    })`);
    await sleep(1_000); // cells that came into view render
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await this.page.screenshot({ path: file });
  }

  async close(): Promise<void> {
    await this.page.close().catch(() => undefined);
  }
}
