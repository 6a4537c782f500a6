/**
 * Comparisons hedged by the runs' spread (compareRuns, ratioRange) and the
 * one-worker wording of describeAgainstSerial, against hand-computed values.
 */
import { compareRuns, describeAgainstSerial, describeSpeedup, ratioRange } from "kernel-helpers";

describe("compareRuns", () => {
  test("runs whose ranges do not overlap get the ratio and the medians", () => {
    expect(compareRuns({ name: "a", samplesMs: [187, 190, 200] }, { name: "b", samplesMs: [150, 160, 170] }))
      .toBe("a was 1.2× slower than b (medians 190 ms and 160 ms; their runs do not overlap).");
  });

  test("runs whose ranges overlap cannot be told apart", () => {
    expect(compareRuns({ name: "a", samplesMs: [187, 190, 200] }, { name: "b", samplesMs: [150, 160, 190] }))
      .toBe("a and b cannot be told apart: their runs overlap (187 ms to 200 ms against 150 ms to 190 ms).");
  });

  test("one run each: a gap under 10 % is too small to call, a larger one has no spread to judge it by", () => {
    expect(compareRuns({ name: "a", samplesMs: [108] }, { name: "b", samplesMs: [100] })).toMatch(/^a was 1\.08× slower than b .*from one run each: a gap under 10 % is too small to call/);
    expect(compareRuns({ name: "a", samplesMs: [190] }, { name: "b", samplesMs: [143] })).toMatch(/^a was 1\.3× slower than b .*from one run each: no spread to judge the gap by/);
  });

  test("times within 5 % are about as fast, whatever the runs", () => {
    expect(compareRuns({ name: "a", samplesMs: [102] }, { name: "b", samplesMs: [100] })).toBe("a was about as fast as b (medians 102 ms and 100 ms).");
  });

  test("no runs at all is refused with both counts", () => {
    expect(() => compareRuns({ name: "a", samplesMs: [] }, { name: "b", samplesMs: [1] })).toThrow(/got 0 and 1/);
  });
});

test("ratioRange gives the lowest and highest ratio over every pairing", () => {
  const [low, high] = ratioRange([200, 300], [40, 50]);
  expect(low).toBeCloseTo(4, 10);
  expect(high).toBeCloseTo(7.5, 10);
});

describe("describeAgainstSerial", () => {
  test("from two workers on it is describeSpeedup", () => {
    expect(describeAgainstSerial(2890, 1660, 2)).toBe(describeSpeedup(2890, 1660, 2));
  });

  test("one worker slower than serial: no efficiency word, no shared work, the slowdown as a factor", () => {
    const text = describeAgainstSerial(170, 221, 1);
    expect(text).toMatch(/^1 worker: 0\.77× the serial speed: with one worker running at a time nothing runs in parallel/);
    expect(text).toMatch(/It took 1\.30× as long\.$/);
    expect(text).not.toMatch(/efficiency|shared/);
  });

  test("one worker about as fast as serial, or faster (an artefact)", () => {
    expect(describeAgainstSerial(170, 172, 1)).toMatch(/^1 worker: 0\.99× the serial speed, about the same/);
    expect(describeAgainstSerial(170, 150, 1)).toMatch(/^1 worker: 1\.13× the serial speed: faster than serial, .*cannot come from the worker/);
  });
});
