/**
 * Numerical integration with an error estimate: adaptive Gauss-Kronrod
 * quadrature (7-point Gauss inside a 15-point Kronrod rule, the pair behind
 * QUADPACK's QAG and SciPy's `quad`). Written here because the npm packages
 * that integrate (e.g. `integrate-adaptive-simpson`) return no error estimate.
 */
import { checkFinite, checkInteger } from "../primitives/validate";
import { InvalidOptionError } from "../primitives/errors";

/** Result of {@link integrate}. */
export interface Integral {
  /** The integral's estimate. */
  value: number;
  /** An estimate of |value - exact value| (the sum of |K15 - G7| over the pieces). */
  errorEstimate: number;
  /** How many times the integrand was called. */
  evaluations: number;
  /** Number of sub-intervals the adaptive scheme ended with. */
  intervals: number;
}

/** Options of {@link integrate}. */
export interface IntegrateOptions {
  /** Absolute error goal. Default `1e-10`. */
  absoluteTolerance?: number;
  /** Relative error goal. Default `1e-10`. */
  relativeTolerance?: number;
  /** Give up refining after this many sub-intervals. Default `200`. */
  maxIntervals?: number;
}

// Kronrod nodes on [-1, 1] (positive half, descending) and weights; the Gauss
// 7-point rule uses the odd-indexed nodes (1, 3, 5) and the centre (7).
const KRONROD_NODES = [
  0.991455371120812639206854697526329, 0.949107912342758524526189684047851, 0.864864423359769072789712788640926,
  0.741531185599394439863864773280788, 0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
  0.207784955007898467600689403773245, 0.0,
] as const;
const KRONROD_WEIGHTS = [
  0.02293532201052922496373200805897, 0.063092092629978553290700663189204, 0.104790010322250183839876322541518,
  0.140653259715525918745189590510238, 0.16900472663926790282658342659855, 0.190350578064785409913256402421014,
  0.204432940075298892414161999234649, 0.209482141084727828012999174891714,
] as const;
const GAUSS_WEIGHTS = [
  0.129484966168869693270611432679082, 0.27970539148927666790146777142378, 0.381830050505118944950369775488975,
  0.417959183673469387755102040816327,
] as const;

interface Piece {
  a: number;
  b: number;
  value: number;
  error: number;
}

function kronrod15(f: (x: number) => number, a: number, b: number): Piece {
  const centre = 0.5 * (a + b);
  const halfLength = 0.5 * (b - a);
  const fc = f(centre);
  let kronrod = fc * KRONROD_WEIGHTS[7];
  let gauss = fc * GAUSS_WEIGHTS[3];
  for (let i = 0; i < 7; i++) {
    const dx = halfLength * KRONROD_NODES[i]!;
    const pair = f(centre - dx) + f(centre + dx);
    kronrod += KRONROD_WEIGHTS[i]! * pair;
    if (i % 2 === 1) gauss += GAUSS_WEIGHTS[(i - 1) / 2]! * pair;
  }
  return { a, b, value: kronrod * halfLength, error: Math.abs((kronrod - gauss) * halfLength) };
}

/**
 * Integrates `f` over [a, b] with adaptive Gauss-Kronrod quadrature: the
 * piece with the largest error estimate is halved until the total error is
 * below `max(absoluteTolerance, relativeTolerance · |value|)`.
 *
 * @param f - the integrand; must return finite numbers on [a, b].
 * @param a - lower limit (finite).
 * @param b - upper limit (finite; b < a gives the negated integral).
 * @param options - tolerances and the sub-interval limit.
 * @returns the value with its error estimate.
 * @example integrate((x) => 2 * x + 5, 0, 100).value // 10500
 */
export function integrate(f: (x: number) => number, a: number, b: number, options: IntegrateOptions = {}): Integral {
  checkFinite("`a`", a);
  checkFinite("`b`", b);
  const absoluteTolerance = options.absoluteTolerance ?? 1e-10;
  const relativeTolerance = options.relativeTolerance ?? 1e-10;
  const maxIntervals = checkInteger("`maxIntervals`", options.maxIntervals ?? 200, { min: 1, max: 1_000_000 });
  if (!(absoluteTolerance >= 0) || !(relativeTolerance >= 0)) {
    throw new InvalidOptionError("tolerance", "Expected `absoluteTolerance` and `relativeTolerance` to be numbers ≥ 0.");
  }
  let evaluations = 0;
  const counted = (x: number): number => {
    evaluations++;
    const y = f(x);
    if (!Number.isFinite(y)) {
      throw new RangeError(`The integrand returned ${y} at x = ${x}; it must be finite on [${a}, ${b}].`);
    }
    return y;
  };
  const pieces: Piece[] = [kronrod15(counted, a, b)];
  const total = (key: "value" | "error"): number => pieces.reduce((s, p) => s + p[key], 0);
  while (pieces.length < maxIntervals) {
    const error = total("error");
    if (error <= Math.max(absoluteTolerance, relativeTolerance * Math.abs(total("value")))) break;
    let worst = 0;
    for (let i = 1; i < pieces.length; i++) if (pieces[i]!.error > pieces[worst]!.error) worst = i;
    const { a: left, b: right } = pieces[worst]!;
    const middle = 0.5 * (left + right);
    pieces.splice(worst, 1, kronrod15(counted, left, middle), kronrod15(counted, middle, right));
  }
  return { value: total("value"), errorEstimate: total("error"), evaluations, intervals: pieces.length };
}

/**
 * Evaluates the polynomial c0 + c1·x + c2·x² + ... (Horner's rule).
 *
 * @param coefficients - c0, c1, ... (lowest degree first).
 */
export function evaluatePolynomial(coefficients: readonly number[], x: number): number {
  let y = 0;
  for (let i = coefficients.length - 1; i >= 0; i--) y = y * x + coefficients[i]!;
  return y;
}

/**
 * Integrates the polynomial c0 + c1·x + ... over [a, b] numerically with
 * {@link integrate}. A task a pool can run: its arguments are plain numbers,
 * so they can be sent to a worker (a function could not be).
 *
 * @param coefficients - c0, c1, ... (lowest degree first), e.g. `[5, 2]` for 2x + 5.
 * @param a - lower limit.
 * @param b - upper limit.
 */
export function integratePolynomial(coefficients: number[], a: number, b: number): Integral {
  if (!Array.isArray(coefficients) || coefficients.length === 0 || !coefficients.every(Number.isFinite)) {
    throw new InvalidOptionError("`coefficients`", "Expected `coefficients` to be a non-empty array of finite numbers.");
  }
  return integrate((x) => evaluatePolynomial(coefficients, x), a, b);
}
