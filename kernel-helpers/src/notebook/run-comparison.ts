/**
 * Two cases compared in words that respect their noise: a difference is
 * called only when the runs' own spread allows it, as notebook 03 does for
 * its grid (rounds that overlap cannot be told apart). With one run each
 * there is no spread, so the size of the gap decides how it is worded.
 */
import { NOISY_SPREAD } from "../measuring/benchmark-findings";
import { median } from "../measuring/stats";
import { relativeSpeed } from "../measuring/wording";

/** The timed runs of one case, named as a sentence should name it ("largest first"). */
export interface NamedRuns {
  name: string;
  /** Wall time of each timed run, in ms (as `measure` returns them). */
  samplesMs: readonly number[];
}

const ms = (value: number) => `${value.toFixed(value >= 100 ? 0 : 1)} ms`;
const range = (samples: readonly number[]) => `${ms(Math.min(...samples))} to ${ms(Math.max(...samples))}`;

/**
 * How `other` compared with `reference`, as a sentence hedged by the runs:
 * - several runs each whose ranges do not overlap: the ratio, with the medians;
 * - several runs each whose ranges overlap: "cannot be told apart", with both ranges;
 * - one run each: the ratio, and that there is no spread to judge it by; a gap
 *   under {@link NOISY_SPREAD} (10 %) is called too small to call.
 * Times within 5 % read "about as fast as" whatever the runs.
 *
 * @param other - the case being judged.
 * @param reference - the case it is compared with.
 * @example compareRuns({ name: "a random order", samplesMs: [190] }, { name: "largest first", samplesMs: [143] })
 * // "a random order was 1.3× slower than largest first (medians 190 ms and 143 ms), from one run each: no spread to judge the gap by, so more runs would tell whether it holds."
 */
export function compareRuns(other: NamedRuns, reference: NamedRuns): string {
  if (other.samplesMs.length === 0 || reference.samplesMs.length === 0) {
    throw new RangeError(`compareRuns: expected at least one run of "${other.name}" and of "${reference.name}", got ${other.samplesMs.length} and ${reference.samplesMs.length}.`);
  }
  const otherMs = median(other.samplesMs), referenceMs = median(reference.samplesMs);
  const relation = relativeSpeed(referenceMs, otherMs);
  const medians = `medians ${ms(otherMs)} and ${ms(referenceMs)}`;
  if (relation.startsWith("about")) return `${other.name} was ${relation} ${reference.name} (${medians}).`;
  if (other.samplesMs.length > 1 && reference.samplesMs.length > 1) {
    const apart = Math.min(...other.samplesMs) > Math.max(...reference.samplesMs) || Math.max(...other.samplesMs) < Math.min(...reference.samplesMs);
    return apart
      ? `${other.name} was ${relation} ${reference.name} (${medians}; their runs do not overlap).`
      : `${other.name} and ${reference.name} cannot be told apart: their runs overlap (${range(other.samplesMs)} against ${range(reference.samplesMs)}).`;
  }
  const gap = Math.max(otherMs, referenceMs) / Math.min(otherMs, referenceMs) - 1;
  return gap < NOISY_SPREAD
    ? `${other.name} was ${relation} ${reference.name} (${medians}), from one run each: a gap under ${Math.round(NOISY_SPREAD * 100)} % is too small to call without more runs.`
    : `${other.name} was ${relation} ${reference.name} (${medians}), from one run each: no spread to judge the gap by, so more runs would tell whether it holds.`;
}

/**
 * The lowest and highest ratio `numerator / denominator` over every pairing
 * of their samples: how far a ratio of two medians could move with the runs
 * it came from.
 * @example ratioRange([217_000, 261_000], [31_100, 46_000]) // [4.72, 8.39]
 */
export function ratioRange(numerator: readonly number[], denominator: readonly number[]): [number, number] {
  if (numerator.length === 0 || denominator.length === 0) {
    throw new RangeError(`ratioRange: expected samples on both sides, got ${numerator.length} and ${denominator.length}.`);
  }
  return [Math.min(...numerator) / Math.max(...denominator), Math.max(...numerator) / Math.min(...denominator)];
}
