// @ts-check
/**
 * The report of `npm run bench -- --sweep`: the typed results of every worker count
 * become cells (primitive x backend x workers, kernel-helpers against Python), the JSON
 * that is saved, and the printed tables (the ratio table, then the rates).
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { machineLine, textTable } = require('kernel-helpers');
const { nodeStartLine } = require('./node-start');
const { formatPerSecond } = require('./format');

/** @typedef {import('kernel-helpers').Backend} Backend */
/** @typedef {'heavyEfficiency' | 'roundTrips' | 'chunkedMap' | 'queue' | 'manager'} PrimitiveKey */

/**
 * One row group of the tables.
 * @typedef {object} Primitive
 * @property {PrimitiveKey} key
 * @property {string} label - the row's words, with the sizes of the run
 * @property {string} unit - of the values (the ratio has none)
 * @property {string} definition - what one value means
 */

/**
 * The primitives of a sweep, in table order, labelled with its sizes.
 * @param {import('./options').SweepSettings} s
 * @returns {Primitive[]}
 */
function sweepPrimitives(s) {
  const n = (/** @type {number} */ x) => x.toLocaleString('en-US');
  return [
    {
      key: 'heavyEfficiency',
      label: `heavy-task efficiency (4 x workers tasks of ~${s.heavyTaskMs} ms)`,
      unit: 'efficiency',
      definition:
        'parallel efficiency = serial time / (pooled time x workers) of 4 x workers leibnizPi calls of about heavyTaskMs each in ' +
        "each language's own serial loop (Node: applyAsync, Python: apply_async); 1 = perfect scaling, at most cores / workers when oversubscribed.",
    },
    {
      key: 'roundTrips',
      label: `round trips of a trivial task (applyAsync + get, ${n(s.roundTrips)} in flight)`,
      unit: 'round trips/s',
      definition: 'echo(i) tasks submitted at once, then all awaited; round trips per second = tasks / elapsed.',
    },
    {
      key: 'chunkedMap',
      label: `chunked map of trivial items (${n(s.mapItems)} items, default chunk size)`,
      unit: 'items/s',
      definition: 'map(echo, items) with the default chunk size ceil(items / (4 x workers)) in both; items per second.',
    },
    {
      key: 'queue',
      label: `Queue job loop: P consumers getNowait until empty, put a result (${n(s.queueItems)} items)`,
      unit: 'items/s',
      definition:
        'the items are put on an input queue, then P = workers Process consumers started that take items with getNowait() until ' +
        'it is empty and put each on an output queue; timed from the first start until every result is read and every consumer ' +
        'joined (start-up included: see details[].queueEmptyRunMs). Python retries get_nowait while another consumer holds the ' +
        "queue's lock or its feeder thread is still writing, instead of ending early.",
    },
    {
      key: 'manager',
      label: `Manager set from C clients at once, one operation per message (${n(s.managerOps)} sets)`,
      unit: 'ops/s',
      definition:
        'C = workers pool workers each send their share of the sets (split evenly) to one manager dict, one awaited set per ' +
        'message; timed in the owner from submitting to all done (clients connected in the warm-up); operations per second.',
    },
  ];
}

const DEFINITIONS = {
  ratio: 'kernel-helpers / Python, both measured in the same run with the same definitions; >= 1.0 means kernel-helpers is at least as fast (for efficiency: at least as efficient).',
  oversubscribed: 'more workers than available cores: the workers share the cores, so efficiency is at most cores / workers on both sides.',
  samples: 'values are medians of the timed rounds (each after one untimed warm-up round); the samples are kept beside them.',
  otherCores: 'cores other processes kept busy during each round (Linux /proc; null elsewhere); above ~0.1 the machine was shared.',
};

/**
 * One cell of the sweep: a primitive on one backend at one worker count, against Python.
 * @typedef {object} SweepCell
 * @property {PrimitiveKey} primitive
 * @property {Backend} backend
 * @property {number} workers
 * @property {boolean} oversubscribed
 * @property {string} unit
 * @property {number} kernelHelpers - the median
 * @property {number[]} kernelHelpersSamples - one per timed round
 * @property {number | null} python - Python's median (null when no Python ran)
 * @property {number[] | null} pythonSamples
 * @property {number | null} ratio - kernelHelpers / python
 * @property {(number | null)[]} otherCoresPerRound - during kernel-helpers' rounds
 */

