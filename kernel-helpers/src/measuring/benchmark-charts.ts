/**
 * The figures of a benchmark run (notebook 03), each a plotly
 * {@link Figure} for `showFigure`: time against weight, where parallel wins
 * (a heatmap), speed-up against workers, and saved runs overlaid.
 */
import { SERIAL, type BenchRecord } from "./benchmark";
import type { FoundRun } from "./benchmark-files";
import type { Figure, Trace } from "./plot";
import type { AmdahlFit } from "./stats";
import { amdahlSpeedup } from "./stats";

const PALETTE = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#eeca3b", "#9d755d", "#ff9da6", "#bab0ac"];
const SYMBOLS = ["circle", "square", "diamond", "triangle-up", "cross", "x"];
const DASHES = ["solid", "dot", "dash", "dashdot", "longdash"];

/** Strategies in order of first appearance, serial first. */
function strategiesOf(records: readonly BenchRecord[]): string[] {
  return [SERIAL, ...new Set(records.map((r) => r.strategy).filter((s) => s !== SERIAL))];
}

const sorted = (values: Iterable<number>): number[] => [...new Set(values)].sort((a, b) => a - b);

/**
 * The original tutorial's figure: time against weight on log-log axes, one
 * colour per task count, one marker per strategy (parallel ones with
 * `workers` workers), whiskers from the fastest to the slowest round.
 * Markers are nudged sideways a little so they do not hide each other.
 */
export function timeVsWeight(records: readonly BenchRecord[], options: { workers: number; title: string }): Figure {
  const strategies = strategiesOf(records);
  const nudge = 1.07;
  const data: Trace[] = sorted(records.map((r) => r.tasks)).flatMap((tasks, t) =>
    strategies.map((strategy, s) => {
      const rows = records
        .filter((r) => r.tasks === tasks && r.strategy === strategy && r.workers === (strategy === SERIAL ? 1 : options.workers))
        .sort((a, b) => a.weight - b.weight);
      const colour = PALETTE[t % PALETTE.length];
      return {
        type: "scatter",
        mode: "lines+markers",
        name: `T = ${tasks}, ${strategy}`,
        legendgroup: `T = ${tasks}`,
        x: rows.map((r) => r.weight * nudge ** (s - (strategies.length - 1) / 2)),
        y: rows.map((r) => r.medianMs / 1000),
        customdata: rows.map((r) => r.weight),
        error_y: { type: "data", symmetric: false, array: rows.map((r) => (r.maxMs - r.medianMs) / 1000), arrayminus: rows.map((r) => (r.medianMs - r.minMs) / 1000), thickness: 1, width: 2 },
        marker: { symbol: SYMBOLS[s % SYMBOLS.length], color: colour, size: 8 },
        line: { color: colour, width: 1, dash: DASHES[s % DASHES.length] },
        hovertemplate: `T = ${tasks}, ${strategy}<br>W = %{customdata:,}<br>%{y:.4g} s<extra></extra>`,
      };
    }),
  );
  return {
    data,
    layout: {
      title: { text: `${options.title}<br><sub>markers: median; whiskers: fastest to slowest round</sub>` },
      xaxis: { type: "log", title: { text: "weight W (random points per task, log scale)" } },
      yaxis: { type: "log", title: { text: "time per job in seconds (start-up included, log scale)" } },
      height: 560,
      legend: { font: { size: 10 } },
    },
  };
}

/** ColorBrewer's red-white-blue: red below 0 (slower than serial), white at 0, blue above (faster). */
const DIVERGING = ["#b2182b", "#ef8a62", "#fddbc7", "#f7f7f7", "#d1e5f0", "#67a9cf", "#2166ac"].map((c, i) => [i / 6, c]);

const factorText = (log2: number): string => (log2 >= 0 ? `${2 ** log2}×` : `1/${2 ** -log2}×`);

