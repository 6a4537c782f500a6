/**
 * When does shipping data to workers pay? The same work timed in the main
 * thread and on a pool that first copies its share of the data, over more and
 * more work per element: the verdict (who clearly won where) and its figure,
 * for notebook 00's section 3.4.
 */
import type { Figure } from "../measuring/plot";
import { summarize } from "../measuring/stats";
import { ABOVE_IDEAL_MARGIN } from "../measuring/wording";

/** One amount of work per element, timed in the main thread and on a pool that first copies its share of the data. */
export interface WorkPoint {
  opsPerElement: number;
  /** Samples of the main-thread run, ms. */
  mainMs: readonly number[];
  /** Samples of the pool run, copies included, ms. */
  poolMs: readonly number[];
}

/** The verdict of {@link breakEven}. */
export interface BreakEven {
  /** Per point: who clearly won (every run of one faster than every run of the other), and the speed-up of the medians. */
  verdicts: { opsPerElement: number; winner: "pool" | "main thread" | "too close"; speedup: number }[];
  /** The least work per element from which the pool clearly wins at every larger amount measured; null if it never does. */
  fromOps: number | null;
  /** One sentence with the numbers. */
  sentence: string;
}

/**
 * From how much work per element does a pool pay for copying its data? A
 * side wins a point only when all its runs beat all the other side's runs,
 * so a noisy run reads "too close" rather than a made-up winner.
 *
 * A speed-up above `idealWorkers` cannot come from the workers alone; the
 * sentence then names the usual causes.
 *
 * @param points - in increasing `opsPerElement`.
 * @param workers - the pool's size, for the sentence.
 * @param idealWorkers - the most speed-up the workers can give here (workers, or fewer cores). Default `workers`.
 */
export function breakEven(points: readonly WorkPoint[], workers: number, idealWorkers = workers): BreakEven {
  const verdicts = points.map((p) => {
    const [main, pool] = [summarize(p.mainMs), summarize(p.poolMs)];
    const winner = pool.maxMs < main.minMs ? "pool" : main.maxMs < pool.minMs ? "main thread" : "too close";
    return { opsPerElement: p.opsPerElement, winner, speedup: main.medianMs / pool.medianMs } as BreakEven["verdicts"][number];
  });
  const from = verdicts.findIndex((_, i) => verdicts.slice(i).every((v) => v.winner === "pool"));
  const who = `${workers} worker${workers === 1 ? "" : "s"}`;
  const last = verdicts[verdicts.length - 1];
  if (!last) return { verdicts, fromOps: null, sentence: "No points were measured." };
  if (from < 0) {
    const best = verdicts.reduce((a, b) => (b.speedup > a.speedup ? b : a));
    return {
      verdicts,
      fromOps: null,
      sentence:
        `Up to ${last.opsPerElement} operations per element, the pool of ${who} never clearly paid for its copies ` +
        `(its best: ${best.speedup.toFixed(2)}× the main thread's speed at ${best.opsPerElement}).`,
    };
  }
  const start = verdicts[from]!;
  const below = verdicts.slice(0, from);
  const lost = below.filter((v) => v.winner === "main thread").map((v) => v.opsPerElement);
  const above = verdicts.filter((v) => beyondIdeal(v.speedup, idealWorkers) !== "");
  return {
    verdicts,
    fromOps: start.opsPerElement,
    sentence:
      `From ${start.opsPerElement} operation(s) per element on, the pool of ${who} clearly won, copies included ` +
      `(${start.speedup.toFixed(2)}× the main thread's speed there` +
      (last === start ? ")" : `, ${last.speedup.toFixed(2)}× at ${last.opsPerElement})`) +
      (below.length === 0
        ? "."
        : lost.length > 0
          ? `; at ${lost.join(", ")} the main thread clearly won: shipping the data cost more than the work.`
          : "; below that, the two were too close to call.") +
      (above.length === 0 ? "" : ` At ${above.map((v) => v.opsPerElement).join(", ")}: ${beyondIdeal(Math.max(...above.map((v) => v.speedup)), idealWorkers)}`),
  };
}

/**
 * The speed-up of a pool that copies its data, against the work per
 * element: a linear speed-up axis (it is a ratio) over a log axis of work
 * (it spans orders of magnitude), with the break-even line at 1 and the
 * ideal at `idealWorkers`.
 */
export function breakEvenFigure(result: BreakEven, options: { workers: number; idealWorkers: number; title: string }): Figure {
  const x = result.verdicts.map((v) => v.opsPerElement);
  const line = (y: number, name: string, dash: string) => ({ type: "scatter", mode: "lines", name, x: [x[0], x[x.length - 1]], y: [y, y], line: { dash, color: "#888" } });
  return {
    data: [
      { type: "scatter", mode: "lines+markers", name: `pool of ${options.workers}, copies included`, x, y: result.verdicts.map((v) => v.speedup), text: result.verdicts.map((v) => v.winner), hovertemplate: "%{x} ops per element: %{y:.2f}× (%{text})<extra></extra>" },
      line(1, "break-even (same speed as the main thread)", "dot"),
      line(options.idealWorkers, `ideal: ${options.idealWorkers}× (cores that can run in parallel)`, "dash"),
    ],
    layout: {
      title: { text: options.title },
      xaxis: { title: { text: "arithmetic operations per element (log scale)" }, type: "log", tickvals: x },
      yaxis: { title: { text: "speed-up over the main thread (×)" }, rangemode: "tozero" },
      height: 420,
      legend: { orientation: "h", y: -0.25 },
    },
  };
}

/**
 * "" when `speedup` is within what `ideal` workers can give (plus
 * ABOVE_IDEAL_MARGIN); otherwise a sentence saying that it cannot come from
 * the workers and naming the usual causes. With `ideal` 1 it flags one worker
 * that beat the main thread at the same work.
 *
 * @example beyondIdeal(2.4, 2) // "2.40× is more than 2 worker(s) can give: ..."
 */
export function beyondIdeal(speedup: number, ideal: number): string {
  if (!(speedup > ideal * (1 + ABOVE_IDEAL_MARGIN))) return "";
  return (
    `${speedup.toFixed(2)}× is more than ${ideal} worker(s) can give: the usual causes are noise (other programs ` +
    "taking the CPU during some runs: see the machine check) and V8 compiling the function differently in the main " +
    "thread than in the workers (each isolate compiles its own copy, from what it has seen run)."
  );
}
