/**
 * params: the notebook knobs read from environment variables. Every test sets
 * variables through `setEnv`, and afterEach puts the touched variables back.
 * The CORES range and the scales come from kernel-helpers/src/knobs.json, their
 * one definition (the runner checks --cores and --scale against it too).
 */
import os from "node:os";
import knobs from "../../kernel-helpers/src/knobs.json";
import {
  InvalidOptionError,
  SCALES,
  byScale,
  choiceFromEnv,
  coresFromEnv,
  integerFromEnv,
  scaleFromEnv,
} from "kernel-helpers";

const saved = new Map<string, string | undefined>();

/** Sets (or, with undefined, deletes) an environment variable until the end of the test. */
function setEnv(name: string, value: string | undefined): void {
  if (!saved.has(name)) saved.set(name, process.env[name]);
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

let warn: jest.SpyInstance;
beforeEach(() => {
  warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
});
afterEach(() => {
  warn.mockRestore();
  for (const [name, value] of saved) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  saved.clear();
});

/** Calls `fn`, which must throw an InvalidOptionError, and returns the error. */
function invalidOption(fn: () => unknown): InvalidOptionError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionError);
    return error as InvalidOptionError;
  }
  throw new Error("Expected an InvalidOptionError, but nothing was thrown.");
}

const available = os.availableParallelism();
const coresRange = `from ${knobs.CORES.min} to ${knobs.CORES.max}`;

describe("coresFromEnv", () => {
  test.each([
    ["unset", undefined],
    ["empty", ""],
    ["blank", "   "],
  ])("CORES %s means every available core, without a warning", (_label, value) => {
    setEnv("CORES", value);
    expect(coresFromEnv()).toBe(available);
    expect(warn).not.toHaveBeenCalled();
  });

  test('CORES="2" is 2', () => {
    setEnv("CORES", "2");
    expect(coresFromEnv()).toBe(2);
  });

  test('CORES="1" and CORES=" 1 " are 1, without a warning', () => {
    setEnv("CORES", "1");
    expect(coresFromEnv()).toBe(1);
    setEnv("CORES", " 1 ");
    expect(coresFromEnv()).toBe(1);
    expect(warn).not.toHaveBeenCalled();
  });

  test("CORES equal to the available cores gives no warning", () => {
    setEnv("CORES", String(available));
    expect(coresFromEnv()).toBe(available);
    expect(warn).not.toHaveBeenCalled();
  });

  test("more CORES than available returns the value and warns about oversubscription", () => {
    setEnv("CORES", String(available + 3));
    expect(coresFromEnv()).toBe(available + 3);
    expect(warn).toHaveBeenCalledTimes(1);
    const message = String(warn.mock.calls[0]![0]);
    expect(message).toContain(`CORES=${available + 3}`);
    expect(message).toContain(`${available} cores available`);
    expect(message).toContain("oversubscription");
  });

  test.each([
    ["-1", "`\"-1\"` (string)"],
    ["abc", '`"abc"` (string)'],
    ["1.5", '`"1.5"` (string)'],
    ["4abc", '`"4abc"` (string)'],
    ["0x10", '`"0x10"` (string)'],
    ["1e3", '`"1e3"` (string)'],
    [String(knobs.CORES.min - 1), `\`"${knobs.CORES.min - 1}"\` (string)`],
    [String(knobs.CORES.max + 1), `\`"${knobs.CORES.max + 1}"\` (string)`],
  ])("CORES=%p throws InvalidOptionError naming CORES and the value", (value, shown) => {
    setEnv("CORES", value);
    const error = invalidOption(() => coresFromEnv());
    expect(error.option).toBe("CORES");
    expect(error.message).toContain("CORES");
    expect(error.message).toContain(shown);
    expect(error.message).toContain(coresRange);
    expect(warn).not.toHaveBeenCalled();
  });

  test("the largest CORES knobs.json allows is accepted (with the oversubscription warning)", () => {
    setEnv("CORES", String(knobs.CORES.max));
    expect(coresFromEnv()).toBe(knobs.CORES.max);
    expect(warn).toHaveBeenCalledTimes(knobs.CORES.max > available ? 1 : 0);
  });

  test("another variable name can be read and is named in errors", () => {
    setEnv("KH_TEST_WORKERS", "3");
    expect(coresFromEnv("KH_TEST_WORKERS")).toBe(3);
    setEnv("KH_TEST_WORKERS", "none");
    expect(invalidOption(() => coresFromEnv("KH_TEST_WORKERS")).message).toContain("KH_TEST_WORKERS");
  });
});

