/**
 * Was the machine quiet while a notebook measured? Two readings, taken at
 * the start and at the end of a notebook:
 *
 * - other processes' CPU: how many cores something else kept busy (Linux
 *   /proc; elsewhere unknown), which makes parallel timings look worse;
 * - CPU speed drift: the same fixed loop timed at both ends. A slower loop at
 *   the end means the CPU itself slowed down (heat, a busy virtual-machine
 *   host, frequency scaling), which makes later timings look worse.
 */
import os from "node:os";
import { cpuSnapshot, otherCores } from "./cpu";
import { median } from "./stats";
import { leibnizPi } from "../tasks/leibniz";

/** One reading of {@link checkQuiet}. */
export interface QuietCheck {
  /** When it was taken (ISO 8601). */
  at: string;
  /** Cores other processes kept busy while it was taken; null where the OS does not tell. */
  otherCores: number | null;
  /** Median time of the fixed loop (10 million Leibniz terms), in ms. */
  loopMs: number;
  /** Every timing of the fixed loop, in ms. */
  loopSamplesMs: number[];
  /** Cores this process may use. */
  availableCores: number;
}

/** Above this many cores kept busy by others, the machine was not quiet. */
export const BUSY_OTHER_CORES = 0.1;
/** Above this relative change of the fixed loop's time, the CPU speed drifted. */
export const SPEED_DRIFT = 0.1;

const FIXED_LOOP_TERMS = 10_000_000;

/**
 * Takes one reading: times a fixed loop 7 times and watches the other
 * processes' CPU meanwhile and for a short idle pause (about 0.3 s in all).
 *
 * @example const start = await checkQuiet(); ... console.log(quietVerdict(start, await checkQuiet()));
 */
export async function checkQuiet(): Promise<QuietCheck> {
  const before = cpuSnapshot();
  const loopSamplesMs: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t = performance.now();
    leibnizPi(FIXED_LOOP_TERMS);
    loopSamplesMs.push(performance.now() - t);
  }
  await new Promise((resolve) => setTimeout(resolve, 150));
  const after = cpuSnapshot();
  // the first run includes V8's compilation of the loop: leave it out
  const timed = loopSamplesMs.slice(1);
  return {
    at: new Date().toISOString(),
    otherCores: otherCores(before, after),
    loopMs: median(timed),
    loopSamplesMs: timed,
    availableCores: os.availableParallelism(),
  };
}

const fixed = (n: number, digits = 2): string => n.toFixed(digits);

/**
 * Says in words whether the machine was quiet: for one reading, the other
 * processes' load; for two (start and end), also whether the CPU's speed
 * drifted between them. The wording follows the numbers
 * ({@link BUSY_OTHER_CORES}, {@link SPEED_DRIFT}).
 */
export function quietVerdict(start: QuietCheck, end?: QuietCheck): string {
  const load = (check: QuietCheck): string =>
    check.otherCores === null
      ? "other processes' load unknown (no /proc on this OS)"
      : `other processes kept ${fixed(check.otherCores)} of ${check.availableCores} cores busy` +
        (check.otherCores > BUSY_OTHER_CORES ? " (NOT quiet: parallel timings will look worse than they are)" : " (quiet)");
  if (!end) return `Machine check: ${load(start)}; a fixed loop took ${fixed(start.loopMs, 1)} ms.`;
  const drift = end.loopMs / start.loopMs - 1;
  const speed =
    Math.abs(drift) <= SPEED_DRIFT
      ? `the fixed loop took ${fixed(start.loopMs, 1)} ms at the start and ${fixed(end.loopMs, 1)} ms now (${drift >= 0 ? "+" : ""}${fixed(drift * 100, 1)} %): CPU speed steady`
      : `the fixed loop took ${fixed(start.loopMs, 1)} ms at the start and ${fixed(end.loopMs, 1)} ms now (${drift >= 0 ? "+" : ""}${fixed(drift * 100, 1)} %): ` +
        `the CPU ran ${drift > 0 ? "slower" : "faster"} at the end (heat, a busy host or frequency scaling), so compare early and late timings with care`;
  return `Machine check at the end: ${load(end)}; ${speed}.`;
}

/**
 * Takes a reading, prints its verdict, and returns it: call it in a
 * notebook's first cells, and again at the end with the first reading.
 * @param start - the reading from the start of the notebook, to report drift against.
 */
export async function showQuiet(start?: QuietCheck): Promise<QuietCheck> {
  const check = await checkQuiet();
  console.log(quietVerdict(start ?? check, start ? check : undefined));
  return check;
}
