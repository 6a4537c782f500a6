/**
 * The figures the notebooks draw more than once, as functions: bars of
 * medians with min-max whiskers, and a timeline of who ran what when. Each
 * returns a plotly {@link Figure} to pass to `showFigure` (or to change first).
 */
import type { Figure } from "./plot";
import { summarize } from "./stats";

/** One bar of {@link rangeBars}: a label and its samples. */
export interface RangeBar {
  label: string;
  /** The measurements (at least one); the bar shows their median, the whisker their min and max. */
  samples: readonly number[];
  /** A plotly colour for this bar. */
  color?: string;
}

/** Options of {@link rangeBars}. */
export interface RangeBarsOptions {
  title: string;
  /** The value axis's title, with its unit, e.g. "seconds". */
  valueTitle: string;
  /** Divide every sample by this before plotting, e.g. 1000 to show ms as seconds. Default 1. */
  scale?: number;
  /** A log axis, for values spanning orders of magnitude. Default linear (right for ratios). */
  log?: boolean;
  /** Bars across the page (labels on the left) instead of up. Default false. */
  horizontal?: boolean;
}

/**
 * Bars of medians with min-max whiskers: the shape of repeated timings.
 *
 * @example showFigure(rangeBars([{ label: "serial", samples: serial.samplesMs }, { label: "pool", samples: pooled.samplesMs }], { title: "16 tasks", valueTitle: "seconds", scale: 1000 }))
 */
export function rangeBars(bars: readonly RangeBar[], options: RangeBarsOptions): Figure {
  const scale = options.scale ?? 1;
  const stats = bars.map((b) => summarize(b.samples.map((v) => v / scale)));
  const labels = bars.map((b) => b.label);
  const values = stats.map((s) => s.medianMs);
  const whisker = {
    type: "data",
    symmetric: false,
    array: stats.map((s) => s.maxMs - s.medianMs),
    arrayminus: stats.map((s) => s.medianMs - s.minMs),
  };
  const valueAxis = { title: { text: options.valueTitle }, ...(options.log ? { type: "log" } : { rangemode: "tozero" }) };
  return {
    data: [
      {
        type: "bar",
        orientation: options.horizontal ? "h" : "v",
        ...(options.horizontal ? { y: labels, x: values, error_x: whisker } : { x: labels, y: values, error_y: whisker }),
        marker: bars.some((b) => b.color) ? { color: bars.map((b) => b.color ?? "#4c78a8") } : { color: "#4c78a8" },
        hovertemplate: options.horizontal ? "%{y}: median %{x:.4g}<extra></extra>" : "%{x}: median %{y:.4g}<extra></extra>",
      },
    ],
    layout: {
      title: { text: `${options.title}<br><sub>bars: median; whiskers: min to max of ${stats[0]?.runs ?? 0} run(s)</sub>` },
      ...(options.horizontal ? { xaxis: valueAxis, yaxis: { automargin: true } } : { yaxis: valueAxis }),
      height: options.horizontal ? 160 + 36 * bars.length : 420,
      showlegend: false,
    },
  };
}

/** One span of {@link timeline}: a worker (lane) was busy from `startMs` to `endMs`. */
export interface Span {
  /** Who ran it: a worker, process or thread name (one row per lane). */
  lane: string;
  startMs: number;
  endMs: number;
  /** What ran, shown on the bar and on hover, e.g. "task 3". */
  label?: string;
  /** Spans with the same group share a colour and a legend entry (e.g. the process that owns the worker). */
  group?: string;
}

/**
 * A timeline: one row per worker, one bar per task from its start to its
 * end, time in seconds since the first start. Gaps are idle time.
 *
 * @example showFigure(timeline(spans, { title: "Who ran what" }))
 */
export function timeline(spans: readonly Span[], options: { title: string }): Figure {
  const t0 = Math.min(...spans.map((s) => s.startMs));
  const lanes = [...new Set(spans.map((s) => s.lane))].sort();
  const groups = [...new Set(spans.map((s) => s.group ?? ""))].sort();
  return {
    data: groups.map((group) => {
      const mine = spans.filter((s) => (s.group ?? "") === group);
      return {
        type: "bar",
        orientation: "h",
        name: group || "tasks",
        y: mine.map((s) => s.lane),
        base: mine.map((s) => (s.startMs - t0) / 1000),
        x: mine.map((s) => (s.endMs - s.startMs) / 1000),
        text: mine.map((s) => s.label ?? ""),
        textposition: "inside",
        hovertemplate: "%{text}<br>from %{base:.3f} s for %{x:.3f} s<extra>%{y}</extra>",
      };
    }),
    layout: {
      title: { text: options.title },
      xaxis: { title: { text: "seconds since the first task began" }, rangemode: "tozero" },
      yaxis: { categoryorder: "array", categoryarray: lanes, automargin: true },
      barmode: "overlay",
      height: 180 + 40 * lanes.length,
      showlegend: groups.length > 1,
      uniformtext: { mode: "hide", minsize: 9 }, // no labels on bars too short to hold them
    },
  };
}
