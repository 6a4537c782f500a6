#!/usr/bin/env node
// `kernel-helpers-worker`: starts a worker host for cluster pools (see `--help`).
// This committed shim exists before the build, so that `npm ci` links the command;
// the command itself is compiled into dist/cluster/worker-cli.js by `npm run build`.
'use strict';

const path = require('node:path');

const compiled = path.join(__dirname, '..', 'dist', 'cluster', 'worker-cli.js');
let cli;
try {
  cli = require(compiled);
} catch (error) {
  if (error && error.code === 'MODULE_NOT_FOUND' && String(error.message).includes(compiled)) {
    console.error('kernel-helpers-worker: kernel-helpers is not built yet: run `npm run build` (or `npm run setup`) in the repository first.');
    process.exit(1);
  }
  throw error;
}
cli.runWorkerCli();