/**
 * Where parallel wins: for each (T, W), the fastest parallel strategy with
 * `workers` workers against serial, coloured by log2(serial / parallel) on a
 * diverging scale centred at 0 (white: as fast as serial; blue: faster;
 * red: slower). The colours stop at ±log2(max(2, workers)), so an ideal win
 * is full blue instead of a pale tint beside a 100× loss; the cell's text
 * gives the exact factor.
 */
export function speedupHeatmap(records: readonly BenchRecord[], options: { workers: number; title: string }): Figure {
  const tasks = sorted(records.map((r) => r.tasks));
  const weights = sorted(records.map((r) => r.weight));
  const best = tasks.map((t) =>
    weights.map((w) => {
      const here = records.filter((r) => r.tasks === t && r.weight === w && r.strategy !== SERIAL && r.workers === options.workers);
      return here.length > 0 ? here.reduce((a, b) => (b.medianMs < a.medianMs ? b : a)) : null;
    }),
  );
  const cap = Math.log2(Math.max(2, options.workers));
  const ticks = Array.from({ length: 2 * Math.floor(cap) + 1 }, (_, i) => i - Math.floor(cap));
  return {
    data: [
      {
        type: "heatmap",
        x: weights.map((w) => `W = ${w.toLocaleString("en-US")}`),
        y: tasks.map((t) => `T = ${t}`),
        z: best.map((row) => row.map((r) => (r ? Math.max(-cap, Math.min(cap, Math.log2(r.speedupVsSerial))) : null))),
        zmin: -cap,
        zmax: cap,
        colorscale: DIVERGING,
        text: best.map((row) => row.map((r) => (r ? `${r.strategy}<br>${r.speedupVsSerial.toPrecision(2)}× serial` : "not measured"))),
        texttemplate: "%{text}",
        hovertemplate: "%{y}, %{x}<br>%{text}<extra></extra>",
        colorbar: {
          title: { text: `speed-up over serial<br>(× serial, log scale;<br>colour capped at ${factorText(cap)} either way)` },
          tickvals: ticks,
          ticktext: ticks.map(factorText),
        },
      },
    ],
    layout: {
      title: { text: options.title },
      height: 220 + 90 * tasks.length,
      xaxis: { type: "category", title: { text: "weight W (random points per task)" } },
      yaxis: { type: "category", title: { text: "task count T" } },
    },
  };
}

/** A fitted Amdahl curve for {@link scalingFigure}: the fit and the worker counts it was fitted on. */
export interface ScalingCurve {
  fit: AmdahlFit;
  workers: readonly number[];
}

/**
 * Speed-up over serial against the number of workers at one point (linear
 * axes: the lesson is a ratio). The ideal line rises as min(N, P), P being
 * the cores that can run in parallel: past P, more workers share the cores.
 * An Amdahl curve is drawn only for the strategies in `fits`, and only over
 * the worker counts it was fitted on, never extrapolated.
 */
