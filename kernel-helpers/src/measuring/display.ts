/**
 * Rich output for notebooks: one output carrying several mime types.
 *
 * tslab's public `display.*` sends one mime type per output, but a plotly
 * figure needs a bundle (the plotly mime type for JupyterLab and VS Code,
 * HTML for classic Notebook and nbconvert, plain text as a fallback). tslab's
 * internal display writer accepts a bundle; this module is the one place that
 * reaches for it. Outside a kernel (scripts, tests) the plain text is printed.
 */
import { randomBytes } from "node:crypto";

/** A mime bundle: mime type -> content (string, or JSON for `+json` types). */
export type MimeBundle = Record<string, string | object>;

interface DisplayMessage {
  data: MimeBundle;
  metadata: Record<string, unknown>;
  transient: { display_id?: string };
}
type DisplayWriter = (message: DisplayMessage, update: boolean) => void;

/**
 * Finds tslab's display writer. It is looked up among loaded modules rather
 * than required, so it is the instance of the kernel that is running (which
 * may be a global tslab install, not the one in this repository).
 */
function findDisplayWriter(): DisplayWriter | undefined {
  for (const [file, module] of Object.entries(require.cache)) {
    if (!/[\\/]tslab[\\/]dist[\\/]jupyter\.js$/.test(file)) continue;
    const writer = (module?.exports as { lastWriteDisplayData?: DisplayWriter } | undefined)?.lastWriteDisplayData;
    if (typeof writer === "function") return writer;
  }
  return undefined;
}

/** True when running inside a tslab kernel that can show rich output. */
export function inKernel(): boolean {
  return findDisplayWriter() !== undefined;
}

/** Options of {@link displayBundle}. */
export interface DisplayOptions {
  /** Give the output an id so it can be replaced later with `update: true`. */
  displayId?: string;
  /** Replace the output shown earlier with the same `displayId`. */
  update?: boolean;
}

/**
 * Shows one output carrying every mime type of `bundle`; the front end picks
 * the richest it can render. Outside a kernel, prints `text/plain`.
 *
 * @param bundle - must contain `text/plain`.
 * @returns true if it went to a notebook, false if it was printed.
 */
export function displayBundle(bundle: MimeBundle, options: DisplayOptions = {}): boolean {
  const writer = findDisplayWriter();
  if (!writer) {
    if (!options.update) console.log(String(bundle["text/plain"] ?? ""));
    return false;
  }
  const transient = options.displayId ? { display_id: options.displayId } : {};
  try {
    writer({ data: bundle, metadata: {}, transient }, options.update === true);
  } catch (error) {
    // An update (e.g. a progress line) that cannot be sent right now is
    // dropped: the next one replaces it anyway. A new output is not.
    if (options.update) return false;
    throw error;
  }
  return true;
}

/** A fresh id for {@link DisplayOptions.displayId}. */
export function newDisplayId(): string {
  return randomBytes(8).toString("hex");
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** JSON that is safe inside a `<script>` element (no `</script>` can end it early). */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}
