// @ts-check
/** What each number of the bench means (kept in the JSON), and the targets it is compared with. */
'use strict';

/** Targets of the issue (benchmarks on the 2-core development machine, not test assertions). */
const TARGETS = {
  efficiencyThread: 0.95,
  efficiencyProcess: 0.9,
  helperPoolVsWorkerpool: 0.9,
  mapChunkedVsPiscina: 10,
};

const DEFINITIONS = {
  roundTrip:
    'one trivial task (echo: returns its number argument) submitted from the main thread, run by a worker, and its ' +
    'result received and resolved in the main thread. Per round, N tasks are submitted at once (all in flight ' +
    'together, queued by the pool), then all awaited; round trips per second = N / elapsed.',
  throughput:
    'round trips per second, median over rounds (samples in throughputSamples); helperMapChunked is items per ' +
    'second through kernel-helpers Pool.map on trivial items with its default chunking (items / (4 x workers) per message).',
  startupMs: 'milliseconds from new Pool(...) until every worker has answered one trivial task (whoAmI), median.',
  heavy:
    'tasks = 4 x workers leibnizPi(terms) calls; serialMs runs them one after the other in the main thread, pooledMs ' +
    'submits them all to the pool and awaits them; speedup = median serialMs / median pooledMs; efficiency = speedup / workers.',
  efficiency:
    'parallel efficiency on the heavy tasks: speedup / workers (1 = perfect scaling). It splits as efficiency ~= ' +
    'utilization / cpuInflation (heavy.*): utilization = CPU time of the pooled run / (workers x its wall time), ' +
    'below 1 when cores sat idle; cpuInflation = CPU time of the pooled run / CPU time of the serial run (same work), ' +
    'above 1 when each core computed more slowly while all were busy (shared caches, clock, a virtual machine host).',
  otherCpuCores:
    'machine.otherCpuCores (whole run), throughputOtherCores and heavy.*OtherCores (per round, same order as the ' +
    'samples): average number of cores kept busy by processes outside this benchmark (Linux /proc; null elsewhere). ' +
    'Above ~0.1 the machine was shared and parallel numbers are on the low side.',
  serialVsPython:
    'pythonSerialMs / nodeSerialMs for one serial Leibniz sum of the same N (plain loop in both); > 1 means Node is faster.',
};

/** The description of the Python round-trip row. */
const PYTHON_ROUND_TRIP = 'Python multiprocessing.Pool.apply_async + get(), processes (scripts/bench_python.py)';

module.exports = { TARGETS, DEFINITIONS, PYTHON_ROUND_TRIP };
