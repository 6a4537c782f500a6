#!/usr/bin/env node
// @ts-check
/**
 * `npm run bench`: kernel-helpers' Pool measured side by side with raw workerpool,
 * piscina and Python's multiprocessing.Pool, in one run.
 *
 *   npm run bench                     (builds kernel-helpers, then the full run: about 70 s on 2 cores)
 *   node scripts/bench.mjs --quick    (short run, about 10 s; needs the build)
 *   node scripts/bench.mjs --help
 *   npm run bench -- --sweep [--workers 1,4,16] [--quick]
 *                                     (kernel-helpers threads and processes against Python's
 *                                     multiprocessing at 1, 4 and all cores: a few minutes)
 *
 * The measurements are functions in scripts/bench/ (round-trips.js, startup.js, heavy.js,
 * serial.js, python.js; CPU and noise accounting from kernel-helpers cpu.ts), each returning typed results; run.js calls them in turn
 * and report.js turns the results into the printed table and <out>/latest.json (plus a
 * timestamped copy <out>/bench-<time>.json; default out: results/bench). The sweep is
 * sweep.js (with primitives.js and bench_python.py --sweep), reported by sweep-report.js
 * (the ratio table, <out>/sweep-latest.json) and sweep-html.js (<out>/sweep-latest.html).
 *
 * Requires the BUILT kernel-helpers (kernel-helpers/dist): `npm run build`.
 */

import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
/** @type {typeof import('./bench/options.js')} */
const { HELP, ROOT, UsageError, parseArgs } = require('./bench/options.js');
/** @type {typeof import('./bench/format.js')} */
const { createLog } = require('./bench/format.js');
const log = createLog();

async function main() {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`bench: ${error.message}`);
    process.exitCode = 2;
    return;
  }
  if (options.help) {
    process.stdout.write(HELP);
    return;
  }
  const helpersDist = path.join(ROOT, 'kernel-helpers', 'dist', 'index.js');
  if (!fs.existsSync(helpersDist)) {
    console.error(`bench: ${path.relative(ROOT, helpersDist)} is missing: build kernel-helpers first (npm run build), or use npm run bench.`);
    process.exitCode = 1;
    return;
  }
  // these load kernel-helpers, hence only now
  /** @type {typeof import('./bench/python.js')} */
  const { stopPythons } = require('./bench/python.js');
  /** @type {typeof import('./bench/report.js')} */
  const { report, writeReportFiles } = require('./bench/report.js');
  /** @type {typeof import('./bench/run.js')} */
  const { runBench } = require('./bench/run.js');

  // Ctrl-C / kill: stop the Python child's process group (it is not in ours), then exit.
  for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
    process.once(signal, () => {
      stopPythons();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }

  if (options.sweep) {
    await sweep(options);
    return;
  }
  const results = await runBench(options, log);
  const { json, text } = report(results);
  const { latest, copy } = writeReportFiles(options.out, json);
  console.log(text);
  console.log(`Wrote ${path.relative(process.cwd(), latest) || latest} and ${path.basename(copy)} (${json.durationS.toFixed(1)} s)`);
}

/**
 * The sweep: runs it, prints its tables, writes its JSON and HTML.
 * @param {import('./bench/options.js').BenchOptions} options
 */
async function sweep(options) {
  /** @type {typeof import('./bench/sweep.js')} */
  const { runSweep } = require('./bench/sweep.js');
  /** @type {typeof import('./bench/sweep-report.js')} */
  const { sweepReport, writeSweepFiles } = require('./bench/sweep-report.js');
  /** @type {typeof import('./bench/sweep-html.js')} */
  const { sweepHtml } = require('./bench/sweep-html.js');
  const command = `node scripts/bench.mjs ${process.argv.slice(2).join(' ')}`.trim();
  const results = await runSweep(options, log, command);
  const { json, text } = sweepReport(results);
  const files = writeSweepFiles(options.out, json, sweepHtml(json, text));
  console.log(text);
  const shown = (/** @type {string} */ file) => path.relative(process.cwd(), file) || file;
  console.log(`Wrote ${shown(files.latestJson)}, ${shown(files.latestHtml)} and timestamped copies (${json.durationS.toFixed(1)} s)`);
}

main().catch((error) => {
  console.error(`bench: failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