/**
 * The cells of one worker count, in table order (primitive, then thread before process).
 * @param {import('./sweep').SweepStep} step
 * @param {readonly Primitive[]} primitives
 * @returns {SweepCell[]}
 */
function stepCells(step, primitives) {
  const py = step.python.result;
  /** @type {Record<PrimitiveKey, (b: Backend) => { value: number, samples: number[], otherCores: (number | null)[] }>} */
  const node = {
    heavyEfficiency: (b) => ({ value: step.heavy[b].efficiency, samples: step.heavy[b].efficiencyPerRound, otherCores: step.heavy[b].pooledOtherCores }),
    roundTrips: (b) => ({ value: step.roundTrips[b].roundTripsPerSecond, samples: step.roundTrips[b].roundTripsPerSecondSamples, otherCores: step.roundTrips[b].otherCoresPerRound }),
    chunkedMap: (b) => ({ value: step.chunkedMap[b].itemsPerSecond, samples: step.chunkedMap[b].itemsPerSecondSamples, otherCores: step.chunkedMap[b].otherCoresPerRound }),
    queue: (b) => ({ value: step.queue[b].perSecond, samples: step.queue[b].samplesPerSecond, otherCores: step.queue[b].otherCoresPerRound }),
    manager: (b) => ({ value: step.manager[b].perSecond, samples: step.manager[b].samplesPerSecond, otherCores: step.manager[b].otherCoresPerRound }),
  };
  /** @type {Record<PrimitiveKey, () => { value: number, samples: number[] } | null>} */
  const python = {
    heavyEfficiency: () => (py ? { value: py.heavy.efficiency, samples: py.heavy.efficiencyPerRound } : null),
    roundTrips: () => (py ? { value: py.roundTrips.perSecond, samples: py.roundTrips.samplesPerSecond } : null),
    chunkedMap: () => (py ? { value: py.chunkedMap.perSecond, samples: py.chunkedMap.samplesPerSecond } : null),
    queue: () => (py ? { value: py.queue.perSecond, samples: py.queue.samplesPerSecond } : null),
    manager: () => (py ? { value: py.manager.perSecond, samples: py.manager.samplesPerSecond } : null),
  };
  return primitives.flatMap(({ key, unit }) =>
    /** @type {const} */ (['thread', 'process']).map((backend) => {
      const k = node[key](backend);
      const p = python[key]();
      return {
        primitive: key,
        backend,
        workers: step.workers,
        oversubscribed: step.oversubscribed,
        unit,
        kernelHelpers: k.value,
        kernelHelpersSamples: k.samples,
        python: p ? p.value : null,
        pythonSamples: p ? p.samples : null,
        ratio: p ? k.value / p.value : null,
        otherCoresPerRound: k.otherCores,
      };
    }),
  );
}

/**
 * A cell below Python, with its rounds' ranges on both sides (higher is better in every
 * unit). `roundsOverlap`: kernel-helpers' best round was at least Python's worst, so the
 * gap between the medians is within the rounds' spread; false: behind in every round.
 * @param {SweepCell} c
 */
function belowPython(c) {
  const ours = c.kernelHelpersSamples;
  const theirs = /** @type {number[]} */ (c.pythonSamples);
  const range = (/** @type {number[]} */ xs) => /** @type {[number, number]} */ ([Math.min(...xs), Math.max(...xs)]);
  return {
    primitive: c.primitive,
    backend: c.backend,
    workers: c.workers,
    ratio: /** @type {number} */ (c.ratio),
    kernelHelpersRange: range(ours),
    pythonRange: range(theirs),
    roundsOverlap: Math.max(...ours) >= Math.min(...theirs),
  };
}

/**
 * The JSON document of a sweep (schema 1, kind "sweep").
 * @param {import('./sweep').SweepResults} r
 */
