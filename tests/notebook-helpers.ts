/**
 * Shared by the notebook tests: run notebooks through the real runner (as a
 * user would, `npm run notebooks -- ...`), read the executed copies, and find
 * processes a run left behind.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export const repoRoot = path.resolve(__dirname, "..");

/** One output of an executed notebook cell (the nbformat fields the tests read). */
export interface Output {
  output_type: "stream" | "display_data" | "execute_result" | "error";
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
}
export interface Cell {
  cell_type: "code" | "markdown" | "raw";
  source: string | string[];
  metadata: { tags?: string[] };
  outputs?: Output[];
}
export interface Notebook {
  cells: Cell[];
  metadata: { kernelspec?: { name?: string } };
}

const join = (text: string | string[] | undefined): string => (Array.isArray(text) ? text.join("") : (text ?? ""));

/** Every output of every code cell. */
export function outputs(notebook: Notebook): Output[] {
  return notebook.cells.flatMap((cell) => cell.outputs ?? []);
}

/**
 * Outputs that show an error to the user. Jupyter kernels usually send an
 * `error` output; tslab instead prints the error and its stack on stderr (and
 * marks the cell failed in its reply), so both kinds are collected.
 */
export function errorOutputs(notebook: Notebook): string[] {
  return outputs(notebook).flatMap((o) => {
    if (o.output_type === "error") return [`${o.ename}: ${o.evalue}`];
    const text = join(o.text);
    if (o.output_type === "stream" && o.name === "stderr" && /^\s*(\w*Error|Uncaught)\b.*|^\s+at .+\(.+:\d+:\d+\)$/m.test(text)) {
      return [text];
    }
    return [];
  });
}

/** The text a user sees: streams and text/plain of rich outputs, concatenated. */
export function visibleText(notebook: Notebook): string {
  return outputs(notebook)
    .map((o) => join(o.text) + join(o.data?.["text/plain"] as string | string[] | undefined))
    .join("\n");
}

/** Result of {@link runNotebooks}. */
export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
  outDir: string;
  marker: string;
  read(cores: number, name: string): Notebook;
  html(cores: number, name: string): string;
  /** Where the run's kernel wrote its own stdout and stderr (the runner gives it a log file, never its pipes). */
  kernelLog(cores: number, name: string): string;
}

/** The output folders that {@link runNotebooks} made in this test file, for {@link removeRunOutputs}. */
const outputFolders: string[] = [];

/**
 * Removes the output folders of this test file's runs (each run writes its
 * notebooks, HTML and kernel logs, 5-60 MB, under the temporary folder), so
 * that `npm test` leaves nothing behind. Call it in `afterAll`. With
 * `KH_KEEP_TEST_OUTPUT=1` they are kept, and their paths printed.
 */
export function removeRunOutputs(): void {
  const folders = outputFolders.splice(0);
  if (process.env["KH_KEEP_TEST_OUTPUT"] === "1") {
    if (folders.length > 0) process.stderr.write(`KH_KEEP_TEST_OUTPUT=1: kept ${folders.join(", ")}\n`);
    return;
  }
  for (const folder of folders) fs.rmSync(folder, { recursive: true, force: true });
}

/** A fresh temporary folder for a run's output, named `<prefix>XXXXXX`; {@link removeRunOutputs} removes it. */
export function runOutputFolder(prefix: string): string {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  outputFolders.push(folder);
  return folder;
}

/**
 * Runs `node scripts/run-notebooks.mjs` with the given flags into a fresh
 * temporary output folder (removed by {@link removeRunOutputs}). Every process of the run (kernel, workers) inherits
 * a unique environment marker, so {@link survivors} can find leftovers.
 * What the runner prints is safe to read here: only the runner writes to these
 * pipes (its executor and kernels have stdio of their own).
 */
export function runNotebooks(args: string[], timeoutMs = 300_000): RunResult {
  const outDir = runOutputFolder("nb-test-");
  const marker = randomBytes(8).toString("hex");
  const result = spawnSync(process.execPath, ["scripts/run-notebooks.mjs", ...args, "--out", outDir], {
    cwd: repoRoot,
    env: { ...process.env, KH_TEST_MARKER: marker },
    encoding: "utf8",
    timeout: timeoutMs,
    killSignal: "SIGTERM",
  });
  return {
    status: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    outDir,
    marker,
    read: (cores, name) =>
      JSON.parse(fs.readFileSync(path.join(outDir, `cores-${cores}`, `${name}.ipynb`), "utf8")) as Notebook,
    html: (cores, name) => fs.readFileSync(path.join(outDir, `cores-${cores}`, `${name}.html`), "utf8"),
    kernelLog: (cores, name) => path.join(outDir, `cores-${cores}`, `${name}.kernel.log`),
  };
}

/** PIDs of live processes whose environment carries `KH_TEST_MARKER=<marker>`. */
export function survivors(marker: string): number[] {
  const needle = `KH_TEST_MARKER=${marker}`;
  const found: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = fs.readFileSync(`/proc/${entry}/environ`, "latin1");
      if (environ.split("\0").includes(needle)) found.push(Number(entry));
    } catch {
      // the process ended while we looked, or is not ours to read
    }
  }
  return found;
}

/** The partial sum 4·Σ_{n<N} (-1)^n/(2n+1), computed here independently of kernel-helpers. */
export function referenceLeibniz(terms: number): number {
  let sum = 0;
  let sign = 1;
  for (let n = 0; n < terms; n++, sign = -sign) sum += sign / (2 * n + 1);
  return 4 * sum;
}

/** The Python that runs Jupyter, as Jupyter itself reports it (the `python3` on PATH may be another one). */
export function jupyterPython(): string {
  const found = spawnSync("jupyter", ["troubleshoot"], { encoding: "utf8" }).stdout ?? "";
  return /sys\.executable:\s*\n?\s*(\S+)/.exec(found)?.[1] ?? "/usr/bin/python3";
}

/** The JUPYTER_PATH under which Jupyter finds the project-local tslab kernelspec. */
export function jupyterPath(): string {
  return [path.join(repoRoot, ".jupyter-project", "share", "jupyter"), process.env["JUPYTER_PATH"]].filter(Boolean).join(path.delimiter);
}
