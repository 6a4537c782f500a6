/**
 * Opens an exported notebook HTML file in a real browser (Debian's headless
 * Chromium, driven by playwright-core; no browser download) with the network
 * cut off, and reports what a reader would see: how many plotly figures
 * rendered, which script errors the page raised, and a screenshot.
 */
import fs from "node:fs";
import path from "node:path";
import { chromium, type Browser } from "playwright-core";
import { outputs, repoRoot, type Notebook } from "./notebook-helpers";

/** The system Chromium: `$CHROMIUM_PATH`, or Debian's. */
export function chromiumPath(): string {
  const candidates = [process.env["CHROMIUM_PATH"], "/usr/bin/chromium", "/usr/bin/chromium-browser"].filter(Boolean) as string[];
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) {
    throw new Error(
      "No Chromium found for the browser checks. Install Debian's: `apt-get install chromium` (as root), " +
        "or set CHROMIUM_PATH to a Chromium/Chrome executable.",
    );
  }
  return found;
}

/** Flags for headless Chromium as root on a machine without a network (see environment.md). */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** What the browser showed. */
export interface PageReport {
  /** `kh-plotly-figure` containers in the page (one per figure output). */
  figures: number;
  /** Figures plotly actually drew (an SVG plot inside the container). */
  rendered: number;
  /** Uncaught script errors raised by the page. */
  pageErrors: string[];
  /** Requests that tried to leave the machine (all were blocked). */
  externalRequests: string[];
  screenshot: string;
}

let browser: Browser | undefined;

/** One browser for the whole test file; close it with {@link closeBrowser}. */
async function getBrowser(): Promise<Browser> {
  browser ??= await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS, headless: true });
  return browser;
}

export async function closeBrowser(): Promise<void> {
  await browser?.close();
  browser = undefined;
}

/**
 * Opens `htmlFile` (file://) offline, waits for the plots, and saves a
 * full-page screenshot as `results/screenshots/<name>.png`.
 */
export async function openExportedHtml(htmlFile: string, name: string): Promise<PageReport> {
  const context = await (await getBrowser()).newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  const externalRequests: string[] = [];
  page.on("pageerror", (error) => pageErrors.push(error.message));
  // No network: anything but file:// and data: is refused (and recorded).
  await context.route(/^(?!file:|data:|blob:).*/, (route) => {
    externalRequests.push(route.request().url());
    return route.abort();
  });
  try {
    await page.goto(`file://${path.resolve(htmlFile)}`, { waitUntil: "load", timeout: 60_000 });
    const figures = await page.locator(".kh-plotly-figure").count();
    // plotly adds .plot-container.plotly inside each figure it draws
    await page
      .waitForFunction(`document.querySelectorAll(".kh-plotly-figure .plot-container.plotly").length >= ${figures}`, undefined, { timeout: 30_000 })
      .catch(() => undefined); // counted below either way
    const rendered = await page.locator(".kh-plotly-figure .plot-container.plotly").count();
    const dir = path.join(repoRoot, "results", "screenshots");
    fs.mkdirSync(dir, { recursive: true });
    const screenshot = path.join(dir, `${name}.png`);
    await page.screenshot({ path: screenshot, fullPage: true });
    return { figures, rendered, pageErrors, externalRequests, screenshot };
  } finally {
    await context.close();
  }
}

/**
 * Registers, in the calling test file, one test per core count: the exported
 * HTML of `name` opens in Chromium offline, every figure output renders as a
 * plot, and the page raises no script error. Screenshots go to results/screenshots/.
 */
export function browserChecks(getRun: () => { outDir: string; read(cores: number, name: string): Notebook }, name: string, coreCounts: number[]): void {
  afterAll(closeBrowser);
  test.each(coreCounts)("the exported HTML (CORES=%i) renders every figure in Chromium, offline, with no page error", async (cores) => {
    const run = getRun();
    const figureOutputs = outputs(run.read(cores, name)).filter((o) => o.data?.["application/vnd.plotly.v1+json"]).length;
    const report = await openExportedHtml(path.join(run.outDir, `cores-${cores}`, `${name}.html`), `${name}-cores-${cores}`);
    expect(report.pageErrors).toEqual([]);
    expect(report.figures).toBe(figureOutputs);
    expect(report.rendered).toBe(figureOutputs);
    expect(fs.statSync(report.screenshot).size).toBeGreaterThan(10_000);
  }, 120_000);
}
