#!/usr/bin/env python3
"""Python side of `npm run bench` (scripts/bench.mjs). Standard library only.

Measures, with the same sizes as the Node side:

- round trips per second of ``multiprocessing.Pool.apply_async`` on a trivial
  task (``echo``: returns its argument): ``--tasks`` calls are submitted
  together, then every result is awaited with ``get()``; one warm-up round,
  then ``--rounds`` timed rounds on the same pool of ``--workers`` processes;
- the serial Leibniz sum, 4 * sum((-1)**n / (2n + 1)) for n < ``--terms``,
  as the same plain loop as kernel-helpers' ``leibnizPi``, ``--repeats`` times.

Writes its results as JSON to ``--result-file`` with scripts/lib/result_file.py's
``write_result`` (read them with scripts/lib/result-file.js's ``readResultFile``),
never to stdout: the pool's workers inherit our stdout, and a child holding that
pipe can make the final flush lose data silently. Progress lines go to stderr::

    python3 scripts/bench_python.py --workers 2 --tasks 20000 --rounds 5 --terms 5000000 --repeats 5 \
        --result-file /tmp/bench-python.json
"""

import argparse
import multiprocessing
import os
import platform
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from result_file import write_result  # noqa: E402  (scripts/lib is not a package)


def echo(value):
    """The trivial task: returns its argument."""
    return value


def leibniz_pi(terms):
    """4 * sum((-1)**n / (2n + 1)) for n < terms, as a plain loop."""
    total = 0.0
    for n in range(terms):
        total += (1 if n % 2 == 0 else -1) / (2 * n + 1)
    return 4 * total


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def progress(message):
    print(f"  [python] {message}", file=sys.stderr, flush=True)


def round_trips(pool, tasks):
    """Seconds for `tasks` apply_async calls submitted together, then all awaited."""
    start = time.perf_counter()
    handles = [pool.apply_async(echo, (i,)) for i in range(tasks)]
    total = 0
    for handle in handles:
        total += handle.get()
    elapsed = time.perf_counter() - start
    if total != tasks * (tasks - 1) // 2:
        raise RuntimeError("echo returned wrong values")
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=positive_int, required=True, help="pool processes")
    parser.add_argument("--tasks", type=positive_int, required=True, help="round trips per round")
    parser.add_argument("--rounds", type=positive_int, required=True, help="timed rounds")
    parser.add_argument("--terms", type=positive_int, required=True, help="Leibniz terms of the serial sum")
    parser.add_argument("--repeats", type=positive_int, required=True, help="timed serial sums")
    parser.add_argument("--result-file", required=True, help="where to write the results (JSON, written atomically)")
    args = parser.parse_args()

    progress(f"apply_async: pool of {args.workers} processes, {args.tasks} tasks per round")
    with multiprocessing.Pool(args.workers) as pool:
        round_trips(pool, args.tasks)  # warm-up: workers started, code paths hot
        seconds = []
        for i in range(args.rounds):
            seconds.append(round_trips(pool, args.tasks))
            progress(f"apply_async round {i + 1}/{args.rounds}: {args.tasks / seconds[-1]:,.0f} round trips/s")
    throughput = [args.tasks / s for s in seconds]

    progress(f"serial Leibniz sum, N = {args.terms:,}, {args.repeats} runs")
    serial_ms = []
    value = None
    for i in range(args.repeats):
        start = time.perf_counter()
        value = leibniz_pi(args.terms)
        serial_ms.append((time.perf_counter() - start) * 1000)
        progress(f"serial run {i + 1}/{args.repeats}: {serial_ms[-1]:.0f} ms")

    write_result(
        args.result_file,
        {
            "executable": sys.executable,
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
            "startMethod": multiprocessing.get_start_method(),
            "cpuCount": os.cpu_count(),
            "workers": args.workers,
            "tasks": args.tasks,
            "rounds": args.rounds,
            "applyAsyncPerSecond": statistics.median(throughput),
            "applyAsyncSamplesPerSecond": throughput,
            "terms": args.terms,
            "serialMs": statistics.median(serial_ms),
            "serialSamplesMs": serial_ms,
            "leibnizValue": value,
        },
    )


if __name__ == "__main__":
    main()
