/**
 * Benchmark runs on disk: a CSV of the records for spreadsheets and pandas,
 * and a JSON with the same records plus every sample, the parameters and the
 * machine summary, so runs from several machines can be read back and
 * compared.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { BenchRecord } from "./benchmark";
import type { MachineSummary } from "./machine";

/** A saved benchmark run, as written by {@link saveRun}. */
export interface SavedRun {
  /** Which notebook wrote it, e.g. "03-benchmarking". */
  notebook: string;
  /** When it was saved (ISO 8601, UTC). */
  savedAt: string;
  hostname: string;
  machine: MachineSummary;
  /** The knobs and derived settings of the run (CORES, SCALE, the grid...). */
  parameters: Record<string, unknown> & { CORES: number; SCALE: string };
  records: BenchRecord[];
}

const csvCell = (value: unknown): string => {
  if (value === null || value === undefined) return "";
  const text = typeof value === "object" ? JSON.stringify(value) : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

/**
 * Rows as CSV (RFC 4180): a header with every column any row has, one line
 * per row; cells with a comma, quote or line break are quoted.
 *
 * @example toCsv([{ a: 1, b: "x,y" }]) // 'a,b\n1,"x,y"\n'
 */
export function toCsv(rows: readonly Record<string, unknown>[]): string {
  const columns: string[] = [];
  for (const row of rows) for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
  const lines = [columns.map(csvCell).join(","), ...rows.map((row) => columns.map((c) => csvCell(row[c])).join(","))];
  return `${lines.join("\n")}\n`;
}

/** Where {@link saveRun} wrote a run. */
export interface SavedFiles {
  csvPath: string;
  jsonPath: string;
  /** The file name without extension: notebook, time, host and core count. */
  baseName: string;
}

/**
 * Writes a run as `<dir>/<notebook>-<time>-<host>-<CORES>cores.csv` (the
 * records, one value per cell: the samples are left out) and `.json` (the
 * whole {@link SavedRun}). The names carry the time, the host and the core
 * count, so runs never overwrite each other.
 *
 * @param dir - the folder, e.g. `resultsDir("bench")`.
 * @param run - what to save; `savedAt` and `hostname` are filled in.
 */
export function saveRun(dir: string, run: Omit<SavedRun, "savedAt" | "hostname">, now: Date = new Date()): SavedFiles {
  const hostname = os.hostname();
  const savedAt = now.toISOString();
  const baseName = `notebook-${run.notebook.split("-")[0]}-${savedAt.replace(/[:.]/g, "-")}-${hostname.replace(/[^\w.-]+/g, "_")}-${run.parameters.CORES}cores`;
  const csvPath = path.join(dir, `${baseName}.csv`);
  const jsonPath = path.join(dir, `${baseName}.json`);
  fs.writeFileSync(csvPath, toCsv(run.records.map(({ samplesMs: _samples, ...scalars }) => scalars)));
  const whole: SavedRun = { notebook: run.notebook, savedAt, hostname, machine: run.machine, parameters: run.parameters, records: run.records };
  fs.writeFileSync(jsonPath, JSON.stringify(whole, null, 1));
  return { csvPath, jsonPath, baseName };
}

/** One run found by {@link readSavedRuns}. */
export interface FoundRun {
  file: string;
  run: SavedRun;
  /** For legends: host, core count and time, e.g. "vm · 2 core(s) · 2025-01-31 12:00 UTC". */
  label: string;
}

/** What {@link readSavedRuns} found in a folder. */
export interface SavedRuns {
  runs: FoundRun[];
  /** Files with the right name that could not be read, and why. */
  skipped: { file: string; reason: string }[];
}

function checkRun(value: unknown, notebook: string): SavedRun {
  const run = value as Partial<SavedRun> | null;
  if (typeof run !== "object" || run === null) throw new Error("not a JSON object");
  if (run.notebook !== notebook) throw new Error(`written by ${JSON.stringify(run.notebook)}, not ${notebook}`);
  if (!Array.isArray(run.records) || run.records.length === 0) throw new Error("no records");
  if (!run.machine || !run.parameters || typeof run.savedAt !== "string") throw new Error("no machine, parameters or time");
  return run as SavedRun;
}

/**
 * Reads every run a notebook saved in `dir` (files `notebook-<NN>-*.json`),
 * oldest first. A file that is not such a run is skipped with the reason,
 * never fatal: copy JSON files from other machines into the folder and read
 * again to compare.
 */
export function readSavedRuns(dir: string, notebook: string): SavedRuns {
  const prefix = `notebook-${notebook.split("-")[0]}-`;
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.startsWith(prefix) && f.endsWith(".json")).sort() : [];
  const found: SavedRuns = { runs: [], skipped: [] };
  for (const file of files) {
    try {
      const run = checkRun(JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")), notebook);
      const label = `${run.hostname} · ${run.parameters.CORES} core(s) · ${run.savedAt.slice(0, 16).replace("T", " ")} UTC`;
      found.runs.push({ file, run, label });
    } catch (error) {
      found.skipped.push({ file, reason: (error as Error).message });
    }
  }
  return found;
}
