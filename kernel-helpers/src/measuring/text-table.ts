/**
 * The one plain-text table printer of the project: the notebooks' tables
 * (`tableText`), the runner's summary and the bench report all use it.
 * No imports, so scripts can load the compiled file on its own
 * (`kernel-helpers/dist/text-table.js`).
 */

/** How a column is aligned: text reads best left, numbers right. */
export type Align = "left" | "right";

/** Options of {@link textTable}. */
export interface TextTableOptions {
  /** Alignment per column. Default: every column right-aligned. */
  align?: readonly Align[];
  /** A line above the table. */
  caption?: string;
}

/**
 * Renders a header and rows of already-formatted cells as aligned plain text,
 * with a dashed rule under the header. Trailing spaces are trimmed.
 *
 * @param header - the column titles.
 * @param rows - one array of cell texts per row (missing cells print empty).
 * @example textTable(["notebook", "seconds"], [["01-pool", "57.1"]], { align: ["left", "right"] })
 */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[], options: TextTableOptions = {}): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]): string =>
    widths
      .map((w, i) => {
        const cell = cells[i] ?? "";
        return options.align?.[i] === "left" ? cell.padEnd(w) : cell.padStart(w);
      })
      .join("  ")
      .trimEnd();
  const lines = [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)];
  return (options.caption ? [options.caption, ...lines] : lines).join("\n");
}
