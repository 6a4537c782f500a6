/** Workloads drawn once from a seed: the generator, the evenly spaced sizes, the nesting notebook's tasks. */
import { evenlySpaced, InvalidOptionError, nestedWorkload, seededRandom, workloadNumbers } from "kernel-helpers";
import { thrownBy } from "../test-helpers";

test("seededRandom: the same seed gives the same sequence, another seed another one, all in [0, 1)", () => {
  const draw = (seed: number) => {
    const random = seededRandom(seed);
    return Array.from({ length: 1000 }, () => random());
  };
  expect(draw(7)).toEqual(draw(7));
  expect(draw(7)).not.toEqual(draw(8));
  const xs = draw(123);
  expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  expect(xs.reduce((a, b) => a + b, 0) / xs.length).toBeGreaterThan(0.45);
  expect(xs.reduce((a, b) => a + b, 0) / xs.length).toBeLessThan(0.55);
  // pinned: a change to the generator would change every notebook's workload
  expect(seededRandom(0)()).toBeCloseTo(0.26642920868471265, 15);
});

test("evenlySpaced: the original's twelve sizes from 1,000,000 to 6,500,000", () => {
  expect(evenlySpaced(1_000_000, 6_500_000, 12)).toEqual([
    1_000_000, 1_500_000, 2_000_000, 2_500_000, 3_000_000, 3_500_000, 4_000_000, 4_500_000, 5_000_000, 5_500_000, 6_000_000, 6_500_000,
  ]);
  expect(evenlySpaced(5, 9, 1)).toEqual([5]);
  expect(thrownBy(() => evenlySpaced(9, 5, 2))).toBeInstanceOf(InvalidOptionError);
});

test("nestedWorkload: sizes evenly spaced, weights from the choices, the same for the same seed", () => {
  const a = nestedWorkload({ tasks: 12, minSize: 100, maxSize: 1200, seed: 1 });
  expect(a).toEqual(nestedWorkload({ tasks: 12, minSize: 100, maxSize: 1200, seed: 1 }));
  expect(a.map((t) => t.index)).toEqual(Array.from({ length: 12 }, (_, i) => i));
  expect(a.map((t) => t.size)).toEqual(evenlySpaced(100, 1200, 12));
  expect(a.every((t) => [1, 2, 3].includes(t.weight!))).toBe(true);
  expect(new Set(nestedWorkload({ tasks: 200, minSize: 1, maxSize: 2, seed: 5 }).map((t) => t.weight))).toEqual(new Set([1, 2, 3]));
  expect(nestedWorkload({ tasks: 3, minSize: 1, maxSize: 3, seed: 9, weights: [4] }).map((t) => t.weight)).toEqual([4, 4, 4]);
  expect(thrownBy(() => nestedWorkload({ tasks: 3, minSize: 1, maxSize: 3, seed: 9, weights: [] }))).toBeInstanceOf(InvalidOptionError);
});

test("workloadNumbers: size × weight × sub-tasks, summed", () => {
  expect(workloadNumbers([{ index: 0, size: 10, weight: 3 }, { index: 1, size: 5, weight: 1 }], 4)).toBe(140);
});
