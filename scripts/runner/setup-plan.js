// @ts-check
/**
 * The set-up plan: from what discovery.js found, which steps will run. A pure
 * function, so every branch (fresh clone, no Jupyter, not root, no PyPI...)
 * can be checked without touching the machine; setup.js carries it out.
 */
'use strict';

const { missingModules, viaJupyterCommand } = require('./discovery');

/**
 * @typedef {import('./discovery').Candidate} Candidate
 * @typedef {import('./discovery').ProjectFindings & { jupyters: Candidate[] }} Findings
 *   jupyters: what findJupyterCandidates() returned
 * @typedef {{ installUser: boolean, withBrowser: boolean }} SetupChoices
 * @typedef {{ action: 'use', candidate: Candidate }
 *         | { action: 'install', notes: string[], pip: Candidate | null, apt: boolean }} JupyterStep
 *   install: print `notes`, then try pip into `pip`'s Python (when PyPI answers), then apt-get
 *   (when `apt`) while none is complete; with neither, or when both fail: print how to install.
 * @typedef {{
 *   npmInstall: { command: 'ci' | 'install', missing: string[] } | null,
 *   build: boolean,
 *   jupyter: JupyterStep,
 *   kernelspec: 'present' | 'create' | 'recreate',
 *   userKernelspec: boolean,
 *   browser: 'skip' | 'present' | 'apt' | 'instructions',
 * }} SetupPlan
 */

/**
 * Decides the set-up steps.
 * @param {Findings} found - what is there
 * @param {SetupChoices} choices - --install-user, --with-browser
 * @returns {SetupPlan}
 * @example planSetup({ ...inspectProject(), jupyters: await findJupyterCandidates(children) }, opts)
 */
function planSetup(found, choices) {
  const rootWithApt = found.isRoot && found.hasAptGet;
  return {
    npmInstall: found.missingNpm.length
      ? {
          // `npm ci` only into a fresh clone: it deletes node_modules first
          command: found.hasLockfile && !found.hasNodeModules ? 'ci' : 'install',
          missing: found.missingNpm,
        }
      : null,
    build: found.hasKernelHelpers,
    jupyter: planJupyter(found.jupyters, rootWithApt),
    kernelspec:
      found.kernelspecBinary === found.tslabBinary ? 'present' : found.kernelspecBinary ? 'recreate' : 'create',
    userKernelspec: choices.installUser,
    browser: !choices.withBrowser ? 'skip' : found.browser ? 'present' : rootWithApt ? 'apt' : 'instructions',
  };
}

/**
 * @param {Candidate[]} candidates
 * @param {boolean} rootWithApt
 * @returns {JupyterStep}
 */
function planJupyter(candidates, rootWithApt) {
  const complete = candidates.find((c) => c.info && missingModules(c.info).length === 0);
  if (complete) return { action: 'use', candidate: complete };
  const notes = candidates.map(
    (c) => `${c.via} (${c.python}) ${c.info ? `lacks ${missingModules(c.info).join(', ')}` : 'could not be run'}`,
  );
  const commands = candidates.filter(viaJupyterCommand);
  if (commands.length === 0) notes.push('no jupyter command on PATH');
  // pip only into the Python of a `jupyter` command (never into some other python3: that would drag
  // a whole Jupyter into an unrelated interpreter), and only if it has pip and the OS does not
  // manage it (PEP 668).
  const pip = commands.find((c) => c.info?.hasPip && !c.info.externallyManaged) ?? null;
  if (!pip) {
    notes.push(
      commands.length
        ? "not using pip: Jupyter's Python has no pip or is managed by the OS (PEP 668)"
        : 'not using pip: no jupyter command on PATH whose Python pip could complete',
    );
  }
  return { action: 'install', notes, pip, apt: rootWithApt };
}

/**
 * The Redis step, for runs that include a notebook needing Redis (and `npm run setup`):
 *   external      REDIS_URL names one: use it, install nothing
 *   present       a redis-server is installed (each run starts its own, on 127.0.0.1)
 *   apt           root with apt-get: install Debian's redis-server
 *   instructions  print the commands
 * @param {import('./discovery').RedisFindings & Pick<Findings, 'isRoot' | 'hasAptGet'>} found
 * @param {{ withRedis: boolean }} choices
 * @returns {'skip' | 'external' | 'present' | 'apt' | 'instructions'}
 */
function planRedis(found, { withRedis }) {
  if (!withRedis) return 'skip';
  if (found.redisUrl) return 'external';
  if (found.redisServer) return 'present';
  return found.isRoot && found.hasAptGet ? 'apt' : 'instructions';
}

module.exports = { planSetup, planRedis };
