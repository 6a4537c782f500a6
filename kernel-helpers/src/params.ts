/**
 * The knobs of a notebook's `parameters` cell, read from environment
 * variables (the runner sets them per run) with defaults, and validated
 * before any worker starts.
 */
import os from "node:os";
import { InvalidOptionError } from "./errors";
import { checkChoice, parseIntegerStrict, type IntegerBounds } from "./validate";

/** Run size: `quick` for tests and CI, `full` for the real tutorial. */
export type Scale = "quick" | "full";
/** The accepted scales. */
export const SCALES: readonly Scale[] = ["quick", "full"];

/**
 * Reads an integer knob from the environment.
 *
 * @param name - the environment variable, e.g. "TASKS".
 * @param fallback - used when the variable is unset or empty.
 * @param bounds - accepted range; values outside it are errors.
 * @throws InvalidOptionError naming the variable, the value and the range.
 */
export function integerFromEnv(name: string, fallback: number, bounds: IntegerBounds): number {
  const text = process.env[name];
  if (text === undefined || text.trim() === "") {
    return parseIntegerStrict(`${name} (default)`, String(fallback), bounds);
  }
  return parseIntegerStrict(name, text, bounds);
}

/**
 * Reads the number of cores (workers) to use from `CORES`, defaulting to
 * every core this process may use. More than that is allowed, with a
 * printed warning: oversubscribed workers share cores and take turns.
 *
 * @throws InvalidOptionError for `0`, `-1`, `abc`, `1.5`, or more than 1024.
 */
export function coresFromEnv(name = "CORES"): number {
  const available = os.availableParallelism();
  const cores = integerFromEnv(name, available, { min: 1, max: 1024 });
  if (cores > available) {
    console.warn(
      `Warning: ${name}=${cores} is more than the ${available} cores available: workers will share cores ` +
        "(oversubscription), so expect no further speed-up.",
    );
  }
  return cores;
}

/**
 * Reads `SCALE` (`quick` or `full`; default `full`).
 * @throws InvalidOptionError for anything else.
 */
export function scaleFromEnv(name = "SCALE"): Scale {
  const text = process.env[name];
  if (text === undefined || text.trim() === "") return "full";
  try {
    return checkChoice(name, text.trim().toLowerCase(), SCALES);
  } catch {
    throw new InvalidOptionError(name, `Expected ${name} to be one of "quick", "full", got "${text}".`);
  }
}

/**
 * Reads a knob that takes one of a few words, e.g. `BACKEND` = thread | process.
 *
 * @param name - the environment variable.
 * @param choices - the accepted values.
 * @param fallback - used when the variable is unset or empty.
 * @throws InvalidOptionError listing the choices.
 */
export function choiceFromEnv<T extends string>(name: string, choices: readonly T[], fallback: T): T {
  const text = process.env[name];
  if (text === undefined || text.trim() === "") return fallback;
  return checkChoice(name, text.trim(), choices);
}

/** Picks the value for the current scale: `byScale(scale, { quick: 1e5, full: 5e7 })`. */
export function byScale<T>(scale: Scale, values: Record<Scale, T>): T {
  return values[scale];
}
