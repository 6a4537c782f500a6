/**
 * Options objects checked for what they contain: a misspelt option (`timeout`
 * for `timeoutMs`, `maxSize` for `maxsize`) is refused with its name instead
 * of being ignored without a word.
 */
import { InvalidOptionError } from "./errors";
import { describeValue } from "./validate";

/**
 * Returns `options` as a record (an empty one for `undefined`), after checking
 * that it is an object and that every key in it is one of `known`.
 *
 * @param options - what the caller passed as options.
 * @param known - the accepted option names.
 * @param of - what the options belong to, for messages, e.g. "`put`" or "`new Queue`".
 * @throws InvalidOptionError naming the unknown option (or `options` when it is not an object).
 */
export function checkKnownOptions(options: unknown, known: readonly string[], of: string): Record<string, unknown> {
  if (options === undefined) return {};
  // the list is written only for a message: this check runs on every queue operation
  const list = (): string => known.map((k) => `\`${k}\``).join(", ");
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new InvalidOptionError("`options`", `Expected the options of ${of} to be an object with ${list()}, got ${describeValue(options)}.`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new InvalidOptionError(`\`${key}\``, `Unknown option \`${key}\` of ${of}: the options are ${list()}.`);
  }
  return options as Record<string, unknown>;
}

/** Returns `value` if it is a boolean (or `fallback` when undefined), else throws an {@link InvalidOptionError}. */
export function checkBoolean(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw new InvalidOptionError(option, `Expected ${option} to be true or false, got ${describeValue(value)}.`);
  return value;
}