function sweepJson(r) {
  const primitives = sweepPrimitives(r.settings);
  const cells = r.steps.flatMap((step) => stepCells(step, primitives));
  const ran = r.steps.map((s) => s.python.result).find((p) => p !== null) ?? null;
  const rated = cells.filter((c) => c.ratio !== null);
  const worst = rated.reduce((/** @type {SweepCell | null} */ a, c) => (a === null || /** @type {number} */ (c.ratio) < /** @type {number} */ (a.ratio) ? c : a), null);
  const below = rated.filter((c) => /** @type {number} */ (c.ratio) < 1).map(belowPython);
  return {
    schema: 1,
    kind: 'sweep',
    createdAt: r.createdAt.toISOString(),
    durationS: r.durationS,
    mode: r.mode,
    command: r.command,
    definitions: { ...DEFINITIONS, ...Object.fromEntries(primitives.map((p) => [p.key, p.definition])) },
    machine: { ...r.machine, loadAverage: r.loadAverage, otherCpuCores: r.otherCpuCores, nodeStart: r.nodeStart ?? null },
    versions: { node: r.machine.node, python: ran ? `${ran.implementation} ${ran.version}` : null },
    settings: { ...r.settings, workerCounts: r.workerCounts, cores: r.cores, heavyTermsNode: r.heavyTerms },
    python: ran
      ? { available: true, executable: ran.executable, version: ran.version, implementation: ran.implementation, startMethod: ran.startMethod }
      : { available: false, errors: r.steps.flatMap((s) => s.python.errors) },
    primitives: primitives.map(({ key, label, unit }) => ({ key, label, unit })),
    cells,
    summary: {
      cells: cells.length,
      withRatio: rated.length,
      atLeastPython: rated.filter((c) => /** @type {number} */ (c.ratio) >= 1).length,
      worst: worst && { primitive: worst.primitive, backend: worst.backend, workers: worst.workers, ratio: worst.ratio },
      below,
    },
    details: r.steps.map((s) => ({
      workers: s.workers,
      oversubscribed: s.oversubscribed,
      heavy: { thread: s.heavy.thread, process: s.heavy.process, python: s.python.result?.heavy ?? null, nodeTerms: s.heavy.terms, tasks: s.heavy.tasks },
      queueEmptyRunMs: { thread: s.queue.thread.emptyRunMs, process: s.queue.process.emptyRunMs, python: s.python.result?.queue.emptyRunMs ?? null },
      chunkSize: Math.ceil(r.settings.mapItems / (4 * s.workers)),
      pythonOtherCores: s.python.otherCores,
      pythonErrors: s.python.errors,
    })),
  };
}

/** @typedef {ReturnType<typeof sweepJson>} SweepReport */

/**
 * A worker count as a column title: `1 worker`, `4`, `4 (oversubscribed)`.
 * @param {number} workers
 * @param {number} index - the column's position (the first says "worker")
 * @param {number} cores
 */
const workersTitle = (workers, index, cores) =>
  `${workers}${index === 0 ? (workers === 1 ? ' worker' : ' workers') : ''}${workers > cores ? ' (oversubscribed)' : ''}`;

/**
 * A value in its unit, for the tables.
 * @param {number | null} value
 * @param {string} unit
 */
const formatValue = (value, unit) => (value === null ? 'n/a' : unit === 'efficiency' ? value.toFixed(3) : formatPerSecond(value));

/**
 * The table: one row per primitive and backend, one column per worker count, the ratio in each cell.
 * @param {SweepReport} json
 * @returns {string} a Markdown table
 */
