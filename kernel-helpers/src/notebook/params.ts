/**
 * The knobs of a notebook's `parameters` cell, read from environment
 * variables (the runner sets them per run) with defaults, and validated
 * before any worker starts.
 */
import os from "node:os";
import { InvalidOptionError } from "../primitives/errors";
// a build input (kernel-helpers/tsconfig.json includes src/**/*.json), so `tsc -b` rebuilds when it changes
import knobs from "../knobs.json";
import { checkChoice, parseIntegerStrict, type IntegerBounds } from "../primitives/validate";

/** Run size: `quick` for tests and CI, `full` for the real tutorial. */
export type Scale = "quick" | "full";

/** The rules of the knobs every notebook shares, as `src/knobs.json` defines them. */
export interface KnobRules {
  /** `CORES`: an integer from `min` to `max`. */
  CORES: { min: number; max: number };
  /** `SCALE`: one of `choices`, `default` when unset. */
  SCALE: { choices: readonly Scale[]; default: Scale };
}

/**
 * Checks the rules of `knobs.json`, the one definition of the shared knobs'
 * ranges (the runner checks its `--cores` and `--scale` against the same file
 * before anything is built).
 */
function checkKnobRules(rules: Partial<KnobRules>): KnobRules {
  const cores = rules.CORES;
  const scale = rules.SCALE;
  const known: readonly string[] = ["quick", "full"];
  if (
    !cores || !Number.isSafeInteger(cores.min) || !Number.isSafeInteger(cores.max) || cores.min > cores.max ||
    !scale || !Array.isArray(scale.choices) || !scale.choices.every((c) => known.includes(c)) ||
    !scale.choices.includes(scale.default)
  ) {
    // byScale() and the notebooks know only these scales, hence the check
    throw new Error(`kernel-helpers/src/knobs.json: expected CORES {min, max} integers and SCALE {choices, default} among "quick", "full"`);
  }
  return { CORES: { min: cores.min, max: cores.max }, SCALE: { choices: scale.choices, default: scale.default } };
}

/** The shared knobs' rules (from `src/knobs.json`). */
export const KNOB_RULES: Readonly<KnobRules> = checkKnobRules(knobs as Partial<KnobRules>);

/** The accepted scales. */
export const SCALES: readonly Scale[] = KNOB_RULES.SCALE.choices;

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
 * printed warning: oversubscribed workers share cores and take turns. The
 * warning is printed here, in the notebook, and not by the runner: it then
 * stands next to the timings it explains, in the executed notebook and its
 * HTML, and also when the notebook is run by hand in Jupyter.
 *
 * @throws InvalidOptionError for `0`, `-1`, `abc`, `1.5`, or more than 1024
 *   (the range is `KNOB_RULES.CORES`, from `src/knobs.json`).
 */
export function coresFromEnv(name = "CORES"): number {
  const available = os.availableParallelism();
  const cores = integerFromEnv(name, available, KNOB_RULES.CORES);
  if (cores > available) {
    console.warn(
      `Warning: ${name}=${cores} is more than the ${available} cores available: workers will share cores ` +
        "(oversubscription), so expect no further speed-up.",
    );
  }
  return cores;
}

/**
 * Reads `SCALE` (`quick` or `full`; default `full`, as `src/knobs.json` says).
 * @throws InvalidOptionError for anything else.
 */
export function scaleFromEnv(name = "SCALE"): Scale {
  const text = process.env[name];
  if (text === undefined || text.trim() === "") return KNOB_RULES.SCALE.default;
  try {
    return checkChoice(name, text.trim().toLowerCase(), SCALES);
  } catch {
    const list = SCALES.map((s) => `"${s}"`).join(", ");
    throw new InvalidOptionError(name, `Expected ${name} to be one of ${list}, got "${text}".`);
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
