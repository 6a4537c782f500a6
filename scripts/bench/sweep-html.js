// @ts-check
/**
 * The sweep's self-contained HTML page: the ratio of every cell as a heatmap, each
 * primitive's values against the worker count, and the tables. plotly.js is put into
 * the page inline from the plotly.js-dist-min package, as kernel-helpers' loadPlotly
 * puts it into a notebook, and each figure is kernel-helpers' figureBundle HTML, so
 * the page works offline and loads nothing from the network.
 */
'use strict';

const fs = require('node:fs');
const { figureBundle } = require('kernel-helpers');
const { plural } = require('./format');
const { ratioTable, workersTitle } = require('./sweep-report');

/** @typedef {import('kernel-helpers').Figure} Figure */
/** @typedef {import('./sweep-report').SweepReport} SweepReport */

const COLOURS = { thread: '#4c78a8', process: '#f58518', python: '#54a24b' };
/** ColorBrewer's red-white-blue, as kernel-helpers' speedupHeatmap: red below 1 (slower than Python), blue above. */
const DIVERGING = ['#b2182b', '#ef8a62', '#fddbc7', '#f7f7f7', '#d1e5f0', '#67a9cf', '#2166ac'].map((c, i) => [i / 6, c]);
/** The colours stop at 1/8 and 8 times Python; the cell's text gives the exact ratio. */
const CAP_LOG2 = 3;

/**
 * The ratio kernel-helpers / Python of every cell: rows primitive x backend, columns
 * worker counts, coloured by log2(ratio) (white: as fast as Python).
 * @param {SweepReport} json
 * @returns {Figure}
 */
function ratioHeatmap(json) {
  const { workerCounts, cores } = json.settings;
  const rows = json.primitives.flatMap((p) => /** @type {const} */ (['thread', 'process']).map((backend) => ({ p, backend })));
  const cellAt = (/** @type {(typeof rows)[number]} */ row, /** @type {number} */ w) =>
    json.cells.find((c) => c.primitive === row.p.key && c.backend === row.backend && c.workers === w);
  const ticks = Array.from({ length: 2 * CAP_LOG2 + 1 }, (_, i) => i - CAP_LOG2);
  return {
    data: [
      {
        type: 'heatmap',
        x: workerCounts.map((w, i) => workersTitle(w, i, cores)),
        y: rows.map(({ p, backend }) => `${p.key}, ${plural(backend)}`),
        z: rows.map((row) => workerCounts.map((w) => {
          const ratio = cellAt(row, w)?.ratio;
          return ratio ? Math.max(-CAP_LOG2, Math.min(CAP_LOG2, Math.log2(ratio))) : null;
        })),
        zmin: -CAP_LOG2,
        zmax: CAP_LOG2,
        colorscale: DIVERGING,
        text: rows.map((row) => workerCounts.map((w) => {
          const ratio = cellAt(row, w)?.ratio;
          return ratio ? `${ratio.toFixed(2)}×` : 'n/a';
        })),
        texttemplate: '%{text}',
        hovertemplate: '%{y}, %{x}<br>kernel-helpers / Python: %{text}<extra></extra>',
        colorbar: {
          title: { text: 'kernel-helpers / Python<br>(log scale, capped)' },
          tickvals: ticks,
          ticktext: ticks.map((t) => (t >= 0 ? `${2 ** t}×` : `1/${2 ** -t}×`)),
        },
      },
    ],
    layout: {
      title: { text: 'kernel-helpers / Python per cell (≥ 1: kernel-helpers at least as fast; blue: faster, red: slower)' },
      height: 200 + 42 * rows.length,
      xaxis: { type: 'category', title: { text: 'workers (pool workers, Queue consumers, Manager clients)' } },
      yaxis: { type: 'category', autorange: 'reversed', automargin: true },
    },
    config: { displaylogo: false },
  };
}

/**
 * One primitive's medians against the worker count: kernel-helpers threads,
 * processes and Python, whiskers from the slowest to the fastest round (linear axes).
 * @param {SweepReport} json
 * @param {SweepReport['primitives'][number]} primitive
 * @returns {Figure}
 */
