import { checkInteger, MAX_WORK } from "../primitives/validate";

/**
 * The Madhava-Leibniz series for pi, the CPU-heavy task of notebook 01:
 * pi ≈ 4 · Σ_{n=0}^{terms-1} (-1)^n / (2n + 1).
 */

/**
 * The partial sum of the Leibniz series with `terms` summands, times 4, as a
 * plain loop. V8 compiles this loop to machine code, so it runs at about one
 * nanosecond per term: this is the "non-vectorised" case of the tutorial.
 *
 * @param terms - number of summands (an integer ≥ 0).
 * @returns 4 · Σ (-1)^n / (2n + 1) for n < terms.
 * @example leibnizPi(5_000_000) // 3.1415924535897797
 */
export function leibnizPi(terms: number): number {
  checkInteger("`terms`", terms, { min: 0, max: MAX_WORK });
  let sum = 0;
  for (let n = 0; n < terms; n++) {
    sum += (n % 2 === 0 ? 1 : -1) / (2 * n + 1);
  }
  return 4 * sum;
}

/**
 * {@link leibnizPi} with an id carried through, like the original's
 * `(id, value)` tuples, so results can be matched to their inputs.
 *
 * @param id - any number that identifies the task.
 * @param terms - number of summands.
 * @returns `[id, pi]`.
 */
export function leibnizPiById(id: number, terms: number): [number, number] {
  return [id, leibnizPi(terms)];
}

/**
 * The same partial sum written the way numpy code is: build the array of
 * indices, compute every summand into a second array, then sum it. In Python
 * this is what makes the work fast (the loops run in C); in Node the plain
 * loop is already compiled, and this version pays for allocating and walking
 * two arrays of `terms` doubles.
 *
 * @param terms - number of summands.
 */
export function leibnizPiArrays(terms: number): number {
  // two Float64Arrays of `terms` entries: cap at 2^27 (2 GiB in all)
  checkInteger("`terms`", terms, { min: 0, max: 2 ** 27 });
  const n = new Float64Array(terms);
  for (let i = 0; i < terms; i++) n[i] = i;
  const summands = new Float64Array(terms);
  for (let i = 0; i < terms; i++) {
    const k = n[i] as number;
    summands[i] = (1 - 2 * (k % 2)) / (2 * k + 1);
  }
  let sum = 0;
  for (let i = 0; i < terms; i++) sum += summands[i] as number;
  return 4 * sum;
}
