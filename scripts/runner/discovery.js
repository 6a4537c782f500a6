// @ts-check
/**
 * What is there already: npm packages, the kernel-helpers sources, a Jupyter
 * that can execute notebooks (asked of each `jupyter` command, never assumed
 * from `python3`), the project's tslab kernelspec, Chromium, root and apt-get.
 * Looks only; setup.js changes things, following setup-plan.js.
 */
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const paths = require('./paths');
const { succeeded } = require('./children');

/**
 * @typedef {import('./children').ChildProcesses} ChildProcesses
 * @typedef {{ executable: string, version: string, modules: Record<string, string | null>,
 *             errors: Record<string, string>, externallyManaged: boolean, venv: boolean,
 *             hasPip: boolean }} PythonInfo
 * @typedef {{ python: string, via: string, info: PythonInfo | null }} Candidate
 *   via: the `jupyter` command it was found through, or "python3 on PATH"
 * @typedef {{ missingNpm: string[], hasLockfile: boolean, hasNodeModules: boolean,
 *             hasKernelHelpers: boolean, kernelspecBinary: string | null, tslabBinary: string,
 *             browser: string | null, isRoot: boolean, hasAptGet: boolean }} ProjectFindings
 * @typedef {{ redisServer: string | null, redisUrl: string | null }} RedisFindings
 *   redisServer: a redis-server on PATH (or Debian's); redisUrl: REDIS_URL, when set
 */

/**
 * Environment for every Jupyter/Python child: our kernelspec first, this node first on PATH.
 * @param {NodeJS.ProcessEnv} [extra]
 * @returns {NodeJS.ProcessEnv}
 */
