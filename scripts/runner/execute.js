// @ts-check
/**
 * Executing one notebook: scripts/execute_notebook.py (run by Jupyter's
 * Python) writes <out>/cores-<n>/<name>.ipynb with CORES=<n> SCALE=<scale>
 * RESULTS_DIR=<out> in the environment, the kernel's own output to
 * <name>.kernel.log beside it, and its status to a result file; then nbconvert
 * writes <name>.html.
 */
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const paths = require('./paths');
const { succeeded, describeFailure } = require('./children');
const { jupyterEnv } = require('./discovery');
const { warn, rel, indent } = require('./output');
const { formatRunLine } = require('./report');
const { readResultFile, ResultFileError } = require('../lib/result-file');
const { servicesFor } = require('./redis');

/**
 * @typedef {import('./children').ChildProcesses} ChildProcesses
 * @typedef {import('./discovery').Candidate} Candidate
 * @typedef {import('./cli').NotebookFile} NotebookFile
 * @typedef {{ status: string, cell?: number | null, cells?: number, ename?: string, evalue?: string,
 *             traceback?: string[], seconds?: number }} ExecStatus
 *   what execute_notebook.py writes with --status-json
 * @typedef {{ notebook: string, cores: number, status: string, seconds: number, ipynb: string | null,
 *             html: string | null, kernelLog: string | null, detail: ExecStatus | null, note?: string }} RunRecord
 */

/**
 * Reads the executor's status. A missing, empty or truncated file is a problem naming the
 * file (which is then kept, to be looked at); a good one is deleted.
 * @param {string} file
 * @returns {{ detail: ExecStatus, problem: null } | { detail: null, problem: string }}
 */
function readStatus(file) {
  try {
    const detail = readResultFile(file);
    if (typeof detail !== 'object' || detail === null || typeof (/** @type {{ status?: unknown }} */ (detail).status) !== 'string') {
      return { detail: null, problem: `result file ${file}: no "status" in it` };
    }
    fs.rmSync(file, { force: true });
    return { detail: /** @type {ExecStatus} */ (detail), problem: null };
  } catch (error) {
    if (error instanceof ResultFileError) return { detail: null, problem: error.message };
    throw error;
  }
}

/**
 * The record of one run, from how the executor ended and what its status file said.
 * @param {{ notebook: string, cores: number, seconds: number, exited: import('./children').RunResult,
 *           status: ReturnType<typeof readStatus>, stopped: boolean }} run
 * @returns {RunRecord}
 */
function recordOf({ notebook, cores, seconds, exited, status, stopped }) {
  const { detail, problem } = status;
  /** @type {RunRecord} */
  const record = { notebook, cores, status: 'failed', seconds, ipynb: null, html: null, kernelLog: null, detail };
  if (problem !== null) {
    record.note = `execute_notebook.py: ${succeeded(exited) ? 'exit status 0' : describeFailure(exited)}; ${problem}`;
  } else if (succeeded(exited)) {
    record.status = 'ok';
  } else if (detail.status !== 'ok') {
    record.status = detail.status;
  }
  if (stopped) record.status = 'interrupted';
  return record;
}

/**
 * Whether the run must stop after this record. Policy: a notebook that fails does not stop
 * the others. Each notebook runs in a fresh kernel, so the remaining ones are still
 * meaningful and one run reports every failure. The exception: a kernel that could not
 * start (or an executor that could not run at all) would fail the same way for everything
 * that follows, so stop there.
 * @param {RunRecord} record
 * @returns {string} why the run stops, or '' to go on
 */
function abortReason(record) {
  const hopeless =
    record.detail?.status === 'kernel-start' ||
    (!record.detail && record.status !== 'ok' && record.status !== 'html-failed' && record.status !== 'interrupted');
  return hopeless
    ? `stopped after ${record.notebook} (cores=${record.cores}): the kernel could not be started, so the remaining notebooks would fail the same way`
    : '';
}

/**
 * Executes one notebook with one core count, and exports its HTML.
 * @param {ChildProcesses} children
 * @param {Candidate} jupyter
 * @param {NotebookFile} nb
 * @param {number} cores
 * @param {{ out: string, scale: string, timeout: number }} opts
 * @returns {Promise<RunRecord>}
 */
async function runNotebook(children, jupyter, nb, cores, opts) {
  const outDir = path.join(opts.out, `cores-${cores}`);
  fs.mkdirSync(outDir, { recursive: true });
  const outNb = path.join(outDir, `${nb.name}.ipynb`);
  const outHtml = path.join(outDir, `${nb.name}.html`);
  const kernelLog = path.join(outDir, `${nb.name}.kernel.log`);
  const statusFile = path.join(os.tmpdir(), `run-notebooks-${process.pid}-${cores}-${nb.name}.json`);
  for (const stale of [outNb, outHtml, kernelLog, statusFile]) fs.rmSync(stale, { force: true });

  // Redis and worker hosts for a notebook that needs them (06), stopped right after it
  const services = await servicesFor(nb, cores);
  console.log(`[cores=${cores}] ${nb.name}: running…`);
  const started = performance.now();
  const exited = await children.run(
    jupyter.python,
    [paths.EXECUTOR, nb.file, outNb, '--kernel', paths.KERNEL_NAME, '--timeout', String(opts.timeout),
      '--cwd', paths.NOTEBOOK_DIR, '--status-json', statusFile, '--kernel-log', kernelLog],
    // RESULTS_DIR: where notebooks save data files (kernel-helpers' resultsDir()), e.g. <out>/bench.
    // 'forward': the executor's progress lines reach our stdout through a pipe of its own.
    { output: 'forward', env: jupyterEnv({ CORES: String(cores), SCALE: opts.scale, RESULTS_DIR: opts.out, ...services?.env }) },
  ).finally(() => services?.stop());
  const stopped = children.stopSignal !== null;
  const record = recordOf({
    notebook: nb.name, cores, seconds: (performance.now() - started) / 1000, exited, status: readStatus(statusFile), stopped,
  });
  record.ipynb = fs.existsSync(outNb) ? outNb : null;
  record.kernelLog = fs.existsSync(kernelLog) ? kernelLog : null;

  // HTML too for a failed run (not for an interrupted one): the partial notebook is worth a look.
  if (record.ipynb && !stopped) {
    const h = await children.run(
      jupyter.python,
      ['-m', 'nbconvert', '--to', 'html', '--output-dir', outDir, record.ipynb],
      { output: 'capture', env: jupyterEnv() },
    );
    if (succeeded(h) && fs.existsSync(outHtml)) record.html = outHtml;
    else if (children.stopSignal === null) {
      console.log(indent(h.stdout + h.stderr, 15));
      warn(`nbconvert --to html failed for ${rel(record.ipynb)} (${describeFailure(h)})`);
      if (record.status === 'ok') record.status = 'html-failed';
    }
  }
  console.log(formatRunLine(record));
  return record;
}

module.exports = { runNotebook, readStatus, recordOf, abortReason };
