/** precision: a lower-precision result's error split into the method's and the rounding's, against hand-computed cases. */
import { agreeingDigits, splitError } from "kernel-helpers";

describe("splitError", () => {
  test.each([
    // exact, reference (precise method), value (low precision), relation, closer
    [3, 2.9, 2.95, "cancels part of", true],
    [3, 2.9, 2.85, "adds to", false],
    [3, 2.9, 3.2, "overshoots", false],
    [3, 2.9, 2.9, "leaves unchanged", false],
    [3, 3.1, 3.05, "cancels part of", true],
    [3, 3, 3.01, "adds to", false],
  ])("exact %p, reference %p, value %p: the rounding %s the method's error (closer: %p)", (exact, reference, value, relation, closer) => {
    const parts = splitError(exact, reference, value);
    expect(parts.relation).toBe(relation);
    expect(parts.closer).toBe(closer);
    expect(parts.methodError).toBeCloseTo(reference - exact, 12);
    expect(parts.roundingError).toBeCloseTo(value - reference, 12);
    expect(parts.totalError).toBeCloseTo(parts.methodError + parts.roundingError, 12);
  });
});

describe("agreeingDigits", () => {
  test("counts the significant decimal digits two values share", () => {
    expect(agreeingDigits(3.1415925, 3.14159265)).toBe(7);
    expect(agreeingDigits(3.14, 3.14159265)).toBe(3);
    expect(agreeingDigits(1, 1)).toBe(Infinity);
    expect(agreeingDigits(5, 1)).toBe(0);
  });
});
