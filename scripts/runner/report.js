// @ts-check
/**
 * The runner's report: one line per notebook run, the summary table (printed
 * with the project's one table printer, kernel-helpers' textTable), what
 * failed and where, and the closing line. Functions return text; the entry
 * script prints it.
 */
'use strict';

const fs = require('node:fs');
const paths = require('./paths');
const { rel, plural } = require('./output');

/**
 * @typedef {import('./execute').RunRecord} RunRecord
 * @typedef {typeof import('../../kernel-helpers/src/measuring/text-table').textTable} TextTable
 */

/**
 * kernel-helpers' compiled table printer. Loaded on first use, not on import: the set-up
 * builds kernel-helpers before any report is printed.
 * @returns {TextTable}
 */
function textTable() {
  return /** @type {{ textTable: TextTable }} */ (require(paths.TEXT_TABLE)).textTable;
}

/** @param {RunRecord} r @param {string} cwd @returns {string} the files a run wrote, as paths to type */
const outputsOf = (r, cwd) =>
  [r.ipynb, r.html].flatMap((p) => (p ? [rel(p, cwd)] : [])).join(', ');

/**
 * @param {{ notebooks: number, cores: number[], scale: string, timeout: number, out: string }} run
 * @param {string} [cwd]
 * @returns {string} e.g. "Running 5 notebooks × cores 1,2 (scale=quick, timeout 1800 s/cell) → results"
 */
function formatRunHeader({ notebooks, cores, scale, timeout, out }, cwd = process.cwd()) {
  const limit = timeout ? `timeout ${timeout} s/cell` : 'timeout none';
  return `Running ${plural(notebooks, 'notebook')} × cores ${cores.join(',')} (scale=${scale}, ${limit}) → ${rel(out, cwd)}`;
}

/**
 * @param {RunRecord} r
 * @param {string} [cwd]
 * @returns {string} e.g. "✓ [cores=1] 01-pool: ok in 6.4 s → results/cores-1/01-pool.ipynb, results/cores-1/01-pool.html"
 */
function formatRunLine(r, cwd = process.cwd()) {
  const outputs = outputsOf(r, cwd);
  return `${r.status === 'ok' ? '✓' : '✗'} [cores=${r.cores}] ${r.notebook}: ${r.status} in ${r.seconds.toFixed(1)} s${outputs ? ` → ${outputs}` : ''}`;
}

/**
 * @param {RunRecord[]} records
 * @param {string} [cwd]
 * @returns {string} the summary table after a blank line, or '' when nothing ran
 */
function formatSummary(records, cwd = process.cwd()) {
  if (records.length === 0) return '';
  const rows = records.map((r) => [r.notebook, String(r.cores), r.status, r.seconds.toFixed(1), outputsOf(r, cwd) || '-']);
  const table = textTable()(['notebook', 'cores', 'status', 'seconds', 'outputs'], rows, {
    align: ['left', 'left', 'left', 'right', 'left'],
    caption: 'Summary',
  });
  return `\n${table}`;
}

/**
 * What failed, where, and what to look at.
 * @param {RunRecord[]} failures
 * @param {string} aborted - why the run stopped early, or ''
 * @param {string} [cwd]
 * @returns {string}
 */
function formatFailures(failures, aborted, cwd = process.cwd()) {
  const lines = [`\n✗ ${plural(failures.length, 'notebook run')} failed:`];
  for (const f of failures) {
    const d = f.detail;
    const where = d?.cell
      ? `cell ${d.cell}${d.cells ? `/${d.cells}` : ''}`
      : d?.status === 'kernel-start' ? 'kernel start-up' : 'unknown cell';
    const what = d?.ename ? `${d.ename}: ${d.evalue ?? ''}` : (f.note ?? f.status);
    lines.push(`  ${f.notebook} (cores=${f.cores}) failed at ${where}: ${what}`.trimEnd());
    const traceback = (d?.traceback ?? []).flatMap((l) => l.split('\n')).filter((l) => l.trim());
    for (const l of traceback.slice(0, 8)) lines.push(`      ${l}`);
    if (traceback.length > 8) lines.push(`      … (${traceback.length - 8} more lines)`);
    if (f.ipynb) lines.push(`      partial notebook: ${rel(f.ipynb, cwd)}${f.html ? ` (${rel(f.html, cwd)})` : ''}`);
    if (f.kernelLog && fs.existsSync(f.kernelLog)) {
      const empty = fs.statSync(f.kernelLog).size === 0 ? ' (empty)' : '';
      lines.push(`      kernel log: ${rel(f.kernelLog, cwd)}${empty}`);
    }
  }
  if (aborted) lines.push(`  ${aborted}`);
  return lines.join('\n');
}

/**
 * The closing line(s) and the exit status of a run.
 * @param {RunRecord[]} records
 * @param {{ stopSignal: string | null, exitStatus: number, aborted: string, cwd?: string }} how
 *   exitStatus: the status for stopSignal
 * @returns {{ text: string, status: number }}
 */
function formatOutcome(records, { stopSignal, exitStatus, aborted, cwd = process.cwd() }) {
  if (stopSignal) return { text: `\n✗ interrupted by ${stopSignal}; the kernel was shut down`, status: exitStatus };
  const failures = records.filter((r) => r.status !== 'ok');
  if (failures.length) return { text: formatFailures(failures, aborted, cwd), status: 1 };
  return { text: `\n✓ ${plural(records.length, 'notebook run')} ok`, status: 0 };
}

module.exports = { formatRunHeader, formatRunLine, formatSummary, formatFailures, formatOutcome };
