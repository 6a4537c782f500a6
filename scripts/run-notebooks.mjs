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
 *
 * Setup (idempotent, about a second when everything is in place):
 *   a. npm packages (npm ci / npm install when tslab, workerpool or kernel-helpers is missing)
 *   b. kernel-helpers build (tsc -b, incremental)
 *   c. a Jupyter whose Python imports nbclient, nbformat, nbconvert, jupyter_client, IPython;
 *      when missing: pip into the Python of a `jupyter` found on PATH (only if its package
 *      index answers within 20 s and the OS does not manage that Python), else apt-get as root
 *   d. the `tslab` kernelspec, project-local in .jupyter-project/share/jupyter/kernels/tslab
 *      (every Jupyter process started here gets that folder prepended to JUPYTER_PATH)
 *
 * Run: for each core count and notebook, scripts/execute_notebook.py (run by Jupyter's Python)
 * writes <out>/cores-<n>/<name>.ipynb with CORES=<n> SCALE=<scale> RESULTS_DIR=<out> in the environment, then
 * nbconvert writes <name>.html beside it.
 */

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NOTEBOOK_DIR = path.join(ROOT, 'notebooks');
const EXECUTOR = path.join(ROOT, 'scripts', 'execute_notebook.py');
const NODE_MODULES = path.join(ROOT, 'node_modules');
const LOCAL_JUPYTER_PREFIX = path.join(ROOT, '.jupyter-project');
const LOCAL_JUPYTER_DATA = path.join(LOCAL_JUPYTER_PREFIX, 'share', 'jupyter');
const KERNEL_NAME = 'tslab';
const LOCAL_KERNEL_JSON = path.join(LOCAL_JUPYTER_DATA, 'kernels', KERNEL_NAME, 'kernel.json');
/** What the kernelspec starts: npm's bin link, absolute, so it works from any cwd. */
const TSLAB_BIN = path.join(NODE_MODULES, '.bin', 'tslab');
/** tslab's CLI script, run with this very node for `tslab install`. */
const TSLAB_CLI = path.join(NODE_MODULES, 'tslab', 'bin', 'tslab');
const REQUIRED_NPM = ['tslab', 'workerpool', 'kernel-helpers'];
const REQUIRED_PY = ['nbclient', 'nbformat', 'nbconvert', 'jupyter_client', 'IPython'];
const PIP_PACKAGES = ['notebook', 'nbconvert', 'nbclient'];
const APT_PACKAGES = [
  'jupyter-notebook',
  'jupyter-nbconvert',
  'python3-nbclient',
  'jupyter-client',
  'python3-nbformat',
];
const APT_LINE =
  'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ' +
  APT_PACKAGES.join(' ');
const DEFAULT_TIMEOUT = 1800;
const SIGNAL_EXIT = /** @type {Record<string, number>} */ ({ SIGINT: 130, SIGTERM: 143, SIGHUP: 129 });

const HELP = `Usage: node scripts/run-notebooks.mjs [options]
       npm run notebooks -- [options]

Sets up npm packages, the kernel-helpers build, Jupyter and the tslab kernel, then
executes notebooks/NN-*.ipynb headless, once per core count, writing an executed
.ipynb and an .html per notebook to <out>/cores-<n>/.

Options:
  --cores LIST     core counts to run with, comma-separated whole numbers >= 1
                   (default: ${availableCores()}, this machine's available parallelism).
                   Each notebook sees its count as the CORES environment variable.
  --scale S        quick | full (default: full); seen by notebooks as SCALE
  --only LIST      only the notebooks with these number prefixes, e.g. 01 or 01,03
  --out DIR        output folder (default: results)
  --timeout SEC    per-cell timeout in seconds, whole number; 0 = no limit (default: ${DEFAULT_TIMEOUT})
  --setup-only     do the setup steps and stop (npm run setup)
  --with-browser   also make sure Chromium is there for the browser tests (npm test does this)
  --install-user   also register the tslab kernel for your user, so that Jupyter
                   started outside this project offers it (npm run kernel:install-user)
  -h, --help       show this help

Exit status: 0 all notebooks ran, 1 a notebook or the setup failed, 2 bad options,
130/143 interrupted (SIGINT/SIGTERM).`;

// ───────────────────────────── output helpers ─────────────────────────────

/** @param {string} msg */
const ok = (msg) => console.log(`✓ ${msg}`);
/** @param {string} msg */
const step = (msg) => console.log(`→ ${msg}`);
/** @param {string} msg */
const warn = (msg) => console.log(`! ${msg}`);
/** @param {number} ms */
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;
/** @param {string} p */
const rel = (p) => {
  const r = path.relative(process.cwd(), p);
  return r && !r.startsWith('..') && !path.isAbsolute(r) ? r : p;
};

class SetupError extends Error {}
class UsageError extends Error {}

function availableCores() {
  return typeof os.availableParallelism === 'function'
    ? os.availableParallelism()
    : os.cpus().length || 1;
}

// ───────────────────────────── children & signals ─────────────────────────────

/** Children still running; signals are forwarded to them. @type {Set<import('node:child_process').ChildProcess>} */
const children = new Set();
/** @type {NodeJS.Signals | null} */
let stopSignal = null;
let signalCount = 0;
let firstSignalAt = 0;

/** @param {NodeJS.Signals} sig */
function onSignal(sig) {
  signalCount += 1;
  stopSignal ??= sig;
  // Force (SIGKILL) only on a repeated signal at least 5 s after the first: a SIGKILLed executor
  // cannot kill its kernel (which runs in its own session), and its clean-up takes well under
  // a second, so impatient repeated Ctrl-Cs must not cut it short.
  if (signalCount === 1) firstSignalAt = Date.now();
  const force = signalCount >= 2 && Date.now() - firstSignalAt > 5000;
  if (signalCount === 1) {
    console.log(
      `\n! ${sig} received: stopping${children.size ? ' (waiting for the running step to shut its kernel down; send it again after 5 s to force)' : ''}…`,
    );
  } else if (force && children.size) {
    console.log(`! ${sig} received ${signalCount} times: killing the running step (SIGKILL)`);
  }
  for (const child of children) {
    // A Ctrl-C in the terminal has reached the child already (same process group); sending
    // it again is harmless: execute_notebook.py handles the first signal and ignores repeats.
    try {
      child.kill(force ? 'SIGKILL' : sig);
    } catch {
      /* already gone */
    }
  }
}
for (const sig of /** @type {NodeJS.Signals[]} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
  process.on(sig, () => onSignal(sig));
}
// `npm run` starts us through `sh -c`; when npm is killed (e.g. SIGTERM from a CI timeout) it
// forwards the signal to that shell only, which dies without passing it on, and we would run on
// as an orphan with a kernel busy behind us. So, under npm, losing our parent counts as SIGTERM.
if (process.env.npm_lifecycle_event) {
  const parentPid = process.ppid;
  setInterval(() => {
    if (process.ppid !== parentPid && !stopSignal) {
      console.log('! the npm process that started this run is gone: stopping');
      onSignal('SIGTERM');
    }
  }, 1000).unref();
}
// A closed stdout/stderr (the terminal or npm is gone) must not crash us mid-clean-up.
process.stdout.on('error', () => {});
process.stderr.on('error', () => {});
process.on('exit', () => {
  for (const child of children) {
    try {
      child.kill('SIGTERM');
    } catch {
      /* already gone */
    }
  }
});