describe("scaleFromEnv and byScale", () => {
  test("SCALES are quick and full, as knobs.json defines them", () => {
    expect([...SCALES]).toEqual(["quick", "full"]);
    expect([...SCALES]).toEqual(knobs.SCALE.choices);
  });

  test.each([
    ["quick", "quick"],
    ["full", "full"],
    ["QUICK", "quick"],
    [" Full ", "full"],
  ])("SCALE=%p is %p", (value, expected) => {
    setEnv("SCALE", value);
    expect(scaleFromEnv()).toBe(expected);
  });

  test.each([
    ["unset", undefined],
    ["empty", ""],
  ])("SCALE %s defaults to full (knobs.json's default)", (_label, value) => {
    setEnv("SCALE", value);
    expect(scaleFromEnv()).toBe("full");
    expect(knobs.SCALE.default).toBe("full");
  });

  test.each(["huge", "fast", "1"])("SCALE=%p throws InvalidOptionError naming SCALE, the value and the choices", (value) => {
    setEnv("SCALE", value);
    const error = invalidOption(() => scaleFromEnv());
    expect(error.option).toBe("SCALE");
    expect(error.message).toContain(`"${value}"`);
    expect(error.message).toContain('"quick"');
    expect(error.message).toContain('"full"');
  });

  test("byScale picks the value for the scale", () => {
    expect(byScale("quick", { quick: 1e5, full: 5e7 })).toBe(1e5);
    expect(byScale("full", { quick: 1e5, full: 5e7 })).toBe(5e7);
  });
});

describe("integerFromEnv", () => {
  const bounds = { min: 1, max: 8 };

  test.each([
    ["unset", undefined, 4],
    ["empty", "", 4],
    ["the lower bound", "1", 1],
    ["the upper bound", "8", 8],
    ["with spaces and a plus sign", " +5 ", 5],
  ])("%s gives the expected value", (_label, value, expected) => {
    setEnv("KH_TEST_TASKS", value);
    expect(integerFromEnv("KH_TEST_TASKS", 4, bounds)).toBe(expected);
  });

  test.each(["0", "9", "-3", "2.5", "two", "8 tasks"])("KH_TEST_TASKS=%p outside 1..8 or not an integer throws naming the range", (value) => {
    setEnv("KH_TEST_TASKS", value);
    const error = invalidOption(() => integerFromEnv("KH_TEST_TASKS", 4, bounds));
    expect(error.option).toBe("KH_TEST_TASKS");
    expect(error.message).toContain("from 1 to 8");
  });

  test("without a max the range is open-ended", () => {
    setEnv("KH_TEST_TASKS", "123456789");
    expect(integerFromEnv("KH_TEST_TASKS", 1, { min: 0 })).toBe(123456789);
    setEnv("KH_TEST_TASKS", "-1");
    expect(invalidOption(() => integerFromEnv("KH_TEST_TASKS", 1, { min: 0 })).message).toContain("from 0 and up");
  });

  test("a fallback outside the bounds is an error too, marked as the default", () => {
    setEnv("KH_TEST_TASKS", undefined);
    const error = invalidOption(() => integerFromEnv("KH_TEST_TASKS", 0, bounds));
    expect(error.option).toBe("KH_TEST_TASKS (default)");
  });
});

describe("choiceFromEnv", () => {
  const backends = ["thread", "process"] as const;

  test("unset or empty gives the fallback; a listed word is returned", () => {
    setEnv("KH_TEST_BACKEND", undefined);
    expect(choiceFromEnv("KH_TEST_BACKEND", backends, "thread")).toBe("thread");
    setEnv("KH_TEST_BACKEND", "");
    expect(choiceFromEnv("KH_TEST_BACKEND", backends, "process")).toBe("process");
    setEnv("KH_TEST_BACKEND", " process ");
    expect(choiceFromEnv("KH_TEST_BACKEND", backends, "thread")).toBe("process");
  });

  test("another word throws InvalidOptionError listing the choices", () => {
    setEnv("KH_TEST_BACKEND", "gpu");
    const error = invalidOption(() => choiceFromEnv("KH_TEST_BACKEND", backends, "thread"));
    expect(error.option).toBe("KH_TEST_BACKEND");
    expect(error.message).toContain('"gpu"');
    expect(error.message).toContain('"thread", "process"');
  });
});

describe("the environment is restored after each test", () => {
  test("sets a variable", () => {
    setEnv("KH_TEST_RESTORE", "set");
    expect(process.env["KH_TEST_RESTORE"]).toBe("set");
  });

  test("the variable is gone again", () => {
    expect(process.env["KH_TEST_RESTORE"]).toBeUndefined();
  });
});
