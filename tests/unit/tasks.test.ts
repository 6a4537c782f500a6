/**
 * The named tasks, called directly (serial) against hand-computed values, and
 * once through a pool of each backend to check that they give the same
 * results in a worker. Random tasks are checked with loose bounds only.
 */
import {
  InvalidOptionError,
  Pool,
  evaluatePolynomial,
  integrate,
  integratePolynomial,
  leibnizPi,
  leibnizPiArrays,
  leibnizPiById,
  leibnizPiTensor,
  liveResourceCount,
  monteCarloPi,
  sumRandomNumbers,
  tasks,
  terminateAll,
  type Backend,
} from "kernel-helpers";

const backends: Backend[] = ["thread", "process"];

afterAll(async () => {
  const leaked = liveResourceCount();
  await terminateAll();
  expect(leaked).toBe(0);
});

describe("leibnizPi", () => {
  test.each([
    [0, 0],
    [1, 4],
    [2, 4 * (1 - 1 / 3)],
    [3, 4 * (1 - 1 / 3 + 1 / 5)],
    [4, 4 * (1 - 1 / 3 + 1 / 5 - 1 / 7)],
    [5, 4 * (1 - 1 / 3 + 1 / 5 - 1 / 7 + 1 / 9)],
  ])("with %i terms is the hand-computed partial sum %f", (terms, expected) => {
    expect(leibnizPi(terms)).toBeCloseTo(expected, 14);
  });

  test("the hand-computed partial sums as fractions: 8/3, 52/15, 304/105", () => {
    expect(leibnizPi(2)).toBeCloseTo(8 / 3, 14);
    expect(leibnizPi(3)).toBeCloseTo(52 / 15, 14);
    expect(leibnizPi(4)).toBeCloseTo(304 / 105, 14);
  });

  test("with 1e6 terms it is below pi by about 1/N = 1e-6", () => {
    const error = Math.PI - leibnizPi(1_000_000);
    expect(error).toBeGreaterThan(0.99e-6);
    expect(error).toBeLessThan(1.01e-6);
  });

  test("partial sums alternate around pi and get closer", () => {
    const values = [10, 11, 100, 101, 1000, 1001].map((n) => leibnizPi(n));
    expect(values[0]).toBeLessThan(Math.PI); // even N: below
    expect(values[1]).toBeGreaterThan(Math.PI); // odd N: above
    const errors = values.map((v) => Math.abs(Math.PI - v));
    expect(errors[2]).toBeLessThan(errors[0]!);
    expect(errors[4]).toBeLessThan(errors[2]!);
  });

  test.each([["x"], [-1], [1.5], [Number.NaN], [Number.POSITIVE_INFINITY], [undefined]])(
    "leibnizPi(%p) throws InvalidOptionError naming `terms`",
    (terms) => {
      expect(() => leibnizPi(terms as number)).toThrow(InvalidOptionError);
      expect(() => leibnizPi(terms as number)).toThrow("`terms`");
    },
  );

  test("leibnizPiById carries the id through", () => {
    expect(leibnizPiById(7, 3)).toEqual([7, leibnizPi(3)]);
    expect(() => leibnizPiById(0, -1)).toThrow(InvalidOptionError);
  });
});

describe("leibnizPiArrays", () => {
  test.each([0, 1, 2, 3, 10, 1001, 100_000, 1_000_000])("with %i terms equals leibnizPi to 1e-12", (terms) => {
    expect(Math.abs(leibnizPiArrays(terms) - leibnizPi(terms))).toBeLessThan(1e-12);
  });

  test.each([["x"], [-1], [1.5], [2 ** 27 + 1]])("leibnizPiArrays(%p) throws InvalidOptionError before allocating", (terms) => {
    expect(() => leibnizPiArrays(terms as number)).toThrow(InvalidOptionError);
  });
});

describe("leibnizPiTensor (float32 tensors through danfojs)", () => {
  test("with 1e5 terms is within 1e-5 of leibnizPi", async () => {
    const value = await leibnizPiTensor(100_000);
    expect(Math.abs(value - leibnizPi(100_000))).toBeLessThan(1e-5);
  });

  test("with 0 terms is 0", async () => {
    expect(await leibnizPiTensor(0)).toBe(0);
  });

  test.each([[-1], [1.5], [2 ** 24 + 1], [Number.NaN]])("rejects %p with an InvalidOptionError that states the range", async (terms) => {
    await expect(leibnizPiTensor(terms)).rejects.toThrow(InvalidOptionError);
    await expect(leibnizPiTensor(terms)).rejects.toThrow("16777216");
  });
});

