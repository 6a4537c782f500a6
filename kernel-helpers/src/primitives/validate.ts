import { InvalidOptionError } from "./errors";

/** Shows a value the way the error messages quote it: `0` (number), `"abc"` (string). */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return `\`${JSON.stringify(value)}\` (string)`;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") {
    return `\`${String(value)}\` (${typeof value})`;
  }
  if (value === null) return "`null`";
  if (value === undefined) return "`undefined`";
  if (typeof value === "function") return `a function`;
  return `a ${Array.isArray(value) ? "array" : typeof value}`;
}

/**
 * The largest work size a task accepts (terms, random numbers, points):
 * 10^11 iterations take minutes per task; more is almost surely a typo.
 */
export const MAX_WORK = 1e11;

/** Bounds for {@link checkInteger}. */
export interface IntegerBounds {
  /** Smallest accepted value (inclusive). */
  min: number;
  /** Largest accepted value (inclusive); `Infinity` when unbounded. */
  max?: number;
}

/**
 * Returns `value` if it is an integer within the bounds, else throws an
 * {@link InvalidOptionError} naming `option`, the value and the range.
 *
 * @param option - the name shown in the message, e.g. "`workers`" or "CORES".
 * @param value - the value to check.
 * @param bounds - accepted range.
 */
export function checkInteger(option: string, value: unknown, bounds: IntegerBounds): number {
  const max = bounds.max ?? Number.MAX_SAFE_INTEGER;
  const range = max >= Number.MAX_SAFE_INTEGER ? `from ${bounds.min} and up` : `from ${bounds.min} to ${max}`;
  if (typeof value !== "number" || !Number.isInteger(value) || value < bounds.min || value > max) {
    throw new InvalidOptionError(option, `Expected ${option} to be an integer ${range}, got ${describeValue(value)}.`);
  }
  return value;
}

/**
 * Returns `value` if it is one of `choices`, else throws an
 * {@link InvalidOptionError} listing the choices.
 */
export function checkChoice<T extends string>(option: string, value: unknown, choices: readonly T[]): T {
  if (typeof value !== "string" || !(choices as readonly string[]).includes(value)) {
    const list = choices.map((c) => `"${c}"`).join(", ");
    throw new InvalidOptionError(option, `Expected ${option} to be one of ${list}, got ${describeValue(value)}.`);
  }
  return value as T;
}

/** Returns `value` if it is a finite number, else throws an {@link InvalidOptionError}. */
export function checkFinite(option: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new InvalidOptionError(option, `Expected ${option} to be a finite number, got ${describeValue(value)}.`);
  }
  return value;
}

/**
 * Parses a decimal integer from text (an environment variable) strictly:
 * "4" is 4; "", "4.5", "4abc", "0x10", "1e3" are rejected.
 */
export function parseIntegerStrict(option: string, text: string, bounds: IntegerBounds): number {
  const trimmed = text.trim();
  const value = /^[+-]?\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  const max = bounds.max ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isSafeInteger(value) || value < bounds.min || value > max) {
    const range = max >= Number.MAX_SAFE_INTEGER ? `from ${bounds.min} and up` : `from ${bounds.min} to ${max}`;
    // quote what the user wrote, not the number it parses to (1e20 would hide their 99999999999999999999)
    throw new InvalidOptionError(option, `Expected ${option} to be an integer ${range}, got ${describeValue(text)}.`);
  }
  return value;
}

/**
 * Returns `value` if it is a function, else throws an {@link InvalidOptionError}
 * naming `option` (and `of`, what it belongs to, when given).
 * @example checkFunction("`onResult`", options.onResult, "`collectResults`")
 */
export function checkFunction(option: string, value: unknown, of?: string): (...args: never[]) => unknown {
  if (typeof value !== "function") throw new InvalidOptionError(option, `Expected ${option}${of ? ` of ${of}` : ""} to be a function, got ${describeValue(value)}.`);
  return value as (...args: never[]) => unknown;
}
