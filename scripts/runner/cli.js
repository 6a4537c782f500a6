// @ts-check
/**
 * The runner's command line: options (on `node:util` parseArgs), their checks
 * against the knob rules in kernel-helpers/src/knobs.json, the notebooks they
 * select, and the help text. Every bad option is a UsageError (exit status 2)
 * raised before anything slow starts.
 */
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { rel } = require('./output');

const DEFAULT_TIMEOUT = 1800;

/** A bad command line: the message names the option and what it accepts. */
class UsageError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * @typedef {{ CORES: { min: number, max: number }, SCALE: { choices: string[], default: string } }} KnobRules
 * @typedef {{ cores: number[], scale: string, only: string[] | null, out: string, timeout: number,
 *             setupOnly: boolean, installUser: boolean, withBrowser: boolean, help: boolean }} Options
 * @typedef {{ name: string, file: string }} NotebookFile
 */

/** @returns {number} the cores this process may use */
function availableCores() {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length || 1;
}

/**
 * Reads the knob rules (the runner runs before kernel-helpers is built, so it
 * reads the JSON itself rather than importing params.ts).
 * @param {string} file - kernel-helpers/src/knobs.json
 * @returns {KnobRules}
 */
function readKnobRules(file) {
  const rules = JSON.parse(fs.readFileSync(file, 'utf8'));
  const cores = rules?.CORES;
  const scale = rules?.SCALE;
  if (
    !Number.isSafeInteger(cores?.min) || !Number.isSafeInteger(cores?.max) ||
    !Array.isArray(scale?.choices) || !scale.choices.includes(scale.default)
  ) {
    throw new Error(`${file}: expected CORES {min, max} integers and SCALE {choices, default}`);
  }
  return { CORES: { min: cores.min, max: cores.max }, SCALE: { choices: scale.choices, default: scale.default } };
}

/** @param {KnobRules} rules @returns {string} what --cores accepts */
const coresAccepted = (rules) =>
  `whole numbers from ${rules.CORES.min} to ${rules.CORES.max}, comma-separated (e.g. --cores 1,2,4)`;

/**
 * Parses `--cores 1,2,4`: each entry a whole number in the CORES range, duplicates dropped.
 * @param {string} value
 * @param {KnobRules} rules
 * @returns {number[]}
 * @throws {UsageError} naming the bad entry and the range
 */
function parseCores(value, rules) {
  /** @type {number[]} */
  const cores = [];
  for (const raw of value.split(',')) {
    const part = raw.trim();
    if (!part) throw new UsageError(`--cores: "${value}" has an empty entry; accepted: ${coresAccepted(rules)}`);
    const n = Number(part);
    if (!/^\d+$/.test(part) || !Number.isSafeInteger(n) || n < rules.CORES.min || n > rules.CORES.max) {
      throw new UsageError(`--cores: "${part}" is not a valid core count; accepted: ${coresAccepted(rules)}`);
    }
    if (!cores.includes(n)) cores.push(n);
  }
  return cores;
}

