/**
 * A jest reporter that ends `npm test` with a short summary of what was
 * checked: one line per test file (the first sentence of its doc comment),
 * with its counts, and a plain closing line "Summary: N passed, N failed".
 */
const fs = require("node:fs");
const path = require("node:path");

/** The first sentence of a test file's leading doc comment, on one line. */
function purpose(file) {
  try {
    const head = fs.readFileSync(file, "utf8").slice(0, 2000);
    const doc = /\/\*\*([\s\S]*?)\*\//.exec(head);
    if (!doc) return "";
    const text = doc[1].replace(/^\s*\* ?/gm, "").replace(/\s+/g, " ").trim();
    const sentence = /^(.*?[.:])(\s|$)/.exec(text);
    return (sentence ? sentence[1] : text).slice(0, 150);
  } catch {
    return "";
  }
}

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const lines = results.testResults
      .map((r) => {
        const name = path.relative(process.cwd(), r.testFilePath);
        const mark = r.numFailingTests > 0 || r.testExecError ? "✗" : "✓";
        const counts = `${r.numPassingTests} passed${r.numFailingTests ? `, ${r.numFailingTests} failed` : ""}`;
        return `  ${mark} ${name.padEnd(34)} ${counts.padEnd(20)} ${purpose(r.testFilePath)}`;
      })
      .sort();
    console.log(`\nWhat was checked (${results.numTotalTestSuites} test files):\n${lines.join("\n")}`);
    console.log(`Summary: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests} skipped`);
  }
}

module.exports = SummaryReporter;
