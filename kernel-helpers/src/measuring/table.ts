/** Tables: rows of records (or a danfojs DataFrame) shown as HTML with a plain-text twin. */
import { displayBundle, escapeHtml } from "./display";
import { textTable } from "./text-table";

/** A table row: column name -> cell value. */
export type Row = Record<string, unknown>;

/** The part of a danfojs DataFrame used here. */
interface DataFrameLike {
  columns: string[];
  values: unknown[][];
}

function isDataFrame(value: unknown): value is DataFrameLike {
  const v = value as Partial<DataFrameLike> | null;
  return typeof v === "object" && v !== null && Array.isArray(v.columns) && Array.isArray(v.values);
}

/** Options of {@link showTable}. */
export interface TableOptions {
  /** A caption above the table. */
  caption?: string;
  /** Significant digits for non-integer numbers. Default 6. */
  digits?: number;
}

function formatCell(value: unknown, digits: number): string {
  if (typeof value === "number") {
    if (Number.isInteger(value)) return value.toLocaleString("en-US");
    return Number(value.toPrecision(digits)).toString();
  }
  if (value === null || value === undefined) return "";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** Turns rows or a DataFrame into column names and formatted cells. */
export function tableCells(table: readonly Row[] | DataFrameLike, digits = 6): { columns: string[]; cells: string[][] } {
  if (isDataFrame(table)) {
    return { columns: table.columns, cells: table.values.map((r) => r.map((v) => formatCell(v, digits))) };
  }
  const columns: string[] = [];
  for (const row of table) for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
  return { columns, cells: table.map((row) => columns.map((c) => formatCell(row[c], digits))) };
}

/** Renders a table as aligned plain text (numbers and text right-aligned, as in the HTML). */
export function tableText(table: readonly Row[] | DataFrameLike, options: TableOptions = {}): string {
  const { columns, cells } = tableCells(table, options.digits);
  return textTable(columns, cells, options.caption ? { caption: options.caption } : {});
}

/**
 * Shows rows (or a danfojs DataFrame) as an HTML table, with an aligned text
 * version for terminals and tests.
 *
 * @example showTable([{ case: "serial", seconds: 4.2 }, { case: "pool", seconds: 2.2 }], { caption: "Timings" });
 */
export function showTable(table: readonly Row[] | DataFrameLike, options: TableOptions = {}): void {
  if (!isDataFrame(table) && !Array.isArray(table)) {
    throw new TypeError("Expected an array of row objects or a danfojs DataFrame.");
  }
  const { columns, cells } = tableCells(table, options.digits);
  const head = columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("");
  const body = cells
    .map((r) => `<tr>${r.map((v) => `<td style="text-align:right">${escapeHtml(v)}</td>`).join("")}</tr>`)
    .join("\n");
  const caption = options.caption ? `<caption>${escapeHtml(options.caption)}</caption>` : "";
  displayBundle({
    "text/html": `<table class="kh-table">${caption}<thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`,
    "text/plain": tableText(table, options),
  });
}
