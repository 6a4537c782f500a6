/**
 * Handing out tasks of different sizes: the shared-queue prediction, the
 * largest-first order, and the balance wording, against hand-computed cases.
 */
import { balanceWord, describeBalance, InvalidOptionError, largestFirst, loadBalance, simulateQueue } from "kernel-helpers";
import { thrownBy } from "../test-helpers";

describe("simulateQueue: the next item goes to the worker that is free first", () => {
  test("two workers, sizes 1..4 in order: worker 0 takes 1 and 3, worker 1 takes 2 and 4", () => {
    expect(simulateQueue([1, 2, 3, 4], 2)).toEqual({ loads: [4, 6], taken: [[0, 2], [1, 3]], makespan: 6, lowerBound: 5 });
  });

  test("smallest first leaves the largest item for the end; largest first finishes at the lower bound", () => {
    const values = Array.from({ length: 25 }, (_, i) => i + 1);
    const ascending = simulateQueue(values, 16);
    const lpt = simulateQueue(largestFirst(values), 16);
    // by hand: 1..16 start together; 17..25 go to the workers holding 1..9, the last one ends at 9 + 25 = 34
    expect(ascending.makespan).toBe(34);
    expect(lpt.makespan).toBe(25);
    expect(lpt.lowerBound).toBe(25);
  });

  test("one worker takes everything; more workers than items leave some idle", () => {
    expect(simulateQueue([3, 1, 2], 1)).toEqual({ loads: [6], taken: [[0, 1, 2]], makespan: 6, lowerBound: 6 });
    expect(simulateQueue([5], 3).loads).toEqual([5, 0, 0]);
    expect(simulateQueue([], 2)).toEqual({ loads: [0, 0], taken: [[], []], makespan: 0, lowerBound: 0 });
  });

  test("bad sizes and worker counts are refused by name", () => {
    expect(thrownBy(() => simulateQueue([1, -1], 2))).toBeInstanceOf(InvalidOptionError);
    expect((thrownBy(() => simulateQueue([1], 0)) as Error).message).toContain("`workers`");
  });
});

describe("largestFirst", () => {
  test("sorts a copy largest first and keeps equal sizes in their order", () => {
    const items = [{ id: "a", n: 2 }, { id: "b", n: 5 }, { id: "c", n: 2 }];
    const input = [...items];
    expect(largestFirst(items, (x) => x.n).map((x) => x.id)).toEqual(["b", "a", "c"]);
    expect(items).toEqual(input);
    expect(largestFirst([1, 5, 3])).toEqual([5, 3, 1]);
  });
});

describe("balance in numbers and words", () => {
  test("loadBalance of a 46/54 split", () => {
    const b = loadBalance([46, 54]);
    expect(b.total).toBe(100);
    expect(b.shares).toEqual([0.46, 0.54]);
    expect(b.largestShare).toBe(0.54);
    expect(b.evenShare).toBe(0.5);
    expect(b.imbalance).toBeCloseTo(1.08, 12);
  });

  test.each([
    [1, "even"],
    [1.03, "even"],
    [1.08, "nearly even"],
    [1.3, "uneven"],
    [2, "very uneven"],
  ])("imbalance %p reads %p", (imbalance, word) => {
    expect(balanceWord(imbalance)).toBe(word);
  });

  test("describeBalance: a 46/54 split is not called even", () => {
    expect(describeBalance([46, 54])).toBe(
      "the busiest of 2 workers did 54.0 % of the work, where an even split gives 50.0 %: nearly even (the busiest worker had 1.08× the mean load)",
    );
    expect(describeBalance([50, 50])).toMatch(/: even \(/);
    expect(describeBalance([7])).toBe("one worker did all the work");
    expect(thrownBy(() => loadBalance([]))).toBeInstanceOf(InvalidOptionError);
  });
});