/** Exit now if a signal asked us to stop (between steps, with no child left running). */
function exitIfStopped() {
  if (stopSignal) {
    console.log(`✗ stopped by ${stopSignal}`);
    process.exit(SIGNAL_EXIT[stopSignal] ?? 1);
  }
}

/**
 * @typedef {{ code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string,
 *             error?: Error, timedOut: boolean, ms: number }} RunResult
 * @typedef {{ cwd?: string, env?: NodeJS.ProcessEnv, capture?: boolean, timeoutMs?: number }} RunOptions
 */

/**
 * Spawn a command (stdin closed: CI has none) and wait for it. With `capture` its output is
 * collected instead of shown. Never rejects: spawn errors come back in `error`.
 * @param {string} cmd
 * @param {string[]} args
 * @param {RunOptions} [opts]
 * @returns {Promise<RunResult>}
 */
function run(cmd, args, opts = {}) {
  const started = performance.now();
  return new Promise((resolve) => {
    /** @type {import('node:child_process').ChildProcess} */
    let child;
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    /** @type {NodeJS.Timeout | undefined} */
    let timer;
    try {
      child = spawn(cmd, args, {
        cwd: opts.cwd ?? ROOT,
        env: opts.env ?? process.env,
        stdio: ['ignore', opts.capture ? 'pipe' : 'inherit', opts.capture ? 'pipe' : 'inherit'],
      });
    } catch (error) {
      resolve({ code: null, signal: null, stdout, stderr, error: /** @type {Error} */ (error), timedOut, ms: 0 });
      return;
    }
    children.add(child);
    child.stdout?.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d) => (stderr += d));
    if (opts.timeoutMs) {
      timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, opts.timeoutMs);
    }
    /** @type {Error | undefined} */
    let spawnError;
    child.on('error', (error) => {
      spawnError = error;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, signal, stdout, stderr, error: spawnError, timedOut, ms: performance.now() - started });
    });
  });
}

/** @param {RunResult} r */
const succeeded = (r) => !r.error && !r.timedOut && r.code === 0;

/** @param {RunResult} r */
function describeFailure(r) {
  if (r.error) return r.error.message;
  if (r.timedOut) return 'timed out';
  if (r.signal) return `killed by ${r.signal}`;
  return `exit status ${r.code}`;
}

/** @param {string} text @param {number} [max] */
function indent(text, max = 40) {
  const lines = text.trimEnd().split('\n');
  const shown = lines.length > max ? [...lines.slice(0, max), `… (${lines.length - max} more lines)`] : lines;
  return shown.map((l) => `    ${l}`).join('\n');
}

/** @param {string} name @returns {string | null} first executable `name` on PATH */
function which(name) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      /* not here */
    }
  }
  return null;
}

/** @param {string} name @returns {string[]} every executable `name` on PATH, in order */
function whichAll(name) {
  /** @type {string[]} */
  const found = [];
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile() && !found.includes(candidate)) found.push(candidate);
    } catch {
      /* not here */
    }
  }
  return found;
}

