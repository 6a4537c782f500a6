// @ts-check
/**
 * The set-up (idempotent, about a second when everything is in place): finds
 * what is there (discovery.js), decides the steps (setup-plan.js), and carries
 * them out, saying what it does at each one:
 *   a. npm packages (npm ci / npm install when tslab, workerpool or kernel-helpers is missing),
 *      and tslab's start-up fix (patches/, applied by patch-package on install; here if it was not)
 *   b. kernel-helpers build (tsc -b, incremental)
 *   c. a Jupyter whose Python imports nbclient, nbformat, nbconvert, jupyter_client, IPython;
 *      when missing: pip into the Python of a `jupyter` found on PATH (only if its package
 *      index answers within 20 s and the OS does not manage that Python), else apt-get as root,
 *      else the commands to run
 *   d. the `tslab` kernelspec, project-local in .jupyter-project/share/jupyter/kernels/tslab
 *      (every Jupyter process started here gets that folder prepended to JUPYTER_PATH)
 *   e. with --install-user, the kernelspec for the user too; with --with-browser, Chromium;
 *   f. for runs that include a notebook needing Redis (06) and for --setup-only: redis-server
 *      (apt-get as root when missing, else the commands), unless REDIS_URL names a Redis.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const paths = require('./paths');
const { succeeded, describeFailure } = require('./children');
const discovery = require('./discovery');
const { planSetup, planRedis } = require('./setup-plan');
const { selectionNeedsRedis } = require('./redis');
const { findNotebooks } = require('./cli');
const { ok, step, warn, secs, rel, indent } = require('./output');

/** A set-up step failed; the message says what to do. */
class SetupError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'SetupError';
  }
}

/**
 * @typedef {import('./children').ChildProcesses} ChildProcesses
 * @typedef {import('./children').RunResult} RunResult
 * @typedef {import('./discovery').Candidate} Candidate
 * @typedef {import('./setup-plan').SetupPlan} SetupPlan
 */

const APT_LINE =
  'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ' +
  paths.APT_PACKAGES.join(' ');

/**
 * Sets up whatever is missing.
 * @param {{ installUser: boolean, withBrowser: boolean }} opts
 * @param {ChildProcesses} children
 * @returns {Promise<Candidate>} the Jupyter to run notebooks with
 * @throws {SetupError} | {import('./children').StoppedError}
 */
async function setup(opts, children) {
  const started = performance.now();
  const project = discovery.inspectProject();
  const searching = discovery.findJupyterCandidates(children);
  // Looking for Jupyter (about a second of Python start-ups) and the TypeScript build do not depend
  // on each other: when no npm install has to come first, the build runs during the search.
  const earlyBuild = project.missingNpm.length === 0 && project.hasKernelHelpers ? compileKernelHelpers(children) : null;
  const plan = planSetup({ ...project, jupyters: await searching }, opts);
  children.throwIfStopped();

  if (plan.npmInstall) await installNpmPackages(children, plan.npmInstall);
  else ok('npm packages present');
  await ensureTslabPatch(children);
  /** @type {unknown} */
  let buildError = null;
  if (plan.build) {
    try {
      reportBuild(await (earlyBuild ?? compileKernelHelpers(children)));
    } catch (error) {
      buildError = error; // thrown after the Jupyter check, so that one run shows both
    }
  } else {
    warn('kernel-helpers/tsconfig.json not found: skipping the kernel-helpers build');
  }
  children.throwIfStopped();
  const jupyter = await ensureJupyter(children, plan);
  if (buildError) throw buildError;
  await ensureKernelspec(children, jupyter.python, plan.kernelspec, project.kernelspecBinary);
  if (plan.userKernelspec) await installUserKernelspec(children, jupyter.python);
  if (plan.browser !== 'skip') await ensureBrowser(children, plan.browser);
  await ensureRedis(children, planRedis(project, { withRedis: wantsRedis(opts) }));
  ok(`setup done in ${secs(performance.now() - started)}`);
  return jupyter;
}

