/**
 * Plotly figures in notebooks, as ONE output per figure that every front end
 * can render: `application/vnd.plotly.v1+json` (JupyterLab with the plotly
 * extension, VS Code), `text/html` (classic Notebook, nbconvert HTML, and
 * JupyterLab without the extension), `text/plain` (terminals, tests).
 *
 * The HTML needs plotly.js in the page. It is put into the notebook inline,
 * once ({@link loadPlotly}), so an exported HTML file works with no network.
 * plotly.js 3 has no AMD header, so it also loads next to require.js, which
 * classic Notebook and nbconvert's templates include.
 */
import fs from "node:fs";
import { displayBundle, escapeHtml, newDisplayId, scriptSafeJson } from "./display";

/** One plotly trace (`{ type: "bar", x: [...], y: [...] }`); see plotly.js's reference. */
export type Trace = Record<string, unknown>;

/** A plotly figure: traces, layout and config, as plotly.js takes them. */
export interface Figure {
  data: Trace[];
  layout?: Record<string, unknown>;
  config?: Record<string, unknown>;
}

const PLOTLY_MIME = "application/vnd.plotly.v1+json";
let libraryShown = false;

function plotlyPackage(): { source: string; version: string } {
  const file = require.resolve("plotly.js-dist-min");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { version } = require("plotly.js-dist-min/package.json") as { version: string };
  return { source: fs.readFileSync(file, "utf8"), version };
}

/**
 * Puts plotly.js into the notebook (inline, about 4.6 MB) so that figures
 * render in the live notebook and in exported HTML without a network.
 * Call it once near the top of a notebook; {@link showFigure} calls it
 * itself if no figure has loaded it yet in this kernel.
 *
 * @returns the plotly.js version.
 */
export function loadPlotly(): string {
  const { source, version } = plotlyPackage();
  // A literal "</script>" inside the library would end the element early.
  const safeSource = source.replace(/<\/script/gi, "<\\/script");
  displayBundle({
    "text/html":
      `<div class="kh-plotly-loader" style="font-size:smaller;color:#666">plotly.js ${escapeHtml(version)} ` +
      `loaded inline (figures work offline).</div><script type="text/javascript">${safeSource}</script>`,
    "text/plain": `plotly.js ${version} loaded inline.`,
  });
  libraryShown = true;
  return version;
}

/** A short description of a figure, for `text/plain`. */
function describeFigure(figure: Figure): string {
  const title = figure.layout?.["title"];
  const text = typeof title === "string" ? title : (title as { text?: string } | undefined)?.text;
  const traces = figure.data.map((t) => `${String(t["name"] ?? t["type"] ?? "trace")}`).join(", ");
  return `Plotly figure${text ? ` "${text}"` : ""}: ${figure.data.length} trace(s) [${traces}]`;
}

/** The mime bundle of a figure (exported for tests and for custom display). */
export function figureBundle(figure: Figure, divId: string = `kh-plot-${newDisplayId()}`): Record<string, string | object> {
  // The page's HTML version resizes with its div (which has a minimum height). The plotly mime version
  // must not: jupyterlab-plotly's output has no height of its own, so a responsive figure collapses to
  // zero height when the window's height changes.
  const spec = { data: figure.data, layout: figure.layout ?? {}, config: { ...figure.config } };
  const htmlSpec = { ...spec, config: { responsive: true, ...figure.config } };
  const html =
    `<div id="${escapeHtml(divId)}" class="kh-plotly-figure" style="width:100%;min-height:420px"></div>\n` +
    `<script type="text/javascript">(function () {\n` +
    `  var spec = ${scriptSafeJson(htmlSpec)};\n` +
    `  var el = document.getElementById(${JSON.stringify(divId)});\n` +
    `  if (window.Plotly) { window.Plotly.newPlot(el, spec.data, spec.layout, spec.config); }\n` +
    `  else { el.textContent = "plotly.js is not loaded in this page: run the cell that calls loadPlotly() (or re-run the notebook)."; }\n` +
    `})();</script>`;
  return { [PLOTLY_MIME]: spec, "text/html": html, "text/plain": describeFigure(figure) };
}

/**
 * Shows a plotly figure as one output (see the module comment for the mime
 * types). Loads plotly.js first if this kernel has not shown it yet.
 *
 * @example showFigure({ data: [{ type: "bar", x: ["serial", "pool"], y: [4.1, 2.2] }], layout: { title: { text: "Time (s)" } } });
 */
export function showFigure(figure: Figure): void {
  if (!figure || !Array.isArray(figure.data)) {
    throw new TypeError("Expected a figure `{ data: Trace[], layout?, config? }`.");
  }
  if (!libraryShown) loadPlotly();
  displayBundle(figureBundle(figure));
}
