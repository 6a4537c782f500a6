/** Where notebooks and scripts save what they measure. */
import fs from "node:fs";
import path from "node:path";

/**
 * The folder for saved results: `$RESULTS_DIR` when set (the runner sets it
 * to its `--out` folder), else `results/` at the root of this repository
 * (found from the current folder, e.g. `notebooks/`), else `./results`.
 *
 * @param sub - a sub-folder, e.g. "bench"; created if missing.
 */
export function resultsDir(sub = ""): string {
  let base = process.env["RESULTS_DIR"];
  if (!base) {
    let dir = process.cwd();
    for (;;) {
      if (fs.existsSync(path.join(dir, "kernel-helpers", "package.json"))) {
        base = path.join(dir, "results");
        break;
      }
      const parent = path.dirname(dir);
      if (parent === dir) {
        base = path.resolve("results");
        break;
      }
      dir = parent;
    }
  }
  const target = path.join(base, sub);
  fs.mkdirSync(target, { recursive: true });
  return target;
}