describe("integrate (adaptive Gauss-Kronrod 7/15)", () => {
  test("2x + 5 on [0, 100] is 10500 within 1e-9", () => {
    const result = integrate((x) => 2 * x + 5, 0, 100);
    expect(Math.abs(result.value - 10500)).toBeLessThan(1e-9);
  });

  test("sin on [0, pi] is 2", () => {
    expect(Math.abs(integrate(Math.sin, 0, Math.PI).value - 2)).toBeLessThan(1e-12);
  });

  test("exp on [0, 1] is e - 1 within 1e-12", () => {
    expect(Math.abs(integrate(Math.exp, 0, 1).value - (Math.E - 1))).toBeLessThan(1e-12);
  });

  test("the error estimate is small and not negative", () => {
    for (const result of [integrate((x) => 2 * x + 5, 0, 100), integrate(Math.sin, 0, Math.PI), integrate(Math.exp, 0, 1)]) {
      expect(result.errorEstimate).toBeGreaterThanOrEqual(0);
      expect(result.errorEstimate).toBeLessThan(1e-9);
    }
  });

  test("a smooth integrand needs one interval of 15 evaluations", () => {
    const result = integrate(Math.exp, 0, 1);
    expect(result.intervals).toBe(1);
    expect(result.evaluations).toBe(15);
  });

  test("an oscillating integrand is refined, and the error estimate bounds the actual error", () => {
    const result = integrate((x) => Math.sin(50 * x), 0, 3);
    const exact = (1 - Math.cos(150)) / 50;
    expect(result.intervals).toBeGreaterThan(1);
    expect(result.evaluations).toBe(15 * (2 * result.intervals - 1)); // each split costs two 15-point rules
    expect(Math.abs(result.value - exact)).toBeLessThanOrEqual(result.errorEstimate);
    expect(Math.abs(result.value - exact)).toBeLessThan(1e-9);
  });

  test("maxIntervals caps the refinement", () => {
    const result = integrate((x) => Math.sin(50 * x), 0, 3, { maxIntervals: 3 });
    expect(result.intervals).toBeLessThanOrEqual(3);
  });

  test("reversed limits give the negated value", () => {
    const forward = integrate(Math.exp, 0, 1);
    const backward = integrate(Math.exp, 1, 0);
    expect(backward.value).toBeCloseTo(-forward.value, 14);
    expect(backward.errorEstimate).toBeGreaterThanOrEqual(0);
    expect(integrate((x) => 2 * x + 5, 100, 0).value).toBeCloseTo(-10500, 9);
  });

  test("equal limits give 0", () => {
    expect(integrate(Math.exp, 2, 2).value).toBe(0);
  });

  test.each([
    ["1/x at 0", (x: number) => 1 / x, -1, 1],
    ["NaN", () => Number.NaN, 0, 1],
    ["Infinity beyond x = 0.7", (x: number) => (x > 0.7 ? Number.POSITIVE_INFINITY : x), 0, 1],
  ])("a non-finite integrand (%s) throws a RangeError", (_label, f, a, b) => {
    expect(() => integrate(f, a, b)).toThrow(RangeError);
    expect(() => integrate(f, a, b)).toThrow("must be finite");
  });

  test.each([
    ["a = NaN", Number.NaN, 1, {}],
    ["b = Infinity", 0, Number.POSITIVE_INFINITY, {}],
    ["maxIntervals 0", 0, 1, { maxIntervals: 0 }],
    ["maxIntervals 1.5", 0, 1, { maxIntervals: 1.5 }],
    ["negative absoluteTolerance", 0, 1, { absoluteTolerance: -1 }],
    ["NaN relativeTolerance", 0, 1, { relativeTolerance: Number.NaN }],
  ])("bad arguments (%s) throw InvalidOptionError", (_label, a, b, options) => {
    expect(() => integrate(Math.exp, a, b, options)).toThrow(InvalidOptionError);
  });
});

describe("integratePolynomial and evaluatePolynomial", () => {
  test("evaluatePolynomial uses lowest degree first: 1 + 2x + 3x² at 2 is 17", () => {
    expect(evaluatePolynomial([1, 2, 3], 2)).toBe(17);
    expect(evaluatePolynomial([], 5)).toBe(0);
  });

  test("[5, 2] (2x + 5) on [0, 100] is 10500 within 1e-9", () => {
    expect(Math.abs(integratePolynomial([5, 2], 0, 100).value - 10500)).toBeLessThan(1e-9);
  });

  test("x³ on [-1, 2] is 15/4", () => {
    expect(integratePolynomial([0, 0, 0, 1], -1, 2).value).toBeCloseTo(15 / 4, 12);
  });

  test.each([
    ["an empty array", []],
    ["a NaN coefficient", [1, Number.NaN]],
    ["an Infinity coefficient", [Number.POSITIVE_INFINITY]],
    ["a string coefficient", ["1"]],
    ["not an array", 5],
  ])("coefficients as %s throw InvalidOptionError", (_label, coefficients) => {
    expect(() => integratePolynomial(coefficients as number[], 0, 1)).toThrow(InvalidOptionError);
    expect(() => integratePolynomial(coefficients as number[], 0, 1)).toThrow("`coefficients`");
  });

  test("non-finite limits throw InvalidOptionError", () => {
    expect(() => integratePolynomial([1], 0, Number.NaN)).toThrow(InvalidOptionError);
  });
});