/** Environment for every Jupyter/Python child: our kernelspec first, this node first on PATH. */
function jupyterEnv(/** @type {NodeJS.ProcessEnv} */ extra = {}) {
  const env = { ...process.env, ...extra };
  env.JUPYTER_PATH = [LOCAL_JUPYTER_DATA, env.JUPYTER_PATH].filter(Boolean).join(path.delimiter);
  // The kernelspec starts node_modules/.bin/tslab (`#!/usr/bin/env node`): make that the node
  // running this script, whatever PATH Jupyter would otherwise have.
  const nodeDir = path.dirname(process.execPath);
  const pathDirs = (env.PATH ?? '').split(path.delimiter);
  if (pathDirs[0] !== nodeDir) env.PATH = [nodeDir, ...pathDirs].filter(Boolean).join(path.delimiter);
  // debugpy (imported by ipykernel) warns about frozen modules on Python 3.11+: noise only.
  env.PYDEVD_DISABLE_FILE_VALIDATION ??= '1';
  return env;
}

// ───────────────────────────── options ─────────────────────────────

/**
 * @typedef {{ cores: number[], scale: 'quick' | 'full', only: string[] | null, out: string,
 *             timeout: number, setupOnly: boolean, installUser: boolean, withBrowser: boolean, help: boolean }} Options
 */

/** @param {string[]} argv @returns {Options} */
function parseArgs(argv) {
  /** @type {Options} */
  const opts = {
    cores: [availableCores()],
    scale: 'full',
    only: null,
    out: path.resolve('results'),
    timeout: DEFAULT_TIMEOUT,
    setupOnly: false,
    installUser: false,
    withBrowser: false,
    help: false,
  };
  const withValue = new Set(['--cores', '--scale', '--only', '--out', '--timeout']);
  for (let i = 0; i < argv.length; i++) {
    const arg = /** @type {string} */ (argv[i]);
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    /** @type {string | undefined} */
    let value = flag !== arg ? arg.slice(eq + 1) : undefined;
    if (flag === '-h' || flag === '--help') {
      opts.help = true;
      continue;
    }
    if (flag === '--setup-only' || flag === '--install-user' || flag === '--with-browser') {
      if (value !== undefined) throw new UsageError(`${flag} takes no value (got "${value}")`);
      if (flag === '--setup-only') opts.setupOnly = true;
      else if (flag === '--install-user') opts.installUser = true;
      else opts.withBrowser = true;
      continue;
    }
    if (!withValue.has(flag)) {
      throw new UsageError(
        arg.startsWith('-') ? `unknown option ${flag}` : `unexpected argument "${arg}" (options start with --)`,
      );
    }
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) {
        throw new UsageError(`${flag} needs a value`);
      }
      value = next;
      i += 1;
    }
    switch (flag) {
      case '--cores':
        opts.cores = parseCores(value);
        break;
      case '--scale':
        if (value !== 'quick' && value !== 'full') {
          throw new UsageError(`--scale: "${value}" is not a scale; accepted: quick, full`);
        }
        opts.scale = value;
        break;
      case '--only': {
        const parts = value.split(',').map((s) => s.trim());
        const bad = parts.find((p) => !/^\d+$/.test(p));
        if (bad !== undefined) {
          throw new UsageError(
            `--only: "${bad || value}" is not a notebook number; accepted: number prefixes like 01 or 01,03`,
          );
        }
        opts.only = parts;
        break;
      }
      case '--out':
        if (!value.trim()) throw new UsageError('--out: the output folder must not be empty');
        opts.out = path.resolve(value);
        if (fs.existsSync(opts.out) && !fs.statSync(opts.out).isDirectory()) {
          throw new UsageError(`--out: "${value}" exists and is not a folder`);
        }
        break;
      case '--timeout':
        if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
          throw new UsageError(
            `--timeout: "${value}" is not valid; accepted: whole seconds >= 1 per cell, or 0 for no limit`,
          );
        }
        opts.timeout = Number(value);
        break;
    }
  }
  return opts;
}

/** @param {string} value @returns {number[]} */
function parseCores(value) {
  /** @type {number[]} */
  const cores = [];
  for (const raw of value.split(',')) {
    const part = raw.trim();
    const n = Number(part);
    if (!part) {
      throw new UsageError(`--cores: "${value}" has an empty entry; accepted: whole numbers >= 1, comma-separated (e.g. --cores 1,2,4)`);
    }
    if (!/^\d+$/.test(part) || !Number.isSafeInteger(n) || n < 1) {
      throw new UsageError(
        `--cores: "${part}" is not a valid core count; accepted: whole numbers >= 1, comma-separated (e.g. --cores 1,2,4)`,
      );
    }
    if (!cores.includes(n)) cores.push(n);
  }
  return cores;
}

/**
 * notebooks/NN-*.ipynb sorted by name, filtered by --only.
 * @param {string[] | null} only
 * @returns {{ name: string, file: string }[]}
 */
function findNotebooks(only) {
  const all = fs.existsSync(NOTEBOOK_DIR)
    ? fs
        .readdirSync(NOTEBOOK_DIR)
        .filter((f) => /^\d+-.*\.ipynb$/.test(f))
        .sort()
        .map((f) => ({ name: f.replace(/\.ipynb$/, ''), file: path.join(NOTEBOOK_DIR, f) }))
    : [];
  if (all.length === 0) throw new UsageError(`no notebooks found: expected ${rel(NOTEBOOK_DIR)}/NN-*.ipynb`);
  if (!only) return all;
  const number = (/** @type {string} */ name) => Number(/^\d+/.exec(name)?.[0]);
  const available = all.map((nb) => /^\d+/.exec(nb.name)?.[0]).join(', ');
  for (const token of only) {
    if (!all.some((nb) => number(nb.name) === Number(token))) {
      throw new UsageError(`--only: "${token}" matches no notebook; available: ${available}`);
    }
  }
  return all.filter((nb) => only.some((token) => number(nb.name) === Number(token)));
}