function ratioTable(json) {
  const { workerCounts, cores } = json.settings;
  const header = ['primitive', 'backend', ...workerCounts.map((w, i) => workersTitle(w, i, cores))];
  const rows = json.primitives.flatMap((p) =>
    /** @type {const} */ (['thread', 'process']).map((backend, b) => [
      b === 0 ? p.label : '',
      backend,
      ...workerCounts.map((w) => {
        const ratio = json.cells.find((c) => c.primitive === p.key && c.backend === backend && c.workers === w)?.ratio;
        return ratio === null || ratio === undefined ? 'n/a' : ratio.toFixed(2);
      }),
    ]),
  );
  return [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

/**
 * The printed report: a header, the ratio table, the rates behind it, and the notes.
 * @param {SweepReport} json
 * @returns {string}
 */
function sweepText(json) {
  const { workerCounts, cores, rounds } = json.settings;
  const over = workerCounts.filter((w) => w > cores);
  const rateRows = json.primitives.flatMap((p) =>
    workerCounts.map((w) => {
      const at = (/** @type {Backend} */ backend) => json.cells.find((c) => c.primitive === p.key && c.backend === backend && c.workers === w);
      const thread = at('thread');
      return [p.key, `${w}${w > cores ? '*' : ''}`, formatValue(thread?.kernelHelpers ?? null, p.unit), formatValue(at('process')?.kernelHelpers ?? null, p.unit), formatValue(thread?.python ?? null, p.unit), p.unit];
    }),
  );
  const py = json.python;
  const lines = [
    '',
    `Sweep (${json.mode}): kernel-helpers / Python at ${workerCounts.join(', ')} worker(s), medians of ${rounds} round(s); ${machineLine(json.machine)}`,
    py.available ? `Python: ${py.implementation} ${py.version} (${py.executable}), multiprocessing start method ${py.startMethod}` : 'Python: none ran (every ratio is n/a)',
    ...(json.machine.nodeStart ? [nodeStartLine(json.machine.nodeStart)] : []),
    `Ratio: ${json.definitions.ratio}`,
    ...(over.length > 0 ? [`Oversubscribed: ${over.join(', ')} worker(s) on ${cores} available cores (${json.definitions.oversubscribed})`] : []),
    '',
    ratioTable(json),
    '',
    textTable(['primitive', 'workers', 'kernel-helpers threads', 'kernel-helpers processes', 'Python', 'unit'], rateRows, {
      align: ['left', 'right', 'right', 'right', 'right', 'left'],
    }),
    ...(over.length > 0 ? ['* oversubscribed'] : []),
    '',
  ];
  const { summary } = json;
  if (summary.worst) {
    const w = summary.worst;
    lines.push(`${summary.atLeastPython} of ${summary.withRatio} cells at least as fast as Python; the worst: ${w.primitive}, ${w.backend}, ${w.workers} worker(s), ${w.ratio?.toFixed(2)}`);
    const unitOf = (/** @type {string} */ key) => json.primitives.find((p) => p.key === key)?.unit ?? '';
    for (const b of summary.below) {
      const unit = unitOf(b.primitive);
      const range = (/** @type {[number, number]} */ [lo, hi]) => `${formatValue(lo, unit)} to ${formatValue(hi, unit)}`;
      const verdict = b.roundsOverlap ? "its rounds overlap Python's: within the spread" : 'behind in every round';
      lines.push(`  below 1.0: ${b.primitive}, ${b.backend}, ${b.workers} worker(s), ${b.ratio.toFixed(2)}: ${verdict} (${range(b.kernelHelpersRange)} against ${range(b.pythonRange)})`);
    }
  }
  const other = json.machine.otherCpuCores;
  if (other !== null) {
    const noisy = other > 0.1 ? ' -- the machine was shared: parallel numbers are on the low side' : '';
    lines.push(`Other processes kept ${other.toFixed(2)} of ${json.machine.logicalCores} cores busy on average during the sweep${noisy}`);
  }
  lines.push(`Load average (1, 5, 15 min) at the end: ${json.machine.loadAverage.map((l) => l.toFixed(2)).join(', ')}`);
  return lines.join('\n');
}

/**
 * The report of a sweep: the JSON to save and the text to print.
 * @param {import('./sweep').SweepResults} results
 * @returns {{ json: SweepReport, text: string }}
 * @example const { json, text } = sweepReport(results); console.log(text);
 */
function sweepReport(results) {
  const json = sweepJson(results);
  return { json, text: sweepText(json) };
}

/**
 * Saves a sweep as `<outDir>/sweep-latest.json` and `.html`, and timestamped copies `sweep-<createdAt>.json` and `.html`.
 * @param {string} outDir - created when missing
 * @param {SweepReport} json
 * @param {string} html - the page (sweepHtml)
 * @returns {{ latestJson: string, latestHtml: string, copyJson: string, copyHtml: string }}
 */
function writeSweepFiles(outDir, json, html) {
  fs.mkdirSync(outDir, { recursive: true });
  const stamp = `sweep-${json.createdAt.replace(/[:.]/g, '-')}`;
  const files = {
    latestJson: path.join(outDir, 'sweep-latest.json'),
    latestHtml: path.join(outDir, 'sweep-latest.html'),
    copyJson: path.join(outDir, `${stamp}.json`),
    copyHtml: path.join(outDir, `${stamp}.html`),
  };
  const text = `${JSON.stringify(json, null, 2)}\n`;
  for (const file of [files.copyJson, files.latestJson]) fs.writeFileSync(file, text);
  for (const file of [files.copyHtml, files.latestHtml]) fs.writeFileSync(file, html);
  return files;
}

module.exports = { sweepPrimitives, sweepReport, ratioTable, writeSweepFiles, workersTitle };
