/**
 * The break-even of shipping data against work (notebook 00, section 3.4):
 * the verdict on hand-computed samples, and its figure's shape.
 */
import { beyondIdeal, breakEven, breakEvenFigure } from "kernel-helpers";

describe("breakEven", () => {
  const point = (opsPerElement: number, mainMs: number[], poolMs: number[]) => ({ opsPerElement, mainMs, poolMs });

  test("finds where the pool starts to win at every larger amount, and names the points the main thread won", () => {
    const result = breakEven([point(1, [10, 11], [20, 22]), point(4, [40, 41], [30, 50]), point(16, [160, 170], [90, 95]), point(64, [640, 650], [330, 340])], 2);
    expect(result.verdicts.map((v) => v.winner)).toEqual(["main thread", "too close", "pool", "pool"]);
    expect(result.fromOps).toBe(16);
    expect(result.verdicts[2]!.speedup).toBeCloseTo(165 / 92.5, 10);
    expect(result.sentence).toMatch(/^From 16 operation\(s\) per element on, the pool of 2 workers clearly won, copies included \(1\.78× .*; at 1 the main thread clearly won/);
  });

  test("names the speed-up once when the pool wins only at the last point", () => {
    const result = breakEven([point(1, [10, 11], [20, 22]), point(64, [640, 650], [370, 380])], 2);
    expect(result.sentence).toBe(
      "From 64 operation(s) per element on, the pool of 2 workers clearly won, copies included (1.72× the main thread's speed there); " +
        "at 1 the main thread clearly won: shipping the data cost more than the work.",
    );
  });

  test("says so when the pool never clearly wins, with its best point", () => {
    const result = breakEven([point(1, [10, 10], [20, 20]), point(4, [40, 40], [35, 45])], 1);
    expect(result.fromOps).toBeNull();
    expect(result.sentence).toBe("Up to 4 operations per element, the pool of 1 worker never clearly paid for its copies (its best: 1.00× the main thread's speed at 4).");
  });

  test("a win after a loss at a larger amount does not count as the break-even", () => {
    expect(breakEven([point(1, [10, 10], [5, 5]), point(4, [10, 10], [20, 20])], 2).fromOps).toBeNull();
  });

  test("a speed-up above the ideal is flagged with its usual causes", () => {
    const result = breakEven([point(16, [100, 100], [40, 40])], 2);
    expect(result.verdicts[0]!.speedup).toBe(2.5);
    expect(result.sentence).toMatch(/ At 16: 2\.50× is more than 2 worker\(s\) can give: the usual causes are noise/);
    expect(breakEven([point(16, [100, 100], [52, 52])], 2).sentence).not.toMatch(/more than/);
  });

  test("the figure has the pool's line, the break-even at 1 and the ideal line, on a linear speed-up axis", () => {
    const result = breakEven([point(1, [10, 10], [20, 20]), point(64, [640, 640], [330, 330])], 2);
    const figure = breakEvenFigure(result, { workers: 2, idealWorkers: 2, title: "t" });
    expect(figure.data.map((t) => t["name"])).toEqual(["pool of 2, copies included", "break-even (same speed as the main thread)", "ideal: 2× (cores that can run in parallel)"]);
    expect(figure.data[1]!["y"]).toEqual([1, 1]);
    expect(figure.data[2]!["y"]).toEqual([2, 2]);
    const layout = figure.layout as { xaxis: { type: string }; yaxis: { type?: string; title: { text: string } } };
    expect(layout.xaxis.type).toBe("log");
    expect(layout.yaxis.type).toBeUndefined();
    expect(layout.yaxis.title.text).toMatch(/speed-up/);
  });
});

describe("beyondIdeal", () => {
  test("is empty within the ideal and its margin, and names the causes above it", () => {
    expect(beyondIdeal(2, 2)).toBe("");
    expect(beyondIdeal(2.1, 2)).toBe(""); // within the 5 % margin
    expect(beyondIdeal(0.5, 1)).toBe("");
    expect(beyondIdeal(1.2, 1)).toMatch(/^1\.20× is more than 1 worker\(s\) can give: the usual causes are noise/);
  });
});