describe("random tasks (loose bounds: the values are random)", () => {
  test("sumRandomNumbers(1e5) / 1e5 is near 0.5", () => {
    expect(Math.abs(sumRandomNumbers(100_000) / 100_000 - 0.5)).toBeLessThan(0.01);
  });

  test("sumRandomNumbers(0) is 0", () => {
    expect(sumRandomNumbers(0)).toBe(0);
  });

  test("monteCarloPi(1e5) is near pi", () => {
    expect(Math.abs(monteCarloPi(100_000) - Math.PI)).toBeLessThan(0.05);
  });

  test("bad counts throw InvalidOptionError", () => {
    expect(() => sumRandomNumbers(-1)).toThrow(InvalidOptionError);
    expect(() => sumRandomNumbers(2.5)).toThrow(InvalidOptionError);
    expect(() => monteCarloPi(0)).toThrow(InvalidOptionError);
    expect(() => monteCarloPi(Number.NaN)).toThrow(InvalidOptionError);
  });
});

describe("trivial tasks", () => {
  test("echo returns its argument", () => {
    const value = { a: [1, 2] };
    expect(tasks.echo(value)).toBe(value);
  });

  test("sleep resolves with its value, and validates ms", async () => {
    expect(await tasks.sleep(1, "v")).toBe("v");
    expect(() => tasks.sleep(-1, "v")).toThrow(InvalidOptionError);
  });

  test("spin returns its ms, and validates ms", () => {
    expect(tasks.spin(2)).toBe(2);
    expect(() => tasks.spin(1.5)).toThrow(InvalidOptionError);
  });

  test("whoAmI in the main thread reports this process and thread 0", () => {
    expect(tasks.whoAmI()).toEqual({ pid: process.pid, threadId: 0 });
  });

  test("the task table lists every named task", () => {
    expect(Object.keys(tasks).sort()).toEqual(
      [
        "echo",
        "incrementCounter",
        "incrementSharedCounter",
        "integratePolynomial",
        "leibnizPi",
        "leibnizPiArrays",
        "leibnizPiById",
        "leibnizPiTensor",
        "lucasSequenceWorker",
        "managerWrites",
        "monteCarloPi",
        "monteCarloPiJob",
        "nestedPoolJob",
        "poolInsidePoolWorker",
        "sleep",
        "spin",
        "sumRandomNumbers",
        "sumRandomNumbersJob",
        "sumRandomNumbersToQueue",
        "sumRandomNumbersTraced",
        "whoAmI",
      ].sort(),
    );
  });
});

describe.each(backends)("named tasks in a %s worker give the serial results", (backend) => {
  let pool: Pool;
  beforeAll(() => {
    pool = new Pool({ workers: 1, backend });
  });
  afterAll(async () => {
    pool.close();
    await pool.join();
  });

  test("leibnizPi, leibnizPiArrays and leibnizPiById", async () => {
    expect(await pool.applyAsync("leibnizPi", [12_345]).get()).toBe(leibnizPi(12_345));
    expect(await pool.applyAsync("leibnizPiArrays", [12_345]).get()).toBe(leibnizPiArrays(12_345));
    expect(await pool.applyAsync("leibnizPiById", [3, 10]).get()).toEqual([3, leibnizPi(10)]);
  });

  test("integratePolynomial returns the whole Integral", async () => {
    expect(await pool.applyAsync("integratePolynomial", [[5, 2], 0, 100]).get()).toEqual(integratePolynomial([5, 2], 0, 100));
  });

  test("leibnizPiTensor loads the tensors in the worker", async () => {
    const value = await pool.applyAsync("leibnizPiTensor", [100_000]).get();
    expect(Math.abs(value - leibnizPi(100_000))).toBeLessThan(1e-5);
  });

  test("random tasks, echo, spin and whoAmI", async () => {
    expect(await pool.applyAsync("sumRandomNumbers", [0]).get()).toBe(0);
    const pi = await pool.applyAsync("monteCarloPi", [10_000]).get();
    expect(pi).toBeGreaterThan(2.9);
    expect(pi).toBeLessThan(3.4);
    expect(await pool.applyAsync("echo", [{ nested: [1, "two"] }]).get()).toEqual({ nested: [1, "two"] });
    expect(await pool.applyAsync("spin", [1]).get()).toBe(1);
    const me = await pool.applyAsync("whoAmI", []).get();
    if (backend === "process") expect(me.pid).not.toBe(process.pid);
    else expect(me).toEqual({ pid: process.pid, threadId: expect.any(Number) });
  });
});

describe("absurdly large work sizes", () => {
  test.each([
    ["leibnizPi", () => leibnizPi(1e15)],
    ["sumRandomNumbers", () => sumRandomNumbers(1e15)],
    ["monteCarloPi", () => monteCarloPi(1e15)],
  ])("%s(1e15) is refused at once with InvalidOptionError stating the range", (_name, call) => {
    expect(call).toThrow(InvalidOptionError);
    expect(call).toThrow(/to 100000000000/);
  });
});