/**
 * @param {ChildProcesses} children
 * @param {NonNullable<SetupPlan['npmInstall']>} install
 */
async function installNpmPackages(children, { command, missing }) {
  step(`installing npm packages (npm ${command}; missing: ${missing.join(', ')})`);
  // Under `npm run`, npm_execpath is the npm that runs us: use the same one.
  const npmCli = process.env.npm_execpath;
  const [cmd, pre] = npmCli && /\.c?js$/.test(npmCli) ? [process.execPath, [npmCli]] : ['npm', /** @type {string[]} */ ([])];
  const r = await children.run(cmd, [...pre, command, '--no-audit', '--no-fund']);
  children.throwIfStopped();
  if (!succeeded(r)) throw new SetupError(`npm ${command} failed (${describeFailure(r)})`);
  const still = discovery.inspectProject().missingNpm;
  if (still.length) throw new SetupError(`npm ${command} finished but ${still.join(', ')} is still missing from node_modules`);
  ok(`npm packages installed (${secs(r.ms)})`);
}

/**
 * Makes sure tslab's kernel binds its sockets before it uses them (patches/tslab+1.0.22.patch).
 * `npm install` applies the patch through the postinstall script; this covers an install that ran
 * no scripts (`--ignore-scripts`). Unpatched, a kernel sometimes never answers: zeromq refuses to
 * send or receive on a socket whose bind is still in progress, which ends tslab's shell loop.
 * @param {ChildProcesses} children
 */
async function ensureTslabPatch(children) {
  const patch = paths.TSLAB_PATCH_MARKER;
  if (discovery.tslabPatched()) {
    ok(`tslab kernel start-up fix applied (${patch})`);
    return;
  }
  if (!fs.existsSync(paths.PATCH_PACKAGE_CLI)) throw new SetupError(`${rel(paths.PATCH_PACKAGE_CLI)} is missing: run npm install`);
  step(`applying ${patch} (tslab's kernel binds its sockets before it uses them)`);
  const r = await children.run(process.execPath, [paths.PATCH_PACKAGE_CLI], { output: 'capture' });
  children.throwIfStopped();
  if (!succeeded(r) || !discovery.tslabPatched()) {
    console.log(indent(r.stdout + r.stderr));
    throw new SetupError(`patch-package could not apply ${patch} to ${rel(paths.TSLAB_SERVER_JS)} (${describeFailure(r)})`);
  }
  ok(`tslab kernel start-up fix applied (${secs(r.ms)})`);
}

/** @param {ChildProcesses} children @returns {Promise<RunResult>} `tsc -b kernel-helpers`, output captured */
function compileKernelHelpers(children) {
  const [cmd, args] = fs.existsSync(paths.TSC) ? [process.execPath, [paths.TSC]] : ['npx', ['tsc']];
  return children.run(cmd, [...args, '-b', 'kernel-helpers', '--verbose'], { output: 'capture' });
}