export function scalingFigure(
  records: readonly BenchRecord[],
  options: { tasks: number; weight: number; parallelCores: number; fits?: ReadonlyMap<string, ScalingCurve>; title: string },
): Figure {
  const rows = records.filter((r) => r.tasks === options.tasks && r.weight === options.weight && r.strategy !== SERIAL);
  const workers = sorted([1, ...rows.map((r) => r.workers)]);
  const maxWorkers = Math.max(...workers);
  const P = options.parallelCores;
  const idealX = sorted([1, Math.min(P, maxWorkers), maxWorkers]);
  const data: Trace[] = [
    { type: "scatter", mode: "lines", name: `ideal: min(N, ${P}) for ${P} core(s) in parallel`, x: idealX, y: idealX.map((n) => Math.min(n, P)), line: { color: "#999", dash: "dash" } },
  ];
  strategiesOf(rows).filter((s) => s !== SERIAL).forEach((strategy, i) => {
    const colour = PALETTE[i % PALETTE.length];
    const mine = rows.filter((r) => r.strategy === strategy).sort((a, b) => a.workers - b.workers);
    data.push({
      type: "scatter", mode: "lines+markers", name: strategy, legendgroup: strategy,
      x: mine.map((r) => r.workers), y: mine.map((r) => r.speedupVsSerial),
      marker: { size: 9, symbol: SYMBOLS[(i + 1) % SYMBOLS.length], color: colour }, line: { color: colour },
      hovertemplate: `${strategy}<br>%{x} worker(s): %{y:.2f}× serial<extra></extra>`,
    });
    const curve = options.fits?.get(strategy);
    if (curve) {
      const top = Math.max(...curve.workers);
      const xs = Array.from({ length: 40 }, (_, k) => 1 + ((top - 1) * k) / 39);
      data.push({
        type: "scatter", mode: "lines", name: `${strategy}: Amdahl fit, f = ${curve.fit.serialFraction.toFixed(3)} (fitted range only)`, legendgroup: strategy,
        x: xs, y: xs.map((n) => amdahlSpeedup(curve.fit.serialFraction, n)), line: { color: colour, dash: "dot", width: 1 },
      });
    }
  });
  return {
    data,
    layout: {
      title: { text: options.title },
      xaxis: { title: { text: "workers N" }, tickvals: workers, rangemode: "tozero" },
      yaxis: { title: { text: "speed-up over serial (× serial)" }, rangemode: "tozero" },
      shapes: P < maxWorkers ? [{ type: "line", x0: P, x1: P, yref: "paper", y0: 0, y1: 1, line: { color: "#bbb", width: 1 } }] : [],
      annotations: P < maxWorkers ? [{ x: P, yref: "paper", y: 1, text: `${P} core(s) in parallel`, showarrow: false, yanchor: "bottom" }] : [],
      height: 440,
    },
  };
}

/**
 * Saved runs overlaid: for each run, the time per task at its largest task
 * count against the weight, serial and each parallel strategy at the run's
 * grid workers (`parameters.GRID_WORKERS`, else its largest worker count), so
 * runs with different grids and machines share the axes.
 *
 * @param current - the file name of this run, marked "(this run)" in the legend.
 */
export function savedRunsFigure(runs: readonly FoundRun[], current?: string): Figure {
  const data: Trace[] = runs.flatMap(({ run, label, file }, i) => {
    const tasks = Math.max(...run.records.map((r) => r.tasks));
    const colour = PALETTE[i % PALETTE.length];
    return strategiesOf(run.records).map((strategy, s) => {
      const mine = run.records.filter((r) => r.tasks === tasks && r.strategy === strategy);
      const gridWorkers = typeof run.parameters["GRID_WORKERS"] === "number" ? run.parameters["GRID_WORKERS"] : Math.max(...mine.map((r) => r.workers));
      const rows = mine.filter((r) => r.workers === (strategy === SERIAL ? 1 : gridWorkers)).sort((a, b) => a.weight - b.weight);
      return {
        type: "scatter", mode: "lines+markers", name: `${label}${file === current ? " (this run)" : ""}: ${strategy}`, legendgroup: file,
        x: rows.map((r) => r.weight), y: rows.map((r) => r.medianMs / r.tasks),
        marker: { symbol: SYMBOLS[s % SYMBOLS.length], color: colour, size: 7 }, line: { color: colour, width: 1, dash: DASHES[s % DASHES.length] },
        hovertemplate: `${label}<br>${strategy}, T = ${tasks}<br>W = %{x:,}<br>%{y:.4g} ms per task<extra></extra>`,
      };
    });
  });
  return {
    data,
    layout: {
      title: { text: `Saved runs overlaid: time per task at each run's largest T (${runs.length} run(s))` },
      xaxis: { type: "log", title: { text: "weight W (random points per task, log scale)" } },
      yaxis: { type: "log", title: { text: "ms per task (median time / T, log scale)" } },
      height: 520,
      legend: { font: { size: 10 } },
    },
  };
}
