/**
 * Several cases timed in turns, for comparisons on a machine whose speed
 * drifts (a virtual machine's host, a laptop's clock): timed one case after
 * the other, a slow spell lands on whichever case runs then and reads as a
 * difference between the cases.
 */
import { summarize } from "./stats";
import { progress } from "./progress";
import type { MeasureOptions } from "./timing";
import { runWithCpu, type CpuTiming } from "./speedup-report";
import { checkInteger } from "../primitives/validate";
import { checkKnownOptions } from "../primitives/known-options";
import { InvalidOptionError } from "../primitives/errors";

/**
 * Like `measureCpu` for several cases at once, run in turns: each case's
 * `warmup` untimed runs first (default 1), then `repeats` rounds (default 3)
 * in which every case runs once, the order rotating from round to round, so
 * that a slow spell slows every case rather than one. One progress line
 * counts all the runs. Each case gets what `measureCpu` gives: its timed
 * samples and their summary, its last value, and the CPU readings of each
 * timed run (taken outside the timed window).
 *
 * @param cases - `[label, run]` pairs: what is timed, and one run of it.
 * @returns one timing per case, in the order of `cases`.
 * @throws InvalidOptionError for no cases, a run that is not a function, or a bad option (it rejects).
 * @example const [serial, pooled] = await measureCpuInTurns([["serial", runSerial], ["pool", runPooled]], { repeats: 5 });
 */
export async function measureCpuInTurns(cases: readonly (readonly [label: string, run: () => unknown])[], options: MeasureOptions = {}): Promise<CpuTiming<unknown>[]> {
  checkKnownOptions(options, ["repeats", "warmup"], "`measureCpuInTurns`");
  const repeats = checkInteger("`repeats`", options.repeats ?? 3, { min: 1, max: 100_000 });
  const warmup = checkInteger("`warmup`", options.warmup ?? 1, { min: 0, max: 100_000 });
  if (!Array.isArray(cases) || cases.length === 0 || cases.some((c) => !Array.isArray(c) || typeof c[1] !== "function")) {
    throw new InvalidOptionError("`cases`", "Expected `cases` of `measureCpuInTurns` to be a non-empty list of [label, run] pairs, run a function.");
  }
  const runs = cases.map(() => ({ samplesMs: [] as number[], cpuMs: [] as (number | null)[], otherCores: [] as (number | null)[], value: undefined as unknown }));
  const bar = progress(`${cases.length} cases in turns`, cases.length * (warmup + repeats));
  bar.note(`each: ${warmup > 0 ? `${warmup} warm-up + ` : ""}${repeats} timed`);
  try {
    for (const [, run] of cases) {
      for (let i = 0; i < warmup; i++) {
        await run();
        bar.tick();
      }
    }
    for (let round = 0; round < repeats; round++) {
      for (let k = 0; k < cases.length; k++) {
        const which = (round + k) % cases.length;
        const one = await runWithCpu(cases[which]![1]);
        const into = runs[which]!;
        into.samplesMs.push(one.ms);
        into.cpuMs.push(one.cpuMs);
        into.otherCores.push(one.otherCores);
        into.value = one.value;
        bar.tick();
      }
    }
  } finally {
    bar.done();
  }
  return runs.map((r) => ({ ...summarize(r.samplesMs), ...r }));
}
