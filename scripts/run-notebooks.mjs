#!/usr/bin/env node
// @ts-check
/**
 * Set up everything the notebooks need and execute them headless.
 *
 *   npm run notebooks [-- --cores 1,2,4 --scale quick --only 01,03 --out results --timeout 1800]
 *   npm run setup                  (= --setup-only)
 *   npm run kernel:install-user    (= --setup-only --install-user)
 *
 * Node built-ins only, so that it runs on a fresh clone before `npm install`.
 * This file only wires up the modules in scripts/runner/:
 *   cli.js         the command line, checked against kernel-helpers/src/knobs.json
 *   children.js    child processes and the signals that stop them
 *   discovery.js   what is there (npm packages, Jupyter, kernelspec, Chromium)
 *   setup-plan.js  which set-up steps will run, from what was found (pure)
 *   setup.js       the set-up steps
 *   execute.js     executing one notebook (scripts/execute_notebook.py, then nbconvert)
 *   report.js      the per-run lines, the summary table and the failures
 */

import children_ from './runner/children.js';
import cli from './runner/cli.js';
import execute from './runner/execute.js';
import paths from './runner/paths.js';
import report from './runner/report.js';
import setupModule from './runner/setup.js';

const { ChildProcesses, StoppedError, exitStatusFor } = children_;
const { SetupError, setup } = setupModule;

/**
 * @param {import('./runner/cli.js').Options} opts
 * @param {import('./runner/discovery.js').Candidate} jupyter
 * @param {InstanceType<typeof ChildProcesses>} children
 * @returns {Promise<number>} exit status
 */
async function runAll(opts, jupyter, children) {
  const notebooks = cli.findNotebooks(paths.NOTEBOOK_DIR, opts.only);
  console.log(report.formatRunHeader({ ...opts, notebooks: notebooks.length }));
  /** @type {import('./runner/execute.js').RunRecord[]} */
  const records = [];
  let aborted = '';
  outer: for (const cores of opts.cores) {
    for (const nb of notebooks) {
      const record = await execute.runNotebook(children, jupyter, nb, cores, opts);
      records.push(record);
      if (children.stopSignal) break outer;
      aborted = execute.abortReason(record);
      if (aborted) break outer;
    }
  }
  const summary = report.formatSummary(records);
  if (summary) console.log(summary);
  const stopSignal = children.stopSignal;
  const outcome = report.formatOutcome(records, { stopSignal, exitStatus: exitStatusFor(stopSignal ?? ''), aborted });
  console.log(outcome.text);
  return outcome.status;
}

/** @param {InstanceType<typeof ChildProcesses>} children @returns {Promise<number>} exit status */
async function main(children) {
  const rules = cli.readKnobRules(paths.KNOBS_FILE);
  /** @type {import('./runner/cli.js').Options} */
  let opts;
  try {
    opts = cli.parseCommandLine(process.argv.slice(2), { rules });
    if (opts.help) {
      console.log(cli.helpText(rules));
      return 0;
    }
    if (!opts.setupOnly) cli.findNotebooks(paths.NOTEBOOK_DIR, opts.only); // validate --only before the slow setup
  } catch (error) {
    if (error instanceof cli.UsageError) {
      console.error(`✗ ${error.message}\n  (node scripts/run-notebooks.mjs --help for usage)`);
      return 2;
    }
    throw error;
  }
  try {
    const jupyter = await setup(opts, children);
    children.throwIfStopped();
    if (opts.setupOnly) return 0;
    return await runAll(opts, jupyter, children);
  } catch (error) {
    if (error instanceof SetupError) {
      console.error(`✗ ${error.message}`);
      return children.stopSignal ? exitStatusFor(children.stopSignal) : 1;
    }
    throw error;
  }
}

const children = new ChildProcesses({ cwd: paths.ROOT });
children.handleSignals();
main(children).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    if (error instanceof StoppedError) {
      // Stopped between steps: exit now, ending any quiet look-up still under way.
      console.log(`✗ ${error.message}`);
      process.exit(exitStatusFor(error.signal));
    }
    console.error(error);
    process.exitCode = 1;
  },
);
