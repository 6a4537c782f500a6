/**
 * "A function sent as source text": how an inline function travels to a
 * worker (a Pool task or initializer, a Process target) or to a Manager's
 * owner (an `update`). A function cannot be cloned (structured clone and v8's
 * format refuse it), so its text travels, as `workerpool.exec(fn)` does, and
 * is compiled again on the other side, where it sees none of the sender's
 * variables or imports: Node's analogue of Python's "must be picklable".
 *
 * This is the one place that does it, both ends:
 * - the sender checks the text with {@link sourceText}, so that a function
 *   that cannot stand alone is refused where it was written, naming the option;
 * - the receiver compiles it with {@link compileSource}, once per text.
 */
import { InvalidOptionError } from "../primitives/errors";
import { describeValue } from "../primitives/validate";

/** A function rebuilt from its source text. */
export type CompiledFunction = (...args: unknown[]) => unknown;

/** Texts kept per cache; past this the cache starts again (a peer cannot grow it without bound). */
const MAX_CACHED = 1_000;

// Compiling the same text for every call would throw away V8's optimised
// code for it (and parsing costs time): keep what was checked and compiled.
const checked = new Set<string>();
const compiled = new Map<string, CompiledFunction>();

/** The text compiled: a function expression, on its own, in strict mode. */
const wrap = (source: string): string => `"use strict"; return (${source});`;

/**
 * The sender's side: the source text of `fn`, checked to compile on its own.
 * @param option - the option or argument named in errors, e.g. `"task"` or `"\`fn\`"`.
 * @param to - where the function goes, for messages: `"a worker"`, `"the manager"`.
 * @throws InvalidOptionError naming `option` when `fn` is not a function, is
 *   native or bound (no source to send), or is a method shorthand or class
 *   method (its text does not stand alone).
 */
export function sourceText(fn: unknown, option: string, to: string): string {
  if (typeof fn !== "function") throw new InvalidOptionError(option, `Expected ${option} to be a function, got ${describeValue(fn)}.`);
  const name = fn.name || "anonymous";
  const source = Function.prototype.toString.call(fn);
  if (checked.has(source) || compiled.has(source)) return source;
  if (source.includes("[native code]")) {
    throw new InvalidOptionError(option, `Function "${name}" is native or bound, so its source cannot be sent to ${to}. Pass a plain function or arrow function.`);
  }
  try {
    new Function(wrap(source)); // parses only: nothing of the function runs here
  } catch {
    throw new InvalidOptionError(
      option,
      `Function "${name}" cannot be sent to ${to} as source text (method shorthand \`{ f() {} }\` and class methods do not stand alone). ` +
        "Write it as `function f() {}` or `() => {}`.",
    );
  }
  remember(checked, source);
  return source;
}

/**
 * The receiver's side: the function that `source` (from {@link sourceText})
 * denotes, compiled once per text.
 * @throws SyntaxError if the text does not compile, TypeError if it is not a function.
 */
export function compileSource(source: string): CompiledFunction {
  const known = compiled.get(source);
  if (known) return known;
  const fn = new Function(wrap(source))() as unknown;
  if (typeof fn !== "function") throw new TypeError(`The source text sent as a function is not one: it gives ${describeValue(fn)}.`);
  if (compiled.size >= MAX_CACHED) compiled.clear();
  compiled.set(source, fn as CompiledFunction);
  return fn as CompiledFunction;
}

function remember(cache: Set<string>, source: string): void {
  if (cache.size >= MAX_CACHED) cache.clear();
  cache.add(source);
}
