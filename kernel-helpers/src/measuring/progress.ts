/**
 * Progress that updates in place: one output line in a notebook (replaced on
 * each update), one rewritten line on a terminal, and occasional lines when
 * output goes to a file or pipe.
 */
import { displayBundle, inKernel, newDisplayId } from "./display";
import { checkInteger } from "../primitives/validate";

/** A progress line created by {@link progress}. */
export interface Progress {
  /** Marks `count` more steps done (default 1) and redraws. */
  tick(count?: number): void;
  /** Sets the number of steps done (for callbacks that report a running total). */
  set(done: number): void;
  /** Sets the text after the counter, e.g. the item being worked on. */
  note(text: string): void;
  /** Marks everything done and shows the final line with the elapsed time. */
  done(): void;
}

function bar(done: number, total: number, width = 20): string {
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return "█".repeat(filled) + "░".repeat(width - filled);
}

/**
 * Starts a progress line for `total` steps.
 *
 * @param label - what is being done, e.g. "plain loop, pooled".
 * @param total - the number of steps (an integer ≥ 0).
 * @example const p = progress("tasks", 16); ...; p.tick(); ...; p.done();
 */
export function progress(label: string, total: number): Progress {
  checkInteger("`total`", total, { min: 0 });
  const start = performance.now();
  const notebook = inKernel();
  const tty = !notebook && process.stderr.isTTY === true;
  const displayId = newDisplayId();
  let done = 0;
  let extra = "";
  let lastPrinted = -1;
  let shown = false;
  let lastDrawMs = 0;
  const line = (): string => {
    const seconds = ((performance.now() - start) / 1000).toFixed(1);
    return `${label}: ${bar(done, total)} ${done}/${total}  ${seconds} s${extra ? `  ${extra}` : ""}`;
  };
  const draw = (final: boolean): void => {
    if (notebook) {
      // tslab sends each output message without waiting for the previous one;
      // hundreds of updates in a burst make its socket throw "busy writing".
      // Redraw at most every 150 ms (the final state is always drawn).
      const now = performance.now();
      if (shown && !final && now - lastDrawMs < 150) return;
      lastDrawMs = now;
      displayBundle({ "text/plain": line() }, { displayId, update: shown });
      shown = true;
    } else if (tty) {
      process.stderr.write(`\r${line()}${final ? "\n" : ""}`);
    } else {
      // Not a terminal: print at most about ten lines per progress.
      const decile = total === 0 ? 10 : Math.floor((done / total) * 10);
      if (final || decile > lastPrinted) {
        lastPrinted = decile;
        process.stderr.write(`${line()}\n`);
      }
    }
  };
  draw(false);
  return {
    tick(count = 1) {
      done = Math.min(total, done + count);
      draw(false);
    },
    set(count: number) {
      done = Math.max(0, Math.min(total, count));
      draw(false);
    },
    note(text: string) {
      extra = text;
      draw(false);
    },
    done() {
      done = total;
      draw(true);
    },
  };
}
