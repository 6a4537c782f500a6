#!/usr/bin/env python3
"""Python side of `npm run bench` (scripts/bench.mjs). Standard library only.

Measures, with the same sizes as the Node side:

- round trips per second of ``multiprocessing.Pool.apply_async`` on a trivial
  task (``echo``: returns its argument): ``--tasks`` calls are submitted
  together, then every result is awaited with ``get()``; one warm-up round,
  then ``--rounds`` timed rounds on the same pool of ``--workers`` processes;
- the serial Leibniz sum, 4 * sum((-1)**n / (2n + 1)) for n < ``--terms``,
  as the same plain loop as kernel-helpers' ``leibnizPi``, ``--repeats`` times.

With ``--sweep`` it measures instead, at ONE worker count ``--workers`` (the Node
side calls it once per count of its sweep), the same cells as the Node sweep:

- heavy-task efficiency: ``4 * workers`` calls of ``leibniz_pi`` of about
  ``--heavy-task-ms`` each, serial in this process vs ``apply_async`` on the pool;
- round trips: as above, ``--tasks`` in flight;
- chunked map: ``pool.map(echo, range(--map-items))`` with the default chunk size;
- a Queue job loop: ``--queue-items`` put on a ``multiprocessing.Queue``, then
  ``--workers`` ``Process`` consumers ``get_nowait()`` until it is empty and ``put``
  each item on an output queue (timed from their start until all results are read
  and every consumer joined);
- Manager writes: ``--manager-ops`` ``d[key] = i`` on a ``Manager().dict()``, split
  evenly over ``--workers`` pool workers at once (one operation per message).

Writes its results as JSON to ``--result-file`` with scripts/lib/result_file.py's
``write_result`` (read them with scripts/lib/result-file.js's ``readResultFile``),
never to stdout: the pool's workers inherit our stdout, and a child holding that
pipe can make the final flush lose data silently. Progress lines go to stderr::

    python3 scripts/bench_python.py --workers 2 --tasks 20000 --rounds 5 --terms 5000000 --repeats 5 \
        --result-file /tmp/bench-python.json
    python3 scripts/bench_python.py --sweep --workers 4 --tasks 20000 --map-items 200000 --queue-items 20000 \
        --manager-ops 20000 --heavy-task-ms 60 --heavy-rounds 3 --rounds 5 --result-file /tmp/bench-sweep-4.json
"""

import argparse
import multiprocessing
import os
import platform
import queue
import statistics
import sys
import threading
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


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=positive_int, required=True, help="pool processes (consumers, clients)")
    parser.add_argument("--tasks", type=positive_int, required=True, help="round trips per round")
    parser.add_argument("--rounds", type=positive_int, required=True, help="timed rounds")
    parser.add_argument("--result-file", required=True, help="where to write the results (JSON, written atomically)")
    parser.add_argument("--terms", type=positive_int, help="Leibniz terms of the serial sum")
    parser.add_argument("--repeats", type=positive_int, help="timed serial sums")
    parser.add_argument("--sweep", action="store_true", help="the sweep's cells at one worker count (see above)")
    sweep_sizes = ("--map-items", "--queue-items", "--manager-ops", "--heavy-task-ms", "--heavy-rounds")
    for flag in sweep_sizes:
        parser.add_argument(flag, type=positive_int, help="a size of the sweep (with --sweep)")
    args = parser.parse_args()
    needed = sweep_sizes if args.sweep else ("--terms", "--repeats")
    missing = [flag for flag in needed if getattr(args, flag[2:].replace("-", "_")) is None]
    if missing:
        parser.error(f"{', '.join(missing)} required{' with --sweep' if args.sweep else ''}")
    return args


def main():
    args = parse_args()
    if args.sweep:
        write_result(args.result_file, {**environment(args.workers), **sweep(args)})
        return

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
            **environment(args.workers),
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


def environment(workers):
    """Which Python ran, and how."""
    return {
        "executable": sys.executable,
        "version": platform.python_version(),
        "implementation": platform.python_implementation(),
        "startMethod": multiprocessing.get_start_method(),
        "cpuCount": os.cpu_count(),
        "workers": workers,
    }


def rates(count, seconds):
    """The median rate and one rate per round, for `count` operations per round."""
    samples = [count / s for s in seconds]
    return {"perSecond": statistics.median(samples), "samplesPerSecond": samples}


def timed(work, *args):
    start = time.perf_counter()
    work(*args)
    return time.perf_counter() - start


def chunked_map(pool, items):
    """pool.map of the trivial task over `items`, default chunk size (ceil(len / (4 * workers)))."""
    out = pool.map(echo, items)
    if len(out) != len(items) or out[-1] != items[-1]:
        raise RuntimeError("map returned wrong values")


def queue_consumer(inputs, outputs, flushed):
    """get_nowait() until the input queue is empty, put each item on the output queue.

    get_nowait() also raises Empty while another consumer holds the queue's read lock,
    or while the owner's feeder thread has not yet written the next item into the pipe.
    Neither means "empty": only after `flushed` (every item is in the pipe) does an
    empty pipe (inputs.empty(), which takes no lock) end the loop. Retrying instead of
    ending early keeps all consumers busy, which only helps Python's figure.
    """
    taken = 0
    yield_cpu = getattr(os, "sched_yield", lambda: time.sleep(0))
    while True:
        try:
            item = inputs.get_nowait()
        except queue.Empty:
            if flushed.is_set() and inputs.empty():
                return taken
            yield_cpu()
            continue
        outputs.put(item)
        taken += 1


