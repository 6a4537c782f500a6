// @ts-check
/**
 * The runner's terminal lines: `✓` done, `→` doing, `!` worth knowing, and the
 * small formatters they share.
 */
'use strict';

const path = require('node:path');

/** @param {string} message */
const ok = (message) => console.log(`✓ ${message}`);
/** @param {string} message */
const step = (message) => console.log(`→ ${message}`);
/** @param {string} message */
const warn = (message) => console.log(`! ${message}`);

/** @param {number} ms @returns {string} e.g. "1.3 s" */
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;

/**
 * A path as the user would type it from where they are: relative when it is
 * below the current folder, else absolute.
 * @param {string} file
 * @param {string} [from] - default: the current folder
 */
function rel(file, from = process.cwd()) {
  const relative = path.relative(from, file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

/**
 * Indents a child's output under a runner line, keeping at most `max` lines.
 * @param {string} text
 * @param {number} [max]
 */
function indent(text, max = 40) {
  const lines = text.trimEnd().split('\n');
  const shown = lines.length > max ? [...lines.slice(0, max), `… (${lines.length - max} more lines)`] : lines;
  return shown.map((line) => `    ${line}`).join('\n');
}

/** @param {number} count @param {string} noun @returns {string} e.g. "1 notebook", "2 notebooks" */
const plural = (count, noun) => `${count} ${noun}${count === 1 ? '' : 's'}`;

module.exports = { ok, step, warn, secs, rel, indent, plural };
