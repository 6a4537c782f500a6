/**
 * The notebooks' structure as lessons, read from the committed .ipynb files (no kernel): short cells, Takeaways and Exercises with hidden solutions, the noise check at both ends, no outputs committed, and no timing or rate figure in prose or in printed text that the run did not compute.
 */
import fs from "node:fs";
import path from "node:path";

const NOTEBOOK_DIR = path.join(__dirname, "..", "..", "notebooks");

interface Cell {
  cell_type: "code" | "markdown" | "raw";
  source: string | string[];
  metadata: { tags?: string[]; jupyter?: { source_hidden?: boolean } };
  outputs?: unknown[];
}
interface Notebook {
  cells: Cell[];
  metadata: { kernelspec?: { name?: string } };
}

const files = fs.readdirSync(NOTEBOOK_DIR).filter((f) => /^\d\d-.*\.ipynb$/.test(f)).sort();
const load = (file: string): Notebook => JSON.parse(fs.readFileSync(path.join(NOTEBOOK_DIR, file), "utf8")) as Notebook;
const text = (cell: Cell): string => (Array.isArray(cell.source) ? cell.source.join("") : cell.source);
const lineCount = (cell: Cell): number => text(cell).trim().split("\n").length;

/**
 * A timing or rate written as a number: "9 ms", "1.5 s", "26,000/s", "2.1×", "23 %", "3 µs", "1,050 ms",
 * "4,496x faster", "200 MB/s". Sizes (KiB, MiB), counts (cores, tasks) and plain numbers are not figures.
 */
const FIGURE = /(?<![\w$.])\d[\d,.]*\s*(?:ms|µs|us|ns|s|sec|seconds?|minutes?|min|×(?=\s*(?:faster|slower|speed|the|as|$|[.,;:)]))|x(?= faster| slower| speed)|%|percent|\/s|(?:ops|items|tasks|jobs|round trips)\/s|per second|[KMG]i?B\/s)(?![\w])/g;

/**
 * Lesson constants and statements that are not measurements, allowed in prose. Each entry: the exact
 * phrase (matched case-sensitively in the text with the figure), and why it is not a measured figure.
 */
const ALLOWED: { phrase: RegExp; why: string }[] = [
  { phrase: /\b10 s\b.{0,60}(pause|sleep|cool)|(pause|sleep|cool).{0,60}\b10 s\b/, why: "the original's 10 s cool-down pause between runs (a setting)" },
  { phrase: /\b(at most|under|within|about|takes? about|budget of) \d+ (s|seconds|minutes?)\b.{0,40}(full|quick|scale|run|notebook)/i, why: "a notebook's own run-time budget, stated as a setting" },
  { phrase: /\b\d+\s?% (of the (time|work|tasks))? ?(is|are) serial\b|\bserial fraction\b/i, why: "Amdahl examples with a stated, not measured, fraction" },
  { phrase: /\b100\s?%/, why: "100 % as a bound (all of the work, a full core), not a measurement" },
  { phrase: /(at least|by at least|threshold of|more than) \d+\s?% (faster|slower|apart|difference)/i, why: "a threshold the notebook applies to its own numbers (a setting)" },
  { phrase: /\b(0|1|2)\s?×|\b(1|2|4|8|16)× (the|as)/, why: "ideal scaling factors (2 workers: at most 2×), not measurements" },
  { phrase: /timeout(Ms)?:? ?\d|\d+ ?ms timeout|timeoutMs/i, why: "a timeout setting" },
  { phrase: /\b(150|200) ms\b.{0,80}(tslab|redraw|throttl|abort)|(tslab|redraw|throttl|abort).{0,80}\b(150|200) ms\b/, why: "tslab's fixed 200 ms abort window and the 150 ms redraw throttle (settings)" },
];

/** Figures in `source` that no allowlist entry explains. */
function unexplainedFigures(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(FIGURE)) {
    const at = match.index ?? 0;
    const context = source.slice(Math.max(0, at - 100), at + match[0].length + 100).replace(/\s+/g, " ");
    if (ALLOWED.some((a) => a.phrase.test(context))) continue;
    found.push(`"${match[0]}" in "…${source.slice(Math.max(0, at - 50), at + match[0].length + 20).replace(/\s+/g, " ")}…"`);
  }
  return found;
}

