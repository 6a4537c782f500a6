/** Who ran what when: per-worker summaries, the idle tail and the trace lines, on hand-made spans. */
import { idleAtEnd, InvalidOptionError, laneSummaries, traceLines, type Span } from "kernel-helpers";
import { thrownBy } from "../test-helpers";

const spans: Span[] = [
  { lane: "job 1", startMs: 1000, endMs: 1100, label: "v=1" },
  { lane: "job 0", startMs: 1000, endMs: 1300, label: "v=3" },
  { lane: "job 1", startMs: 1100, endMs: 1150, label: "v=2" },
  { lane: "job 10", startMs: 1200, endMs: 1250 },
];

test("laneSummaries counts, adds busy time and sorts lanes by name, numbers in order", () => {
  expect(laneSummaries(spans)).toEqual([
    { lane: "job 0", count: 1, busyMs: 300, firstStartMs: 1000, lastEndMs: 1300 },
    { lane: "job 1", count: 2, busyMs: 150, firstStartMs: 1000, lastEndMs: 1150 },
    { lane: "job 10", count: 1, busyMs: 50, firstStartMs: 1200, lastEndMs: 1250 },
  ]);
});

test("idleAtEnd: from the first worker out of work to the last one done", () => {
  expect(idleAtEnd(spans)).toEqual({ firstDone: "job 1", lastDone: "job 0", gapMs: 150, spanMs: 300 });
});

test("traceLines: begins and ends in time order, cut at the limit with a count of the rest", () => {
  expect(traceLines(spans, 3)).toEqual([
    "+0.000 s  job 1: v=1 begins",
    "+0.000 s  job 0: v=3 begins",
    "+0.100 s  job 1: v=1 ends",
    "... 5 more events: see the table and the timeline.",
  ]);
  expect(traceLines(spans, 8)).toHaveLength(8);
  expect(traceLines(spans, 8)[7]).toBe("+0.300 s  job 0: v=3 ends");
});

test("no spans, or a span that ends before it starts, is refused", () => {
  expect(thrownBy(() => laneSummaries([]))).toBeInstanceOf(InvalidOptionError);
  expect(thrownBy(() => traceLines([{ lane: "x", startMs: 2, endMs: 1 }], 1))).toBeInstanceOf(InvalidOptionError);
});
