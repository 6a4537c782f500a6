/**
 * "A function sent as source text" is checked and compiled in one module
 * (compile-source.ts), for Pool tasks and initializers, Process targets and
 * Manager updates alike: the sender refuses what cannot stand alone, naming
 * the option, and the receiver compiles each text once.
 */
import { compileSource, sourceText } from "kernel-helpers/dist/transport/compile-source";
import { InvalidOptionError } from "kernel-helpers";

function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("sourceText (the sender's check)", () => {
  test("an arrow function and a function expression travel as their own text", () => {
    const add = (a: number, b: number): number => a + b;
    expect(sourceText(add, "task", "a worker")).toBe(add.toString());
    expect(sourceText(function twice(x: number) { return 2 * x; }, "task", "a worker")).toContain("function twice");
  });

  test.each([
    ["a method shorthand", { m(x: number) { return x; } }.m, /cannot be sent to the manager as source text/],
    ["a native function", Math.max, /native or bound/],
    ["a bound function", ((x: number) => x).bind(null), /native or bound/],
    ["a number", 3, /Expected `fn` to be a function, got `3` \(number\)/],
  ])("%s is refused with InvalidOptionError naming the option", (_name, value, message) => {
    const error = thrownBy(() => sourceText(value, "`fn`", "the manager"));
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).option).toBe("`fn`");
    expect((error as Error).message).toMatch(message);
  });
});

describe("compileSource (the receiver's side)", () => {
  test("gives the function back, compiled once per text", () => {
    const source = sourceText((x: number) => x + 1, "task", "a worker");
    const fn = compileSource(source);
    expect(fn(1)).toBe(2);
    expect(compileSource(source)).toBe(fn);
  });

  test("compiles in strict mode, seeing none of the sender's variables", () => {
    const outside = 5;
    const fn = compileSource(((x: number) => x * outside).toString());
    expect(() => fn(2)).toThrow(ReferenceError);
    expect(() => compileSource("function () { undeclared = 1; }")()).toThrow(ReferenceError);
  });

  test("text that is not a function is refused by name", () => {
    expect(() => compileSource("1 + 1")).toThrow(TypeError);
    expect(() => compileSource("m() { return 1; }")).toThrow(SyntaxError);
  });
});