/** @type {Record<string, { type: 'string' | 'boolean', short?: string }>} */
const OPTIONS = {
  cores: { type: 'string' },
  scale: { type: 'string' },
  only: { type: 'string' },
  out: { type: 'string' },
  timeout: { type: 'string' },
  'setup-only': { type: 'boolean' },
  'with-browser': { type: 'boolean' },
  'install-user': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

/**
 * Parses the runner's arguments. parseArgs runs non-strict and its tokens are
 * checked here, so that every mistake gets a message naming the option.
 * @param {string[]} argv - process.argv.slice(2)
 * @param {{ rules: KnobRules, defaultCores?: number, cwd?: string }} context
 * @returns {Options}
 * @throws {UsageError}
 */
function parseCommandLine(argv, { rules, defaultCores = availableCores(), cwd = process.cwd() }) {
  /** @type {Options} */
  const opts = {
    cores: [defaultCores],
    scale: rules.SCALE.default,
    only: null,
    out: path.resolve(cwd, 'results'),
    timeout: DEFAULT_TIMEOUT,
    setupOnly: false,
    installUser: false,
    withBrowser: false,
    help: false,
  };
  const { tokens = [] } = parseArgs({ args: argv, options: OPTIONS, strict: false, allowPositionals: true, tokens: true });
  for (const token of tokens) {
    if (token.kind === 'positional') {
      throw new UsageError(
        token.value.startsWith('-') ? `unknown option ${token.value}` : `unexpected argument "${token.value}" (options start with --)`,
      );
    }
    if (token.kind === 'option-terminator') throw new UsageError('unknown option --');
    const option = OPTIONS[token.name];
    if (!option) {
      throw new UsageError(`unknown option ${token.rawName}`);
    }
    if (option.type === 'boolean') {
      if (token.value !== undefined) throw new UsageError(`${token.rawName} takes no value (got "${token.value}")`);
      if (token.name === 'help') opts.help = true;
      else if (token.name === 'setup-only') opts.setupOnly = true;
      else if (token.name === 'install-user') opts.installUser = true;
      else opts.withBrowser = true;
      continue;
    }
    const value = token.value;
    // `--cores --scale quick`: parseArgs would take "--scale" as the value
    if (value === undefined || (!token.inlineValue && value.startsWith('--') && value.length > 2)) {
      throw new UsageError(`${token.rawName} needs a value`);
    }
    applyValue(opts, token.name, value, rules, cwd);
  }
  return opts;
}

/**
 * @param {Options} opts
 * @param {string} name
 * @param {string} value
 * @param {KnobRules} rules
 * @param {string} cwd
 */
function applyValue(opts, name, value, rules, cwd) {
  switch (name) {
    case 'cores':
      opts.cores = parseCores(value, rules);
      break;
    case 'scale':
      if (!rules.SCALE.choices.includes(value)) {
        throw new UsageError(`--scale: "${value}" is not a scale; accepted: ${rules.SCALE.choices.join(', ')}`);
      }
      opts.scale = value;
      break;
    case 'only': {
      const parts = value.split(',').map((s) => s.trim());
      const bad = parts.find((p) => !/^\d+$/.test(p));
      if (bad !== undefined) {
        throw new UsageError(`--only: "${bad || value}" is not a notebook number; accepted: number prefixes like 01 or 01,03`);
      }
      opts.only = parts;
      break;
    }
    case 'out':
      if (!value.trim()) throw new UsageError('--out: the output folder must not be empty');
      opts.out = path.resolve(cwd, value);
      if (fs.existsSync(opts.out) && !fs.statSync(opts.out).isDirectory()) {
        throw new UsageError(`--out: "${value}" exists and is not a folder`);
      }
      break;
    case 'timeout':
      if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
        throw new UsageError(`--timeout: "${value}" is not valid; accepted: whole seconds >= 1 per cell, or 0 for no limit`);
      }
      opts.timeout = Number(value);
      break;
  }
}

/**
 * notebooks/NN-*.ipynb sorted by name, filtered by --only.
 * @param {string} dir - the notebooks folder
 * @param {string[] | null} only - number prefixes, e.g. ["01", "3"]
 * @returns {NotebookFile[]}
 * @throws {UsageError} when there are none, or a prefix matches none
 */
function findNotebooks(dir, only) {
  const all = fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((f) => /^\d+-.*\.ipynb$/.test(f))
        .sort()
        .map((f) => ({ name: f.replace(/\.ipynb$/, ''), file: path.join(dir, f) }))
    : [];
  if (all.length === 0) throw new UsageError(`no notebooks found: expected ${rel(dir)}/NN-*.ipynb`);
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

/**
 * @param {KnobRules} rules
 * @param {number} [defaultCores]
 * @returns {string} the --help text
 */
function helpText(rules, defaultCores = availableCores()) {
  return `Usage: node scripts/run-notebooks.mjs [options]
       npm run notebooks -- [options]

Sets up npm packages, the kernel-helpers build, Jupyter and the tslab kernel, then
executes notebooks/NN-*.ipynb headless, once per core count, writing an executed
.ipynb and an .html per notebook to <out>/cores-<n>/ (and the kernel's own output
to <name>.kernel.log beside them).

Options:
  --cores LIST     core counts to run with, comma-separated whole numbers from
                   ${rules.CORES.min} to ${rules.CORES.max} (default: ${defaultCores}, this machine's available parallelism).
                   Each notebook sees its count as the CORES environment variable.
  --scale S        ${rules.SCALE.choices.join(' | ')} (default: ${rules.SCALE.default}); seen by notebooks as SCALE
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
}

module.exports = {
  DEFAULT_TIMEOUT,
  UsageError,
  availableCores,
  readKnobRules,
  parseCores,
  parseCommandLine,
  findNotebooks,
  helpText,
};
