/**
 * Options objects checked for what they contain: a misspelt option (`timeout`
 * for `timeoutMs`, `maxSize` for `maxsize`) is refused with its name instead
 * of being ignored without a word.
 */
import { InvalidOptionError } from "./errors";
import { describeValue } from "./validate";

/** Edit distance (insertions, deletions, substitutions), for "did you mean". */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The known option closest to `key`, if it is close enough to be a typo of it. */
function closestOption(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const name of known) {
    const distance = name.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key, name);
    if (distance < bestDistance) (best = name), (bestDistance = distance);
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

/**
 * Returns `options` as a record (an empty one for `undefined`), after
 * checking that it is an object and that every key in it is one of `known`.
 * Every option check of the library goes through here (Pool, Queue,
 * Process, the measuring helpers).
 *
 * @param options - what the caller passed as options.
 * @param known - the accepted option names.
 * @param of - what the options belong to, for messages, e.g. "`put`", "`new Pool`" or "`pool.map`".
 * @throws InvalidOptionError naming the unknown option and the closest known one (or `options` when it is not an object).
 */
export function checkKnownOptions(options: unknown, known: readonly string[], of: string): Record<string, unknown> {
  if (options === undefined) return {};
  // the list is written only for a message: this check runs on every queue operation and every task submitted
  const list = (): string => known.map((k) => `\`${k}\``).join(", ");
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new InvalidOptionError("`options`", `Expected the options of ${of} to be an object with ${list()}, got ${describeValue(options)}.`);
  }
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const guess = closestOption(key, known);
    throw new InvalidOptionError(
      `\`${key}\``,
      `Unknown option \`${key}\` of ${of}${guess ? `; did you mean \`${guess}\`?` : "."} The options are ${list()}.`,
    );
  }
  return options as Record<string, unknown>;
}

/** Returns `value` if it is a boolean (or `fallback` when undefined), else throws an {@link InvalidOptionError}. */
export function checkBoolean(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw new InvalidOptionError(option, `Expected ${option} to be true or false, got ${describeValue(value)}.`);
  return value;
}
