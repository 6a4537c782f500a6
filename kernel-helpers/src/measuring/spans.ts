/**
 * Who ran what, and when: summaries of {@link Span}s (one per piece of work,
 * with the worker that ran it), the same spans that `timeline` draws. Instead
 * of the original's thousands of printed "begins"/"ends" lines: a few of
 * them, a table per worker, and how long workers sat idle at the end.
 */
import type { Span } from "./charts";
import { InvalidOptionError } from "../primitives/errors";
import { checkInteger } from "../primitives/validate";

/** One worker's work, from {@link laneSummaries}. */
export interface LaneSummary {
  lane: string;
  /** Pieces of work it ran. */
  count: number;
  /** Time spent running them (the sum of their durations), ms. */
  busyMs: number;
  /** Its first start and last end, ms on the spans' clock. */
  firstStartMs: number;
  lastEndMs: number;
}

function checkSpans(spans: readonly Span[]): void {
  if (!Array.isArray(spans) || spans.length === 0) throw new InvalidOptionError("`spans`", "Expected at least one span.");
  for (const s of spans) {
    if (!(Number.isFinite(s.startMs) && Number.isFinite(s.endMs) && s.endMs >= s.startMs)) {
      throw new InvalidOptionError("`spans`", `Expected every span to end after it starts, got ${JSON.stringify(s)}.`);
    }
  }
}

/**
 * Per worker (lane), sorted by name: how many pieces of work, how long busy,
 * first start and last end.
 * @example laneSummaries(spans).map((l) => `${l.lane}: ${l.count} tasks, busy ${l.busyMs} ms`)
 */
export function laneSummaries(spans: readonly Span[]): LaneSummary[] {
  checkSpans(spans);
  const lanes = new Map<string, LaneSummary>();
  for (const s of spans) {
    const l = lanes.get(s.lane) ?? { lane: s.lane, count: 0, busyMs: 0, firstStartMs: s.startMs, lastEndMs: s.endMs };
    l.count++;
    l.busyMs += s.endMs - s.startMs;
    l.firstStartMs = Math.min(l.firstStartMs, s.startMs);
    l.lastEndMs = Math.max(l.lastEndMs, s.endMs);
    lanes.set(s.lane, l);
  }
  return [...lanes.values()].sort((a, b) => a.lane.localeCompare(b.lane, "en", { numeric: true }));
}

/** What {@link idleAtEnd} finds. */
export interface IdleAtEnd {
  /** The worker that finished first and the one that finished last. */
  firstDone: string;
  lastDone: string;
  /** From the first worker's last end to the last worker's last end, ms: the time some worker had nothing left to do. */
  gapMs: number;
  /** From the first start to the last end, ms. */
  spanMs: number;
}

/**
 * How long before the end the first worker ran out of work: the tail of a
 * run in which some workers sit idle while others finish. A small gap means
 * the work was shared well.
 */
export function idleAtEnd(spans: readonly Span[]): IdleAtEnd {
  const lanes = laneSummaries(spans);
  const byEnd = [...lanes].sort((a, b) => a.lastEndMs - b.lastEndMs);
  const first = byEnd[0]!;
  const last = byEnd[byEnd.length - 1]!;
  const start = Math.min(...lanes.map((l) => l.firstStartMs));
  return { firstDone: first.lane, lastDone: last.lane, gapMs: last.lastEndMs - first.lastEndMs, spanMs: last.lastEndMs - start };
}

/**
 * The original's "begins"/"ends" lines, in time order, at most `limit` of
 * them, with the time since the first start: "+0.012 s  job 1: v=3 begins".
 * A last line says how many more there were.
 */
export function traceLines(spans: readonly Span[], limit: number): string[] {
  checkSpans(spans);
  checkInteger("`limit`", limit, { min: 0 });
  const t0 = Math.min(...spans.map((s) => s.startMs));
  const events = spans
    .flatMap((s) => [
      { at: s.startMs, order: 1, text: `${s.lane}: ${s.label ?? "work"} begins` },
      { at: s.endMs, order: 0, text: `${s.lane}: ${s.label ?? "work"} ends` }, // at the same instant, an end comes before the next begin
    ])
    .sort((a, b) => a.at - b.at || a.order - b.order);
  const lines = events.slice(0, limit).map((e) => `+${((e.at - t0) / 1000).toFixed(3)} s  ${e.text}`);
  if (events.length > limit) lines.push(`... ${events.length - limit} more events: see the table and the timeline.`);
  return lines;
}