def queue_round(consumers, items):
    """Seconds from starting `consumers` Processes on `items` queued numbers until all results are read and all joined."""
    inputs, outputs, flushed = multiprocessing.Queue(), multiprocessing.Queue(), multiprocessing.Event()
    for i in range(items):
        inputs.put(i)

    def flush():  # the feeder thread writes into a pipe of limited size: it is done once the consumers read enough
        inputs.close()
        inputs.join_thread()
        flushed.set()

    start = time.perf_counter()
    procs = [multiprocessing.Process(target=queue_consumer, args=(inputs, outputs, flushed)) for _ in range(consumers)]
    for p in procs:
        p.start()
    flusher = threading.Thread(target=flush)
    flusher.start()
    total = sum(outputs.get(timeout=60) for _ in range(items))
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - start
    flusher.join()
    if total != items * (items - 1) // 2 or any(p.exitcode != 0 for p in procs):
        raise RuntimeError("the Queue consumers returned wrong items or failed")
    return elapsed


def manager_writes(shared, operations):
    """`operations` sets of small values on a manager dict, one message each (kernel-helpers' managerWrites)."""
    for i in range(operations):
        shared[f"w{i % 100}"] = i
    return operations


def manager_round(pool, shared, shares):
    start = time.perf_counter()
    done = pool.starmap(manager_writes, [(shared, n) for n in shares], chunksize=1)
    elapsed = time.perf_counter() - start
    if sum(done) != sum(shares) or len(shared) == 0:
        raise RuntimeError("the manager clients did not write")
    return elapsed


def calibrate_terms(task_ms):
    """Terms of one leibniz_pi call that takes about `task_ms` here (fastest of 5 timed calls)."""
    leibniz_pi(200_000)
    seconds_per_term = min(timed(leibniz_pi, 200_000) for _ in range(5)) / 200_000
    return max(10_000, round(task_ms / 1000 / seconds_per_term / 10_000) * 10_000)


def heavy(pool, workers, task_ms, rounds):
    """Serial vs pooled `4 * workers` leibniz_pi calls of about `task_ms` each, in alternating rounds."""
    terms = calibrate_terms(task_ms)
    tasks = 4 * workers

    def serial():
        for _ in range(tasks):
            leibniz_pi(terms)

    def pooled():
        handles = [pool.apply_async(leibniz_pi, (terms,)) for _ in range(tasks)]
        if not all(3 < h.get() < 3.2 for h in handles):
            raise RuntimeError("leibniz_pi returned a wrong value")

    pooled()  # warm-up
    serial_ms, pooled_ms = [], []
    for i in range(rounds):
        serial_ms.append(timed(serial) * 1000)
        pooled_ms.append(timed(pooled) * 1000)
        progress(f"heavy round {i + 1}/{rounds}: serial {serial_ms[-1]:.0f} ms, pooled {pooled_ms[-1]:.0f} ms")
    serial_median, pooled_median = statistics.median(serial_ms), statistics.median(pooled_ms)
    return {
        "terms": terms,
        "tasks": tasks,
        "serialMs": serial_median,
        "pooledMs": pooled_median,
        "speedup": serial_median / pooled_median,
        "efficiency": serial_median / pooled_median / workers,
        "serialSamplesMs": serial_ms,
        "pooledSamplesMs": pooled_ms,
        "efficiencyPerRound": [s / p / workers for s, p in zip(serial_ms, pooled_ms)],
    }


def measure_rounds(name, rounds, count, run, unit):
    """One untimed warm-up run, then `rounds` timed ones, with a progress line each."""
    run()
    seconds = []
    for i in range(rounds):
        seconds.append(run())
        progress(f"{name} round {i + 1}/{rounds}: {count / seconds[-1]:,.0f} {unit}")
    return rates(count, seconds)


def sweep(args):
    """Every cell of the sweep at `args.workers` workers."""
    w, rounds = args.workers, args.rounds
    progress(f"sweep at {w} worker(s): round trips, chunked map, Queue, Manager, heavy tasks")
    items = list(range(args.map_items))
    shares = [args.manager_ops // w + (1 if i < args.manager_ops % w else 0) for i in range(w)]
    shares = [n for n in shares if n > 0]
    with multiprocessing.Manager() as manager:
        shared = manager.dict()
        with multiprocessing.Pool(w) as pool:
            result = {
                "rounds": rounds,
                "roundTrips": measure_rounds("round trips", rounds, args.tasks, lambda: round_trips(pool, args.tasks), "round trips/s"),
                "chunkedMap": measure_rounds("chunked map", rounds, len(items), lambda: timed(chunked_map, pool, items), "items/s"),
                "queue": measure_rounds("queue", rounds, args.queue_items, lambda: queue_round(w, args.queue_items), "items/s"),
                "manager": measure_rounds("manager", rounds, sum(shares), lambda: manager_round(pool, shared, shares), "ops/s"),
                "heavy": heavy(pool, w, args.heavy_task_ms, args.heavy_rounds),
            }
    result["queue"]["emptyRunSamplesMs"] = [queue_round(w, 0) * 1000 for _ in range(rounds)]
    result["queue"]["emptyRunMs"] = statistics.median(result["queue"]["emptyRunSamplesMs"])
    sizes = {"tasks": args.tasks, "mapItems": args.map_items, "queueItems": args.queue_items, "managerOps": sum(shares)}
    return {**result, "sizes": sizes, "chunkSize": -(-args.map_items // (4 * w))}


if __name__ == "__main__":
    main()