// ───────────────────────────── setup ─────────────────────────────

async function ensureNpmPackages() {
  const missing = REQUIRED_NPM.filter((p) => !fs.existsSync(path.join(NODE_MODULES, p)));
  if (missing.length === 0) {
    ok('npm packages present');
    return;
  }
  const useCi = fs.existsSync(path.join(ROOT, 'package-lock.json')) && !fs.existsSync(NODE_MODULES);
  const sub = useCi ? 'ci' : 'install';
  step(`installing npm packages (npm ${sub}; missing: ${missing.join(', ')})`);
  // Under `npm run`, npm_execpath is the npm that runs us: use the same one.
  const npmCli = process.env.npm_execpath;
  const [cmd, pre] =
    npmCli && /\.c?js$/.test(npmCli) ? [process.execPath, [npmCli]] : ['npm', /** @type {string[]} */ ([])];
  const r = await run(cmd, [...pre, sub, '--no-audit', '--no-fund']);
  exitIfStopped();
  if (!succeeded(r)) throw new SetupError(`npm ${sub} failed (${describeFailure(r)})`);
  const still = REQUIRED_NPM.filter((p) => !fs.existsSync(path.join(NODE_MODULES, p)));
  if (still.length) throw new SetupError(`npm ${sub} finished but ${still.join(', ')} is still missing from node_modules`);
  ok(`npm packages installed (${secs(r.ms)})`);
}

async function buildKernelHelpers() {
  if (!fs.existsSync(path.join(ROOT, 'kernel-helpers', 'tsconfig.json'))) {
    warn('kernel-helpers/tsconfig.json not found: skipping the kernel-helpers build');
    return;
  }
  // Not `npx tsc`: node_modules/.bin/tsc is claimed by both `typescript` and tslab's bundled
  // @tslab/typescript-for-tslab (an older TypeScript), so run the project's `typescript` directly.
  const tsc = path.join(NODE_MODULES, 'typescript', 'bin', 'tsc');
  const [cmd, args] = fs.existsSync(tsc)
    ? [process.execPath, [tsc]]
    : ['npx', /** @type {string[]} */ (['tsc'])];
  const r = await run(cmd, [...args, '-b', 'kernel-helpers', '--verbose'], { capture: true });
  exitIfStopped();
  const output = (r.stdout + r.stderr).replace(/\x1b\[[0-9;]*m/g, '');
  if (!succeeded(r)) {
    const relevant = output
      .split('\n')
      .filter((l) => l.trim() && !/^\[[\d:. APM]+\] /.test(l) && !/^\s+\* /.test(l))
      .join('\n');
    console.log(indent(relevant || output || describeFailure(r)));
    throw new SetupError(`kernel-helpers build failed: tsc -b kernel-helpers (${describeFailure(r)})`);
  }
  if (/is up to date/.test(output) && !/Building project/.test(output)) {
    ok(`kernel-helpers build up to date (tsc -b, ${secs(r.ms)})`);
  } else {
    ok(`kernel-helpers built (tsc -b kernel-helpers, ${secs(r.ms)})`);
  }
}

/**
 * @typedef {{ executable: string, version: string, modules: Record<string, string | null>,
 *             errors: Record<string, string>, externallyManaged: boolean, venv: boolean,
 *             hasPip: boolean }} PythonInfo
 * @typedef {{ python: string, via: string, info: PythonInfo | null }} Candidate
 */

const PY_PROBE = `
import importlib, importlib.util, json, os, sys, sysconfig
mods, errors = {}, {}
for name in ${JSON.stringify(REQUIRED_PY)}:
    try:
        m = importlib.import_module(name)
        mods[name] = str(getattr(m, "__version__", "?"))
    except Exception as e:
        mods[name] = None
        errors[name] = "%s: %s" % (type(e).__name__, e)
venv = sys.prefix != getattr(sys, "base_prefix", sys.prefix)
marker = os.path.join(sysconfig.get_paths()["stdlib"], "EXTERNALLY-MANAGED")
print("\\n" + json.dumps({"executable": sys.executable, "version": sys.version.split()[0],
    "modules": mods, "errors": errors, "venv": venv,
    "externallyManaged": (not venv) and os.path.exists(marker),
    "hasPip": importlib.util.find_spec("pip") is not None}))
`;

/** @param {string} python @returns {Promise<PythonInfo | null>} */
async function probePython(python) {
  const r = await run(python, ['-c', PY_PROBE], { capture: true, timeoutMs: 60_000, env: jupyterEnv() });
  if (!succeeded(r)) return null;
  const last = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return /** @type {PythonInfo} */ (JSON.parse(last));
  } catch {
    return null;
  }
}

/**
 * The Python behind a `jupyter` command: `jupyter troubleshoot` says (sys.executable); the
 * script's shebang is the fallback.
 * @param {string} jupyter
 * @returns {Promise<string | null>}
 */