function valuesFigure(json, primitive) {
  const { workerCounts, cores } = json.settings;
  const mine = json.cells.filter((c) => c.primitive === primitive.key);
  /** @param {'thread' | 'process' | 'python'} who */
  const trace = (who) => {
    const points = workerCounts.flatMap((w) => {
      const cell = mine.find((c) => c.workers === w && c.backend === (who === 'python' ? 'thread' : who));
      const value = cell ? (who === 'python' ? cell.python : cell.kernelHelpers) : null;
      const samples = cell ? (who === 'python' ? cell.pythonSamples : cell.kernelHelpersSamples) : null;
      if (value === null || !samples || samples.length === 0) return [];
      return [{ w, value, plus: Math.max(0, Math.max(...samples) - value), minus: Math.max(0, value - Math.min(...samples)) }];
    });
    return {
      type: 'scatter',
      mode: 'lines+markers',
      name: who === 'python' ? 'Python multiprocessing' : `kernel-helpers, ${plural(who)}`,
      x: points.map((p) => p.w),
      y: points.map((p) => p.value),
      error_y: { type: 'data', symmetric: false, array: points.map((p) => p.plus), arrayminus: points.map((p) => p.minus), thickness: 1, width: 3 },
      marker: { size: 9, color: COLOURS[who] },
      line: { color: COLOURS[who] },
      hovertemplate: `%{x} worker(s): %{y:.4s}<extra>${who}</extra>`,
    };
  };
  const maxWorkers = Math.max(...workerCounts);
  return {
    data: [trace('thread'), trace('process'), trace('python')],
    layout: {
      title: { text: `${primitive.label}<br><sub>markers: median; whiskers: slowest to fastest round</sub>` },
      xaxis: { title: { text: 'workers' }, tickvals: workerCounts, rangemode: 'tozero' },
      yaxis: { title: { text: primitive.unit }, rangemode: 'tozero' },
      shapes: cores < maxWorkers ? [{ type: 'line', x0: cores, x1: cores, yref: 'paper', y0: 0, y1: 1, line: { color: '#bbb', width: 1, dash: 'dot' } }] : [],
      annotations: cores < maxWorkers ? [{ x: cores, yref: 'paper', y: 0, text: ` ${cores} cores: oversubscribed to the right`, showarrow: false, xanchor: 'left', yanchor: 'bottom' }] : [],
      height: 420,
    },
    config: { displaylogo: false },
  };
}

/**
 * Every figure of the page, the heatmap first.
 * @param {SweepReport} json
 * @returns {Figure[]}
 */
function sweepFigures(json) {
  return [ratioHeatmap(json), ...json.primitives.map((p) => valuesFigure(json, p))];
}

/** @param {string} text */
const escapeHtml = (text) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * plotly.js from the plotly.js-dist-min package (sweepHtml escapes any "</script" in it).
 * @returns {{ source: string, version: string }}
 */
function plotlyInline() {
  const source = fs.readFileSync(require.resolve('plotly.js-dist-min'), 'utf8');
  const { version } = require('plotly.js-dist-min/package.json');
  return { source, version: String(version) };
}

/**
 * The page: title, machine and Python, the ratio table, the figures, the rates and the definitions.
 * @param {SweepReport} json
 * @param {string} text - the printed report (sweepText), shown as it was printed
 * @param {{ source: string, version: string }} [plotly] - plotly.js to put inline (default: the installed plotly.js-dist-min)
 * @returns {string} a whole HTML document that needs no network
 */
function sweepHtml(json, text, plotly = plotlyInline()) {
  const figures = sweepFigures(json).map((figure, i) => String(figureBundle(figure, `sweep-figure-${i + 1}`)['text/html']));
  const tableRows = ratioTable(json).split('\n').filter((_, i) => i !== 1).map((line) => line.slice(2, -2).split(' | '));
  const cellStyle = (/** @type {string} */ cell) => {
    const v = Number(cell);
    return Number.isFinite(v) && /^\d+\.\d+$/.test(cell) ? ` style="background:${v >= 1 ? '#d1e5f0' : '#fddbc7'};text-align:right"` : '';
  };
  const table = tableRows
    .map((cells, r) => `<tr>${cells.map((c) => (r === 0 ? `<th>${escapeHtml(c)}</th>` : `<td${cellStyle(c)}>${escapeHtml(c)}</td>`)).join('')}</tr>`)
    .join('\n');
  const definitions = Object.entries(json.definitions).map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(String(v))}</dd>`).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>kernel-helpers against Python multiprocessing: sweep of ${escapeHtml(json.createdAt)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5em auto; max-width: 1100px; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; } th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; }
pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto; font-size: smaller; } dt { font-weight: bold; margin-top: 0.5em; }
.note { color: #555; font-size: smaller; }
</style>
<script type="text/javascript">${plotly.source.replace(/<\/script/gi, '<\\/script')}</script>
</head>
<body>
<h1>kernel-helpers against Python's multiprocessing</h1>
<p>${escapeHtml(json.definitions.ratio)}</p>
<p class="note">Command: <code>${escapeHtml(json.command)}</code>; ${escapeHtml(json.mode)} sweep, ${escapeHtml(json.createdAt)}, ${json.durationS.toFixed(0)} s.
plotly.js ${escapeHtml(plotly.version)} inline (this page needs no network).</p>
<table>
${table}
</table>
${figures.join('\n')}
<h2>The run, as printed</h2>
<pre>${escapeHtml(text)}</pre>
<h2>Definitions</h2>
<dl>
${definitions}
</dl>
</body>
</html>
`;
}

module.exports = { ratioHeatmap, valuesFigure, sweepFigures, sweepHtml, plotlyInline };