function jupyterEnv(extra = {}) {
  const env = { ...process.env, ...extra };
  env.JUPYTER_PATH = [paths.LOCAL_JUPYTER_DATA, env.JUPYTER_PATH].filter(Boolean).join(path.delimiter);
  // The kernelspec starts node_modules/.bin/tslab (`#!/usr/bin/env node`): make that the node
  // running this script, whatever PATH Jupyter would otherwise have.
  const nodeDir = path.dirname(process.execPath);
  const pathDirs = (env.PATH ?? '').split(path.delimiter);
  if (pathDirs[0] !== nodeDir) env.PATH = [nodeDir, ...pathDirs].filter(Boolean).join(path.delimiter);
  // debugpy (imported by ipykernel) warns about frozen modules on Python 3.11+: noise only.
  env.PYDEVD_DISABLE_FILE_VALIDATION ??= '1';
  return env;
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

/** @param {string} name @returns {string | null} the first executable `name` on PATH */
const which = (name) => whichAll(name)[0] ?? null;

/** @param {string} p */
function safeRealpath(p) {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
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

/** @returns {boolean} whether tslab's kernel server carries the project's patch (false when tslab is missing) */
function tslabPatched() {
  try {
    return fs.readFileSync(paths.TSLAB_SERVER_JS, 'utf8').includes(paths.TSLAB_PATCH_MARKER);
  } catch {
    return false;
  }
}

/** @returns {string | null} Debian's Chromium, or $CHROMIUM_PATH, when it exists */
function findBrowser() {
  const candidates = [process.env.CHROMIUM_PATH, ...paths.CHROMIUM_PATHS];
  return candidates.find((p) => p && fs.existsSync(p)) ?? null;
}

/** @returns {ProjectFindings & RedisFindings} the quick (file-system) facts the set-up plan needs */
function inspectProject() {
  return {
    missingNpm: paths.REQUIRED_NPM.filter((p) => !fs.existsSync(path.join(paths.NODE_MODULES, p))),
    hasLockfile: fs.existsSync(paths.PACKAGE_LOCK),
    hasNodeModules: fs.existsSync(paths.NODE_MODULES),
    hasKernelHelpers: fs.existsSync(paths.KERNEL_HELPERS_TSCONFIG),
    kernelspecBinary: kernelBinary(paths.LOCAL_KERNEL_JSON),
    tslabBinary: paths.TSLAB_BIN,
    browser: findBrowser(),
    isRoot: process.getuid?.() === 0,
    hasAptGet: which('apt-get') !== null,
    redisServer: which('redis-server') ?? (fs.existsSync('/usr/bin/redis-server') ? '/usr/bin/redis-server' : null),
    redisUrl: process.env.REDIS_URL || null,
  };
}

// This probe starts no child, so nothing else holds its stdout: printing the result is safe here.
const PY_PROBE = `
import importlib, importlib.util, json, os, sys, sysconfig
mods, errors = {}, {}
for name in ${JSON.stringify(paths.REQUIRED_PY)}:
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

/** @param {ChildProcesses} children @param {string} python @returns {Promise<PythonInfo | null>} */
async function probePython(children, python) {
  const r = await children.run(python, ['-c', PY_PROBE], { output: 'capture', timeoutMs: 60_000, env: jupyterEnv() });
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
 * @param {ChildProcesses} children
 * @param {string} jupyter
 * @returns {Promise<string | null>}
 */
async function pythonOfJupyter(children, jupyter) {
  const r = await children.run(jupyter, ['troubleshoot'], { output: 'capture', timeoutMs: 30_000, env: jupyterEnv() });
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

/** @param {PythonInfo} info @returns {string[]} the required modules this Python lacks */
const missingModules = (info) => paths.REQUIRED_PY.filter((m) => !info.modules[m]);

/** @param {Candidate} c */
const isComplete = (c) => c.info !== null && missingModules(c.info).length === 0;

/** @param {Candidate[]} candidates @returns {Candidate | undefined} */
const firstComplete = (candidates) => candidates.find(isComplete);

/** @param {Candidate} c @returns {boolean} found through a `jupyter` command (not a bare python3) */
const viaJupyterCommand = (c) => !c.via.endsWith(' on PATH');

/**
 * Every place a usable Jupyter could be: each `jupyter` on PATH (and Debian's), then `python3`
 * on PATH (a pip install whose scripts folder is not on PATH still works: we only ever run
 * `<python> -m ...`). Deduplicated by Python; stops at the first complete one.
 * @param {ChildProcesses} children
 * @returns {Promise<Candidate[]>}
 */
async function findJupyterCandidates(children) {
  const jupyters = whichAll('jupyter');
  if (fs.existsSync('/usr/bin/jupyter') && !jupyters.some((j) => safeRealpath(j) === safeRealpath('/usr/bin/jupyter'))) {
    jupyters.push('/usr/bin/jupyter');
  }
  /** @type {{ python: string, via: string }[]} */
  const pythons = [];
  for (const jupyter of jupyters) {
    const python = await pythonOfJupyter(children, jupyter);
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
    const info = await probePython(children, python);
    const key = info ? safeRealpath(info.executable) : safeRealpath(python);
    if (seen.has(key)) continue;
    seen.add(key);
    const candidate = { python: info?.executable || python, via, info };
    candidates.push(candidate);
    if (isComplete(candidate)) break;
  }
  return candidates;
}

/** @param {Candidate} c @returns {string} the line that says which Jupyter is used */
function describeJupyter(c) {
  const info = /** @type {PythonInfo} */ (c.info);
  const versions = paths.REQUIRED_PY.map((m) => `${m} ${info.modules[m]}`).join(', ');
  return `Jupyter via ${c.via} → Python ${info.version} (${info.executable}); ${versions}`;
}

/**
 * Is PyPI (or the configured index) reachable from this Python's pip? A bounded probe: 20 s.
 * @param {ChildProcesses} children
 * @param {string} python
 */
async function pypiReachable(children, python) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pypi-probe-'));
  try {
    const r = await children.run(
      python,
      ['-m', 'pip', 'download', '--no-deps', '--no-cache-dir', '--disable-pip-version-check',
        '--retries', '0', '--timeout', '10', '-d', tmp, 'nbclient'],
      { output: 'capture', timeoutMs: 20_000 },
    );
    return succeeded(r);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

module.exports = {
  jupyterEnv,
  kernelBinary,
  findBrowser,
  inspectProject,
  tslabPatched,
  findJupyterCandidates,
  firstComplete,
  missingModules,
  viaJupyterCommand,
  describeJupyter,
  pypiReachable,
};