async function pythonOfJupyter(jupyter) {
  const r = await run(jupyter, ['troubleshoot'], { capture: true, timeoutMs: 30_000, env: jupyterEnv() });
  const m = /sys\.executable:\s*\n\s*(\S[^\n]*)/.exec(r.stdout);
  if (m?.[1]) return m[1].trim();
  try {
    const first = fs.readFileSync(jupyter, 'utf8').slice(0, 300).split('\n')[0] ?? '';
    const shebang = /^#!\s*(\S+)(?:\s+(?:-S\s+)?(\S+))?/.exec(first);
    if (shebang?.[1]) {
      if (path.basename(shebang[1]) === 'env' && shebang[2]) return which(shebang[2]);
      if (/python/.test(path.basename(shebang[1]))) return shebang[1];
    }
  } catch {
    /* not readable */
  }
  return null;
}

/** @param {PythonInfo} info */
const missingModules = (info) => REQUIRED_PY.filter((m) => !info.modules[m]);

/**
 * Every place a usable Jupyter could be: each `jupyter` on PATH (and Debian's), then `python3`
 * on PATH (a pip install whose scripts folder is not on PATH still works: we only ever run
 * `<python> -m ...`). Deduplicated by Python.
 * @returns {Promise<Candidate[]>}
 */
async function findJupyterCandidates() {
  const jupyters = whichAll('jupyter');
  if (fs.existsSync('/usr/bin/jupyter') && !jupyters.some((j) => safeRealpath(j) === safeRealpath('/usr/bin/jupyter'))) {
    jupyters.push('/usr/bin/jupyter');
  }
  /** @type {{ python: string, via: string }[]} */
  const pythons = [];
  for (const jupyter of jupyters) {
    const python = await pythonOfJupyter(jupyter);
    if (python) pythons.push({ python, via: jupyter });
  }
  // Accepted only when it already has everything (it is never installed into).
  for (const name of ['python3', 'python']) {
    const python = which(name);
    if (python) pythons.push({ python, via: `${name} on PATH` });
  }
  /** @type {Candidate[]} */
  const candidates = [];
  const seen = new Set();
  for (const { python, via } of pythons) {
    const info = await probePython(python);
    const key = info ? safeRealpath(info.executable) : safeRealpath(python);
    if (seen.has(key)) continue;
    seen.add(key);
    candidates.push({ python: info?.executable || python, via, info });
    if (info && missingModules(info).length === 0) break; // first complete one wins
  }
  return candidates;
}

