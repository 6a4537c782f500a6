// @ts-check
/**
 * The sweep's line about what a Node process costs to start here
 * (kernel-helpers' measureNodeStart): every Process consumer of the Queue cells
 * (process backend) is a fresh Node process, where Python's fork start method
 * copies a running one. When NODE_EXTRA_CA_CERTS is set, Node 20 reads those
 * certificates at every start; the line says what that cost.
 */
'use strict';

/**
 * The report's line about it.
 * @param {import('kernel-helpers').NodeStart} start
 * @returns {string}
 */
function nodeStartLine(start) {
  const base = `Node process start (node -e 0, spawn to exit): ${start.ms.toFixed(0)} ms, median of ${start.samplesMs.length}`;
  if (start.extraCaCerts === null || start.withoutExtraCaCertsMs === null) return base;
  const extra = start.ms - start.withoutExtraCaCertsMs;
  return (
    `${base}; ${start.withoutExtraCaCertsMs.toFixed(0)} ms without NODE_EXTRA_CA_CERTS=${start.extraCaCerts}, which Node 20 reads at every start ` +
    `(${extra >= 0 ? '+' : ''}${extra.toFixed(0)} ms per process: each process consumer of the Queue cells pays it; ` +
    'run the sweep with `env -u NODE_EXTRA_CA_CERTS` to measure without it)'
  );
}

module.exports = { nodeStartLine };
