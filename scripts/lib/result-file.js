// @ts-check
/**
 * Reading what a Python helper wrote with scripts/lib/result_file.py's
 * write_result(): the result travels through a file, never through a stdout
 * that kernels or workers also hold (see that file for why).
 */
'use strict';

const fs = require('node:fs');

/** A result file is missing, empty, truncated or not the envelope write_result() makes. */
class ResultFileError extends Error {
  /**
   * @param {string} file - the result file at fault
   * @param {string} problem - what is wrong with it
   */
  constructor(file, problem) {
    super(`result file ${file}: ${problem}`);
    this.name = 'ResultFileError';
    this.file = file;
  }
}

/**
 * Reads and checks a result file.
 * @param {string} file - the path given to the helper
 * @returns {unknown} the `result` the helper wrote
 * @throws {ResultFileError} naming the file when it is missing, empty, truncated or malformed
 */
function readResultFile(file) {
  /** @type {string} */
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = /** @type {NodeJS.ErrnoException} */ (error).code;
    throw new ResultFileError(file, code === 'ENOENT' ? 'missing (the helper ended before writing its result)' : String(error));
  }
  if (text.length === 0) throw new ResultFileError(file, 'empty');
  /** @type {unknown} */
  let envelope;
  try {
    envelope = JSON.parse(text);
  } catch (error) {
    throw new ResultFileError(file, `truncated or not JSON (${text.length} characters; ${/** @type {Error} */ (error).message})`);
  }
  if (typeof envelope !== 'object' || envelope === null || /** @type {{ complete?: unknown }} */ (envelope).complete !== true) {
    throw new ResultFileError(file, 'not a complete result (no "complete": true envelope)');
  }
  return /** @type {{ result: unknown }} */ (envelope).result;
}

module.exports = { readResultFile, ResultFileError };