/** @param {string} p */
function safeRealpath(p) {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

/** @param {Candidate[]} candidates */
const firstComplete = (candidates) => candidates.find((c) => c.info && missingModules(c.info).length === 0);

/** @param {Candidate} c */
function describeJupyter(c) {
  const info = /** @type {PythonInfo} */ (c.info);
  const versions = REQUIRED_PY.map((m) => `${m} ${info.modules[m]}`).join(', ');
  return `Jupyter via ${c.via} → Python ${info.version} (${info.executable}); ${versions}`;
}

/**
 * Is PyPI (or the configured index) reachable from this Python's pip? A bounded probe: 20 s.
 * @param {string} python
 */
async function pypiReachable(python) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pypi-probe-'));
  try {
    const r = await run(
      python,
      ['-m', 'pip', 'download', '--no-deps', '--no-cache-dir', '--disable-pip-version-check',
        '--retries', '0', '--timeout', '10', '-d', tmp, 'nbclient'],
      { capture: true, timeoutMs: 20_000 },
    );
    return succeeded(r);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** @returns {Promise<Candidate>} */
async function ensureJupyter() {
  let candidates = await findJupyterCandidates();
  let found = firstComplete(candidates);
  if (found) {
    ok(describeJupyter(found));
    return found;
  }
  for (const c of candidates) {
    const detail = c.info
      ? `lacks ${missingModules(c.info).join(', ')}`
      : 'could not be run';
    warn(`${c.via} (${c.python}) ${detail}`);
  }
  if (!candidates.some((c) => !c.via.endsWith(' on PATH'))) warn('no jupyter command on PATH');
  exitIfStopped();

  // 1. pip, into the Python of a `jupyter` command found on PATH (never into some other python3:
  //    that would drag a whole Jupyter into an unrelated interpreter), only if it has pip, is
  //    not managed by the OS (PEP 668) and its package index answers.
  const pipTarget = candidates.find(
    (c) => !c.via.endsWith(' on PATH') && c.info?.hasPip && !c.info.externallyManaged,
  );
  if (pipTarget) {
    step(`checking whether PyPI answers from ${pipTarget.python} (20 s at most)`);
    if (await pypiReachable(pipTarget.python)) {
      exitIfStopped();
      const info = /** @type {PythonInfo} */ (pipTarget.info);
      const userFlag = !info.venv && process.getuid?.() !== 0 ? ['--user'] : [];
      step(`installing Jupyter with pip: ${pipTarget.python} -m pip install ${[...userFlag, ...PIP_PACKAGES].join(' ')}`);
      // Bounded retries: an index that is listed but unreachable must not cost minutes per package.
      const r = await run(pipTarget.python, [
        '-m', 'pip', 'install', '--disable-pip-version-check', '--retries', '1', '--timeout', '20',
        ...userFlag, ...PIP_PACKAGES,
      ]);
      exitIfStopped();
      if (!succeeded(r)) warn(`pip install failed (${describeFailure(r)})`);
      candidates = await findJupyterCandidates();
      found = firstComplete(candidates);
    } else {
      exitIfStopped();
      warn('PyPI is not reachable: not using pip');
    }
  } else if (candidates.some((c) => !c.via.endsWith(' on PATH'))) {
    warn("not using pip: Jupyter's Python has no pip or is managed by the OS (PEP 668)");
  } else {
    warn('not using pip: no jupyter command on PATH whose Python pip could complete');
  }

  // 2. Debian packages, as root.
  if (!found && process.getuid?.() === 0 && which('apt-get')) {
    step(`installing Jupyter from Debian packages: ${APT_LINE}`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const lock = ['-o', 'DPkg::Lock::Timeout=300'];
    const update = await run('apt-get', [...lock, 'update'], { env });
    exitIfStopped();
    if (!succeeded(update)) warn(`apt-get update failed (${describeFailure(update)}); trying the install anyway`);
    const install = await run(
      'apt-get',
      [...lock, 'install', '-y', '--no-install-recommends', ...APT_PACKAGES],
      { env },
    );
    exitIfStopped();
    if (!succeeded(install)) warn(`apt-get install failed (${describeFailure(install)})`);
    candidates = await findJupyterCandidates();
    found = firstComplete(candidates);
  }

  if (found) {
    ok(describeJupyter(found));
    return found;
  }
  throw new SetupError(
    [
      `no Jupyter that can execute notebooks: need a Python that imports ${REQUIRED_PY.join(', ')}.`,
      '  Install one, then run `npm run setup` again:',
      `    pip route:    python3 -m venv ~/jupyter-venv && ~/jupyter-venv/bin/pip install ${PIP_PACKAGES.join(' ')}`,
      '                  then put ~/jupyter-venv/bin on PATH (needs PyPI; any Python whose pip may install works)',
      `    Debian route: sudo ${APT_LINE.replace('&& DEBIAN', '&& sudo DEBIAN')}`,
    ].join('\n'),
  );
}

/** @param {string} file @returns {string | null} argv[0] of a kernel.json, null when absent/broken */
function kernelBinary(file) {
  try {
    const spec = JSON.parse(fs.readFileSync(file, 'utf8'));
    return Array.isArray(spec.argv) && typeof spec.argv[0] === 'string' ? spec.argv[0] : null;
  } catch {
    return null;
  }
}

/**
 * @param {string} python
 * @param {string[]} where  e.g. ['--prefix', dir] or ['--user']
 */
async function tslabInstall(python, where) {
  const r = await run(
    process.execPath,
    [TSLAB_CLI, 'install', '--python', python, '--binary', TSLAB_BIN, ...where],
    { capture: true, env: jupyterEnv() },
  );
  exitIfStopped();
  if (!succeeded(r)) {
    console.log(indent(r.stdout + r.stderr));
    throw new SetupError(`tslab install ${where.join(' ')} failed (${describeFailure(r)})`);
  }
  return r;
}

/** @param {string} python */
async function ensureKernelspec(python) {
  if (!fs.existsSync(TSLAB_CLI)) throw new SetupError(`${rel(TSLAB_CLI)} is missing: run npm install`);
  const current = kernelBinary(LOCAL_KERNEL_JSON);
  if (current === TSLAB_BIN) {
    ok(`tslab kernelspec present (${rel(path.dirname(LOCAL_KERNEL_JSON))})`);
    return;
  }
  step(
    current
      ? `re-creating the tslab kernelspec (it starts ${current}, not ${TSLAB_BIN})`
      : `creating the tslab kernelspec in ${rel(path.dirname(LOCAL_KERNEL_JSON))}`,
  );
  const r = await tslabInstall(python, ['--prefix', LOCAL_JUPYTER_PREFIX]);
  if (kernelBinary(LOCAL_KERNEL_JSON) !== TSLAB_BIN) {
    console.log(indent(r.stdout + r.stderr));
    throw new SetupError(`tslab install ran but ${rel(LOCAL_KERNEL_JSON)} does not start ${TSLAB_BIN}`);
  }
  ok(`tslab kernelspec created (${rel(path.dirname(LOCAL_KERNEL_JSON))}, starts ${rel(TSLAB_BIN)})`);
}

/** @param {string} python */
async function installUserKernelspec(python) {
  step('registering the tslab kernel for your user (tslab install --user)');
  await tslabInstall(python, ['--user']);
  const r = await run(
    python,
    ['-c', 'from jupyter_core.paths import jupyter_data_dir; print(jupyter_data_dir())'],
    { capture: true },
  );
  const dir = succeeded(r) ? path.join(r.stdout.trim(), 'kernels', KERNEL_NAME) : '~/.local/share/jupyter/kernels/tslab';
  ok(`tslab (TypeScript) and jslab (JavaScript) kernels registered for your user in ${dir}`);
  console.log(`  verify: jupyter kernelspec list    (should list ${KERNEL_NAME} → ${dir})`);
  console.log(`  it starts ${TSLAB_BIN}: run this again if you move or delete this clone`);
}

/** @param {Options} opts @returns {Promise<Candidate>} */
async function setup(opts) {
  const t0 = performance.now();
  await ensureNpmPackages();
  // Looking for Jupyter (~1 s of Python start-ups) overlaps the TypeScript build.
  const jupyterPromise = ensureJupyterQuiet();
  let buildError = null;
  try {
    await buildKernelHelpers();
  } catch (error) {
    buildError = error;
  }
  const jupyter = await jupyterPromise.then((fn) => fn());
  if (buildError) throw buildError;
  await ensureKernelspec(jupyter.python);
  if (opts.installUser) await installUserKernelspec(jupyter.python);
  if (opts.withBrowser) await ensureBrowser();
  ok(`setup done in ${secs(performance.now() - t0)}`);
  return jupyter;
}

/**
 * Runs the quiet part of ensureJupyter (the search) at once; its printing, and the installs
 * it may need, happen when the returned function is called, so that lines stay in order.
 * @returns {Promise<() => Promise<Candidate>>}
 */
/**
 * The tests open exported HTML in a real browser: Debian's Chromium (or
 * $CHROMIUM_PATH). Installed with apt-get as root when missing; otherwise the
 * exact command is printed (the browser tests then fail with the same advice).
 */
async function ensureBrowser() {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean);
  let found = candidates.find((p) => p && fs.existsSync(p));
  if (!found && process.getuid?.() === 0 && which('apt-get')) {
    step('installing Chromium for the browser tests: apt-get install chromium');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const lock = ['-o', 'DPkg::Lock::Timeout=300'];
    const update = await run('apt-get', [...lock, 'update'], { env });
    exitIfStopped();
    if (!succeeded(update)) warn(`apt-get update failed (${describeFailure(update)}); trying the install anyway`);
    const install = await run('apt-get', [...lock, 'install', '-y', '--no-install-recommends', 'chromium'], { env });
    exitIfStopped();
    if (!succeeded(install)) warn(`apt-get install chromium failed (${describeFailure(install)})`);
    found = candidates.find((p) => p && fs.existsSync(p));
  }
  if (found) ok(`Chromium for the browser tests: ${found}`);
  else warn('no Chromium for the browser tests: run `sudo apt-get install chromium`, or set CHROMIUM_PATH to a Chrome/Chromium executable');
}

async function ensureJupyterQuiet() {
  const candidates = await findJupyterCandidates();
  const found = firstComplete(candidates);
  if (found) {
    return async () => {
      ok(describeJupyter(found));
      return found;
    };
  }
  return ensureJupyter;
}

// ───────────────────────────── running notebooks ─────────────────────────────

/**
 * @typedef {{ status: string, cell?: number | null, cells?: number, ename?: string, evalue?: string,
 *             traceback?: string[] }} ExecStatus
 * @typedef {{ notebook: string, cores: number, status: string, seconds: number, ipynb: string | null,
 *             html: string | null, detail: ExecStatus | null, note?: string }} RunRecord
 */

/**
 * @param {Candidate} jupyter
 * @param {{ name: string, file: string }} nb
 * @param {number} cores
 * @param {Options} opts
 * @returns {Promise<RunRecord>}
 */
async function runNotebook(jupyter, nb, cores, opts) {
  const outDir = path.join(opts.out, `cores-${cores}`);
  fs.mkdirSync(outDir, { recursive: true });
  const outNb = path.join(outDir, `${nb.name}.ipynb`);
  const outHtml = path.join(outDir, `${nb.name}.html`);
  const statusFile = path.join(os.tmpdir(), `run-notebooks-${process.pid}-${cores}-${nb.name}.json`);
  for (const stale of [outNb, outHtml, statusFile]) fs.rmSync(stale, { force: true });

  console.log(`[cores=${cores}] ${nb.name}: running…`);
  const started = performance.now();
  const r = await run(
    jupyter.python,
    [EXECUTOR, nb.file, outNb, '--kernel', KERNEL_NAME, '--timeout', String(opts.timeout),
      '--cwd', NOTEBOOK_DIR, '--status-json', statusFile],
    // RESULTS_DIR: where notebooks save data files (kernel-helpers' resultsDir()), e.g. <out>/bench
    { env: jupyterEnv({ CORES: String(cores), SCALE: opts.scale, RESULTS_DIR: opts.out }) },
  );
  /** @type {ExecStatus | null} */
  let detail = null;
  try {
    detail = JSON.parse(fs.readFileSync(statusFile, 'utf8'));
  } catch {
    /* the executor died before writing it */
  }
  fs.rmSync(statusFile, { force: true });
  const seconds = (performance.now() - started) / 1000;

  /** @type {RunRecord} */
  const record = {
    notebook: nb.name,
    cores,
    status: succeeded(r) ? 'ok' : detail?.status && detail.status !== 'ok' ? detail.status : 'failed',
    seconds,
    ipynb: fs.existsSync(outNb) ? outNb : null,
    html: null,
    detail,
  };
  if (!succeeded(r) && !detail) record.note = `execute_notebook.py: ${describeFailure(r)}`;
  if (stopSignal) record.status = 'interrupted';

  // HTML too for a failed run (not for an interrupted one): the partial notebook is worth a look.
  if (record.ipynb && !stopSignal) {
    const h = await run(
      jupyter.python,
      ['-m', 'nbconvert', '--to', 'html', '--output-dir', outDir, outNb],
      { capture: true, env: jupyterEnv() },
    );
    if (succeeded(h) && fs.existsSync(outHtml)) record.html = outHtml;
    else if (!stopSignal) {
      console.log(indent(h.stdout + h.stderr, 15));
      warn(`nbconvert --to html failed for ${rel(outNb)} (${describeFailure(h)})`);
      if (record.status === 'ok') record.status = 'html-failed';
    }
  }
  const outputs = [record.ipynb, record.html].filter(Boolean).map((p) => rel(/** @type {string} */ (p)));
  const mark = record.status === 'ok' ? '✓' : '✗';
  console.log(
    `${mark} [cores=${cores}] ${nb.name}: ${record.status} in ${seconds.toFixed(1)} s${outputs.length ? ` → ${outputs.join(', ')}` : ''}`,
  );
  return record;
}

/** @param {RunRecord[]} records */
function printSummary(records) {
  if (records.length === 0) return;
  const rows = records.map((r) => [
    r.notebook,
    String(r.cores),
    r.status,
    r.seconds.toFixed(1),
    [r.ipynb, r.html].filter(Boolean).map((p) => rel(/** @type {string} */ (p))).join(', ') || '-',
  ]);
  const header = ['notebook', 'cores', 'status', 'seconds', 'outputs'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (/** @type {string[]} */ cells) =>
    cells.map((c, i) => (i === 3 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  console.log('\nSummary');
  console.log(line(header));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const row of rows) console.log(line(row));
}

/** @param {RunRecord[]} failures */
function printFailures(failures) {
  console.log(`\n✗ ${failures.length} notebook run${failures.length === 1 ? '' : 's'} failed:`);
  for (const f of failures) {
    const d = f.detail;
    const where = d?.cell ? `cell ${d.cell}${d.cells ? `/${d.cells}` : ''}` : d?.status === 'kernel-start' ? 'kernel start-up' : 'unknown cell';
    const what = d?.ename ? `${d.ename}: ${d.evalue ?? ''}` : f.note ?? f.status;
    console.log(`  ${f.notebook} (cores=${f.cores}) failed at ${where}: ${what}`.trimEnd());
    const tb = (d?.traceback ?? []).flatMap((l) => l.split('\n')).filter((l) => l.trim());
    for (const l of tb.slice(0, 8)) console.log(`      ${l}`);
    if (tb.length > 8) console.log(`      … (${tb.length - 8} more lines)`);
    if (f.ipynb) console.log(`      partial notebook: ${rel(f.ipynb)}${f.html ? ` (${rel(f.html)})` : ''}`);
  }
}

/** @param {Options} opts @param {Candidate} jupyter @returns {Promise<number>} exit status */
async function runAll(opts, jupyter) {
  const notebooks = findNotebooks(opts.only);
  const machine = availableCores();
  const over = opts.cores.filter((n) => n > machine);
  if (over.length) {
    warn(
      `oversubscription: --cores ${over.join(',')} is more than this machine's ${machine} available core${machine === 1 ? '' : 's'}; timings will show contention, not speed-up`,
    );
  }
  console.log(
    `Running ${notebooks.length} notebook${notebooks.length === 1 ? '' : 's'} × cores ${opts.cores.join(',')} (scale=${opts.scale}, timeout ${opts.timeout || 'none'}${opts.timeout ? ' s/cell' : ''}) → ${rel(opts.out)}`,
  );
  /** @type {RunRecord[]} */
  const records = [];
  let aborted = '';
  outer: for (const cores of opts.cores) {
    for (const nb of notebooks) {
      const record = await runNotebook(jupyter, nb, cores, opts);
      records.push(record);
      if (stopSignal) break outer;
      // Policy: a notebook that fails does not stop the others. Each notebook runs in a fresh
      // kernel, so the remaining ones are still meaningful and one run reports every failure.
      // The exception: a kernel that could not start (or an executor that could not run at
      // all) would fail the same way for everything that follows, so stop there.
      if (record.detail?.status === 'kernel-start' || (!record.detail && record.status !== 'ok' && record.status !== 'html-failed')) {
        aborted = `stopped after ${nb.name} (cores=${cores}): the kernel could not be started, so the remaining notebooks would fail the same way`;
        break outer;
      }
    }
  }
  printSummary(records);
  if (stopSignal) {
    console.log(`\n✗ interrupted by ${stopSignal}; the kernel was shut down`);
    return SIGNAL_EXIT[stopSignal] ?? 1;
  }
  const failures = records.filter((r) => r.status !== 'ok');
  if (failures.length) {
    printFailures(failures);
    if (aborted) console.log(`  ${aborted}`);
    return 1;
  }
  console.log(`\n✓ ${records.length} notebook run${records.length === 1 ? '' : 's'} ok`);
  return 0;
}

// ───────────────────────────── main ─────────────────────────────

async function main() {
  /** @type {Options} */
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
    if (opts.help) {
      console.log(HELP);
      return 0;
    }
    if (!opts.setupOnly) findNotebooks(opts.only); // validate --only before the slow setup
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`✗ ${error.message}\n  (node scripts/run-notebooks.mjs --help for usage)`);
      return 2;
    }
    throw error;
  }
  try {
    const jupyter = await setup(opts);
    exitIfStopped();
    if (opts.setupOnly) return 0;
    return await runAll(opts, jupyter);
  } catch (error) {
    if (error instanceof SetupError) {
      console.error(`✗ ${error.message}`);
      return stopSignal ? (SIGNAL_EXIT[stopSignal] ?? 1) : 1;
    }
    throw error;
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(error);
    process.exitCode = 1;
  },
);