/** @param {RunResult} r @throws {SetupError} showing tsc's errors when the build failed */
function reportBuild(r) {
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
 * @param {ChildProcesses} children
 * @param {SetupPlan} plan
 * @returns {Promise<Candidate>}
 */
async function ensureJupyter(children, plan) {
  const jupyterStep = plan.jupyter;
  if (jupyterStep.action === 'use') {
    ok(discovery.describeJupyter(jupyterStep.candidate));
    return jupyterStep.candidate;
  }
  for (const note of jupyterStep.notes) warn(note);
  children.throwIfStopped();
  /** @type {Candidate | undefined} */
  let found;
  const pipTarget = jupyterStep.pip;
  if (pipTarget?.info) {
    step(`checking whether PyPI answers from ${pipTarget.python} (20 s at most)`);
    const reachable = await discovery.pypiReachable(children, pipTarget.python);
    children.throwIfStopped();
    if (reachable) {
      const userFlag = !pipTarget.info.venv && process.getuid?.() !== 0 ? ['--user'] : [];
      step(`installing Jupyter with pip: ${pipTarget.python} -m pip install ${[...userFlag, ...paths.PIP_PACKAGES].join(' ')}`);
      // Bounded retries: an index that is listed but unreachable must not cost minutes per package.
      const r = await children.run(pipTarget.python, [
        '-m', 'pip', 'install', '--disable-pip-version-check', '--retries', '1', '--timeout', '20',
        ...userFlag, ...paths.PIP_PACKAGES,
      ]);
      children.throwIfStopped();
      if (!succeeded(r)) warn(`pip install failed (${describeFailure(r)})`);
      found = discovery.firstComplete(await discovery.findJupyterCandidates(children));
    } else {
      warn('PyPI is not reachable: not using pip');
    }
  }
  if (!found && jupyterStep.apt) {
    step(`installing Jupyter from Debian packages: ${APT_LINE}`);
    await aptGetInstall(children, paths.APT_PACKAGES, '');
    found = discovery.firstComplete(await discovery.findJupyterCandidates(children));
  }
  if (found) {
    ok(discovery.describeJupyter(found));
    return found;
  }
  throw new SetupError(
    [
      `no Jupyter that can execute notebooks: need a Python that imports ${paths.REQUIRED_PY.join(', ')}.`,
      '  Install one, then run `npm run setup` again:',
      `    pip route:    python3 -m venv ~/jupyter-venv && ~/jupyter-venv/bin/pip install ${paths.PIP_PACKAGES.join(' ')}`,
      '                  then put ~/jupyter-venv/bin on PATH (needs PyPI; any Python whose pip may install works)',
      `    Debian route: sudo ${APT_LINE.replace('&& DEBIAN', '&& sudo DEBIAN')}`,
    ].join('\n'),
  );
}

/**
 * `apt-get update` then `apt-get install`, as root; a failure is reported, not thrown (the caller
 * checks whether what it needed is there now).
 * @param {ChildProcesses} children
 * @param {string[]} packages
 * @param {string} label - named in the failure line, e.g. "chromium " (with its space), or ""
 */
async function aptGetInstall(children, packages, label) {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const lock = ['-o', 'DPkg::Lock::Timeout=300'];
  const update = await children.run('apt-get', [...lock, 'update'], { env });
  children.throwIfStopped();
  if (!succeeded(update)) warn(`apt-get update failed (${describeFailure(update)}); trying the install anyway`);
  const install = await children.run('apt-get', [...lock, 'install', '-y', '--no-install-recommends', ...packages], { env });
  children.throwIfStopped();
  if (!succeeded(install)) warn(`apt-get install ${label}failed (${describeFailure(install)})`);
}

/**
 * @param {ChildProcesses} children
 * @param {string} python
 * @param {string[]} where - e.g. ['--prefix', dir] or ['--user']
 */
async function tslabInstall(children, python, where) {
  const r = await children.run(
    process.execPath,
    [paths.TSLAB_CLI, 'install', '--python', python, '--binary', paths.TSLAB_BIN, ...where],
    { output: 'capture', env: discovery.jupyterEnv() },
  );
  children.throwIfStopped();
  if (!succeeded(r)) {
    console.log(indent(r.stdout + r.stderr));
    throw new SetupError(`tslab install ${where.join(' ')} failed (${describeFailure(r)})`);
  }
  return r;
}

/**
 * @param {ChildProcesses} children
 * @param {string} python
 * @param {SetupPlan['kernelspec']} action
 * @param {string | null} current - what the kernelspec starts now
 */
async function ensureKernelspec(children, python, action, current) {
  if (!fs.existsSync(paths.TSLAB_CLI)) throw new SetupError(`${rel(paths.TSLAB_CLI)} is missing: run npm install`);
  const folder = rel(path.dirname(paths.LOCAL_KERNEL_JSON));
  if (action === 'present') {
    ok(`tslab kernelspec present (${folder})`);
    return;
  }
  step(
    action === 'recreate'
      ? `re-creating the tslab kernelspec (it starts ${current}, not ${paths.TSLAB_BIN})`
      : `creating the tslab kernelspec in ${folder}`,
  );
  const r = await tslabInstall(children, python, ['--prefix', paths.LOCAL_JUPYTER_PREFIX]);
  if (discovery.kernelBinary(paths.LOCAL_KERNEL_JSON) !== paths.TSLAB_BIN) {
    console.log(indent(r.stdout + r.stderr));
    throw new SetupError(`tslab install ran but ${rel(paths.LOCAL_KERNEL_JSON)} does not start ${paths.TSLAB_BIN}`);
  }
  ok(`tslab kernelspec created (${folder}, starts ${rel(paths.TSLAB_BIN)})`);
}

/** @param {ChildProcesses} children @param {string} python */
async function installUserKernelspec(children, python) {
  step('registering the tslab kernel for your user (tslab install --user)');
  await tslabInstall(children, python, ['--user']);
  const r = await children.run(
    python,
    ['-c', 'from jupyter_core.paths import jupyter_data_dir; print(jupyter_data_dir())'],
    { output: 'capture' },
  );
  const dir = succeeded(r) ? path.join(r.stdout.trim(), 'kernels', paths.KERNEL_NAME) : '~/.local/share/jupyter/kernels/tslab';
  ok(`tslab (TypeScript) and jslab (JavaScript) kernels registered for your user in ${dir}`);
  console.log(`  verify: jupyter kernelspec list    (should list ${paths.KERNEL_NAME} → ${dir})`);
  console.log(`  it starts ${paths.TSLAB_BIN}: run this again if you move or delete this clone`);
}

/**
 * The tests open exported HTML in a real browser: Debian's Chromium (or $CHROMIUM_PATH).
 * Installed with apt-get as root when missing; otherwise the exact command is printed (the
 * browser tests then fail with the same advice).
 * @param {ChildProcesses} children
 * @param {Exclude<SetupPlan['browser'], 'skip'>} action
 */
async function ensureBrowser(children, action) {
  if (action === 'apt') {
    step('installing Chromium for the browser tests: apt-get install chromium');
    await aptGetInstall(children, ['chromium'], 'chromium ');
  }
  const found = discovery.findBrowser();
  if (found) ok(`Chromium for the browser tests: ${found}`);
  else warn('no Chromium for the browser tests: run `sudo apt-get install chromium`, or set CHROMIUM_PATH to a Chrome/Chromium executable');
}

/**
 * @param {{ setupOnly?: boolean, only?: string[] | null }} opts
 * @returns {boolean} whether this run needs a Redis: set-up only, or a selected notebook does
 */
function wantsRedis(opts) {
  if (opts.setupOnly) return true;
  try {
    return selectionNeedsRedis(findNotebooks(paths.NOTEBOOK_DIR, opts.only ?? null));
  } catch {
    return false;
  }
}

/**
 * Notebook 06 needs a Redis: REDIS_URL's, or Debian's redis-server started per run on 127.0.0.1.
 * @param {ChildProcesses} children
 * @param {ReturnType<typeof planRedis>} action
 */
async function ensureRedis(children, action) {
  if (action === 'skip') return;
  if (action === 'external') {
    ok('Redis for notebook 06: REDIS_URL (nothing to install)');
    return;
  }
  if (action === 'apt') {
    step('installing redis-server for notebook 06: apt-get install redis-server');
    await aptGetInstall(children, ['redis-server'], 'redis-server ');
  }
  const found = discovery.inspectProject().redisServer;
  if (found) ok(`redis-server for notebook 06: ${found} (each run starts its own on 127.0.0.1, with a new password)`);
  else warn('no redis-server for notebook 06: run `sudo apt-get install -y redis-server` (macOS: `brew install redis`), or set REDIS_URL=redis://:PASSWORD@HOST:PORT');
}

module.exports = { setup, SetupError };
