// @ts-check
/**
 * Where the runner finds things in this repository, and what it requires of the
 * machine. Constants only (computed from this file's location), no side effects.
 */
'use strict';

const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const NODE_MODULES = path.join(ROOT, 'node_modules');
const LOCAL_JUPYTER_PREFIX = path.join(ROOT, '.jupyter-project');
const LOCAL_JUPYTER_DATA = path.join(LOCAL_JUPYTER_PREFIX, 'share', 'jupyter');
const KERNEL_NAME = 'tslab';

module.exports = {
  ROOT,
  NOTEBOOK_DIR: path.join(ROOT, 'notebooks'),
  /** Runs one notebook with nbclient (run by Jupyter's Python). */
  EXECUTOR: path.join(ROOT, 'scripts', 'execute_notebook.py'),
  /** The one definition of the CORES and SCALE knobs, read before kernel-helpers is built. */
  KNOBS_FILE: path.join(ROOT, 'kernel-helpers', 'src', 'knobs.json'),
  /** The project's table printer, compiled by the set-up (no imports: loadable on its own). */
  TEXT_TABLE: path.join(ROOT, 'kernel-helpers', 'dist', 'measuring', 'text-table.js'),
  KERNEL_HELPERS_TSCONFIG: path.join(ROOT, 'kernel-helpers', 'tsconfig.json'),
  PACKAGE_LOCK: path.join(ROOT, 'package-lock.json'),
  NODE_MODULES,
  /** Not `npx tsc`: node_modules/.bin/tsc is claimed by both `typescript` and tslab's older bundled copy. */
  TSC: path.join(NODE_MODULES, 'typescript', 'bin', 'tsc'),
  LOCAL_JUPYTER_PREFIX,
  LOCAL_JUPYTER_DATA,
  KERNEL_NAME,
  LOCAL_KERNEL_JSON: path.join(LOCAL_JUPYTER_DATA, 'kernels', KERNEL_NAME, 'kernel.json'),
  /** What the kernelspec starts: npm's bin link, absolute, so it works from any cwd. */
  TSLAB_BIN: path.join(NODE_MODULES, '.bin', 'tslab'),
  /** tslab's CLI script, run with this very node for `tslab install`. */
  TSLAB_CLI: path.join(NODE_MODULES, 'tslab', 'bin', 'tslab'),
  /**
   * tslab's kernel server, which patches/tslab+1.0.22.patch (applied by patch-package on npm
   * install) changes to bind its sockets before using them; the patch leaves this marker in it.
   */
  TSLAB_SERVER_JS: path.join(NODE_MODULES, 'tslab', 'dist', 'jupyter.js'),
  TSLAB_PATCH_MARKER: 'patches/tslab+1.0.22.patch',
  PATCH_PACKAGE_CLI: path.join(NODE_MODULES, 'patch-package', 'index.js'),
  REQUIRED_NPM: ['tslab', 'workerpool', 'kernel-helpers'],
  REQUIRED_PY: ['nbclient', 'nbformat', 'nbconvert', 'jupyter_client', 'IPython'],
  PIP_PACKAGES: ['notebook', 'nbconvert', 'nbclient'],
  APT_PACKAGES: ['jupyter-notebook', 'jupyter-nbconvert', 'python3-nbclient', 'jupyter-client', 'python3-nbformat'],
  /** Where the browser tests look for Chromium, in order ($CHROMIUM_PATH first when set). */
  CHROMIUM_PATHS: ['/usr/bin/chromium', '/usr/bin/chromium-browser'],
};