/** Markdown without code spans, code blocks and math, where numbers are code or formulas, not claims. */
function prose(markdown: string): string {
  return markdown
    .replace(/```[\s\S]*?```/g, " ")
    .replace(/`[^`\n]*`/g, " ")
    .replace(/\$\$[\s\S]*?\$\$/g, " ")
    .replace(/\$[^$\n]*\$/g, " ");
}

/** The literal text of a code cell's strings (comments dropped, `${...}` holes blanked): what it prints as written. */
function literalText(code: string): string {
  const withoutComments = code.replace(/\/\*[\s\S]*?\*\//g, " ").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
  const literals = withoutComments.match(/`(?:\\[\s\S]|[^`\\])*`|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'/g) ?? [];
  return literals.map((l) => l.replace(/\$\{(?:[^{}]|\{[^{}]*\})*\}/g, " ⟨value⟩ ")).join("\n");
}

test("there are notebooks 00 to 05, in order", () => {
  const numbers = files.map((f) => f.slice(0, 2));
  for (const n of ["00", "01", "02", "03", "04", "05"]) expect(numbers).toContain(n);
});

describe.each(files)("%s", (file) => {
  const notebook = load(file);
  const code = notebook.cells.filter((c) => c.cell_type === "code");
  const markdown = notebook.cells.filter((c) => c.cell_type === "markdown");
  const headingIndex = (pattern: RegExp): number =>
    notebook.cells.findIndex((c) => c.cell_type === "markdown" && text(c).split("\n").some((l) => /^#+ /.test(l) && pattern.test(l)));

  test("is committed without outputs, for the tslab kernel, with a parameters cell that starts nothing", () => {
    expect(code.flatMap((c) => c.outputs ?? [])).toEqual([]);
    expect(notebook.metadata.kernelspec?.name).toBe("tslab");
    const parameters = code.filter((c) => c.metadata.tags?.includes("parameters"));
    expect(parameters).toHaveLength(1);
    expect(text(parameters[0]!)).not.toMatch(/new (Pool|Process)\b|Manager\.start|withPool/);
  });

  test("has short code cells: median at most 8 lines, none over 25", () => {
    const lengths = code.map(lineCount).sort((a, b) => a - b);
    const median = lengths.length % 2 ? lengths[(lengths.length - 1) / 2]! : (lengths[lengths.length / 2 - 1]! + lengths[lengths.length / 2]!) / 2;
    const long = code.filter((c) => lineCount(c) > 25).map((c) => `${lineCount(c)} lines: ${text(c).split("\n")[0]}`);
    expect({ median: median <= 8 ? "≤ 8" : median, long }).toEqual({ median: "≤ 8", long: [] });
  });

  test("ends with Takeaways (3 to 5 bullets) and Exercises with hidden, runnable solutions", () => {
    const takeaways = headingIndex(/takeaways/i);
    const exercises = headingIndex(/exercises/i);
    expect({ takeaways: takeaways >= 0, exercises: exercises > takeaways }).toEqual({ takeaways: true, exercises: true });
    const bullets = text(notebook.cells[takeaways]!).split("\n").filter((l) => /^\s*[-*] /.test(l)).length;
    expect(bullets).toBeGreaterThanOrEqual(3);
    expect(bullets).toBeLessThanOrEqual(5);
    const solutions = notebook.cells.slice(exercises).filter((c) => c.cell_type === "code" && c.metadata.jupyter?.source_hidden === true);
    expect(solutions.length).toBeGreaterThanOrEqual(2);
  });

  test("checks whether the machine is quiet at the start and again at the end", () => {
    const calls = code.map(text).join("\n");
    expect(calls).toMatch(/showQuiet\(\)/);
    expect(calls).toMatch(/showQuiet\(\s*\w+\s*\)/);
  });

  test("has no timing or rate figure in its prose that the run did not compute", () => {
    expect(markdown.flatMap((c) => unexplainedFigures(prose(text(c))))).toEqual([]);
  });

  test("prints no timing or rate figure written into the code as text", () => {
    expect(code.flatMap((c) => unexplainedFigures(literalText(text(c))))).toEqual([]);
  });
});

describe("the scanner itself", () => {
  test("finds figures written in prose and in printed strings, and skips computed values, code and allowed constants", () => {
    expect(unexplainedFigures(prose("Python takes about 1,050 ms per task; `N = 5,000,000`."))).toEqual([expect.stringContaining('"1,050 ms"')]);
    expect(unexplainedFigures(prose("Atomics is 4,496x faster, at 26,000/s and 23 %."))).toHaveLength(3);
    expect(unexplainedFigures(prose("With 2 workers the ideal is 2× the serial speed."))).toEqual([]);
    expect(unexplainedFigures(literalText("console.log(`took ${ms.toFixed(1)} ms`); // about 9 ms"))).toEqual([]);
    expect(unexplainedFigures(literalText('console.log("Pool(2) starts in about 9 ms");'))).toEqual([expect.stringContaining('"9 ms"')]);
    expect(unexplainedFigures(prose("We use 16 tasks on 4 cores with N = 5,000,000 terms and 64 MiB buffers."))).toEqual([]);
    expect(unexplainedFigures(literalText("console.log(`10 × ${factor} = ${10 * factor}`);"))).toEqual([]);
    expect(unexplainedFigures(prose("A strategy wins when it is at least 10 % faster than serial."))).toEqual([]);
  });
});
