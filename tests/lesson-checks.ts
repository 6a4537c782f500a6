/**
 * Checks of a notebook as a lesson, shared by the notebook tests: sentences
 * it printed choose their words from the numbers printed beside them, with
 * the library's own rules (kernel-helpers' wording and scheduling
 * thresholds: "efficiency 0.59 (modest)", never "efficiency 0.59 (close to
 * ideal)"), and the committed file is clean.
 */
import fs from "node:fs";
import path from "node:path";
import { balanceWord, costWord, efficiencyWord } from "kernel-helpers";
import { repoRoot, type Notebook } from "./notebook-helpers";

/** A claim whose word does not match its number: what was printed and what the rule gives. */
export interface WordingMismatch {
  printed: string;
  expected: string;
}

/**
 * Every "efficiency E (WORD)", "had Z× the mean load): WORD" and "a WORD cost"
 * claim in `text` whose word differs from the rule's word for its number.
 * @returns the mismatches, and how many claims were checked (a test should
 * expect some, or the pattern has drifted from the notebook's sentences).
 */
export function wordingMismatches(text: string): { checked: number; mismatches: WordingMismatch[] } {
  const mismatches: WordingMismatch[] = [];
  let checked = 0;
  /** The words a rule gives to any value that prints as `printed` with two decimals (0.40 may be 0.3996). */
  const wordsNear = (printed: number, rule: (value: number) => string): Set<string> =>
    new Set([printed - 0.005, printed, printed + 0.005].map(rule));
  for (const m of text.matchAll(/efficiency (-?\d+\.\d+) \(([a-z ]+)\)/g)) {
    checked++;
    const words = wordsNear(Number(m[1]), efficiencyWord);
    if (!words.has(m[2]!)) mismatches.push({ printed: m[0], expected: [...words].join(" or ") });
  }
  for (const m of text.matchAll(/: ([a-z ]+) \(the busiest worker had (\d+\.\d+)× the mean load\)/g)) {
    checked++;
    const words = wordsNear(Number(m[2]), balanceWord);
    if (!words.has(m[1]!)) mismatches.push({ printed: m[0], expected: [...words].join(" or ") });
  }
  for (const m of text.matchAll(/costs (?:(\d+) % of|about half of|under 1 % of|(\d+\.\d)× as long as) that on top: an? ([a-z]+) cost/g)) {
    checked++;
    // the share as printed, and how far the unrounded share may lie from it
    const [share, within] =
      m[1] !== undefined ? [Number(m[1]) / 100, 0.005] : m[2] !== undefined ? [Number(m[2]), 0.05] : m[0].includes("half") ? [0.5, 0.05] : [0.005, 0.005];
    const words = new Set([share - within, share, share + within].map(costWord));
    if (!words.has(m[3]!)) mismatches.push({ printed: m[0], expected: [...words].join(" or ") });
  }
  return { checked, mismatches };
}

/**
 * What is wrong with the committed notebook `notebooks/<name>.ipynb`: outputs
 * committed, another kernel than tslab, not exactly one parameters cell, or
 * fewer than `solutions` hidden solution cells. Empty when all is well.
 */
export function committedNotebookProblems(name: string, solutions = 2): string[] {
  const committed = JSON.parse(fs.readFileSync(path.join(repoRoot, "notebooks", `${name}.ipynb`), "utf8")) as Notebook;
  const problems: string[] = [];
  if (committed.metadata.kernelspec?.name !== "tslab") problems.push(`kernelspec ${committed.metadata.kernelspec?.name}, not tslab`);
  const withOutputs = committed.cells.filter((c) => c.cell_type === "code" && (c.outputs ?? []).length > 0).length;
  if (withOutputs > 0) problems.push(`${withOutputs} code cell(s) committed with outputs`);
  const parameters = committed.cells.filter((c) => c.metadata.tags?.includes("parameters")).length;
  if (parameters !== 1) problems.push(`${parameters} parameters cells, not 1`);
  const hidden = committed.cells.filter((c) => (c.metadata as { jupyter?: { source_hidden?: boolean } }).jupyter?.source_hidden === true).length;
  if (hidden < solutions) problems.push(`${hidden} hidden solution cell(s), expected at least ${solutions}`);
  return problems;
}
