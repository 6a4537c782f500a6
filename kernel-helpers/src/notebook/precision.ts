/**
 * Where a computed value's error comes from: the method (e.g. a series cut
 * off after N terms) or the arithmetic's rounding (e.g. float32 against
 * float64). Rounding errors have either sign, so they can cancel part of the
 * method's error and make a less precise computation land closer to the
 * exact value by chance.
 */

/** {@link splitError}'s result. */
export interface ErrorParts {
  /** reference - exact: the method's own error, computed in high precision. */
  methodError: number;
  /** value - reference: what the lower-precision arithmetic added. */
  roundingError: number;
  /** value - exact. */
  totalError: number;
  /** True when `value` is strictly closer to `exact` than `reference` is. */
  closer: boolean;
  /**
   * How the rounding error meets the method's error: "cancels part of" (opposite
   * signs, value closer), "overshoots" (opposite signs, but past the exact value
   * and no closer), "adds to" (same sign) or "leaves unchanged" (no rounding error).
   */
  relation: "cancels part of" | "overshoots" | "adds to" | "leaves unchanged";
}

/**
 * Splits the error of `value` into the method's error (of `reference`, the
 * same computation in higher precision) and the rounding error between them.
 *
 * @param exact - the true value, e.g. Math.PI.
 * @param reference - the method computed precisely, e.g. the float64 loop.
 * @param value - the same method in lower precision, e.g. float32 tensors.
 * @example splitError(Math.PI, loopValue, tensorValue).relation
 */
export function splitError(exact: number, reference: number, value: number): ErrorParts {
  const methodError = reference - exact;
  const roundingError = value - reference;
  const totalError = value - exact;
  const closer = Math.abs(totalError) < Math.abs(methodError);
  let relation: ErrorParts["relation"];
  if (roundingError === 0) relation = "leaves unchanged";
  else if (Math.sign(roundingError) === Math.sign(methodError) || methodError === 0) relation = "adds to";
  else relation = closer ? "cancels part of" : "overshoots";
  return { methodError, roundingError, totalError, closer, relation };
}

/**
 * Significant decimal digits on which `value` agrees with `reference`:
 * -log10(|value - reference| / |reference|), rounded down; Infinity when equal.
 * @example agreeingDigits(3.1415925, 3.14159265) // 7
 */
export function agreeingDigits(value: number, reference: number): number {
  if (value === reference) return Infinity;
  return Math.max(0, Math.floor(-Math.log10(Math.abs(value - reference) / Math.abs(reference))));
}
