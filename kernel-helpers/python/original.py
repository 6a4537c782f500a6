"""The original tutorial's own functions, timed in Python, for the notebooks'
side-by-side rows (kernel-helpers/src/notebook/python.ts runs this file).

usage: python3 original.py MEASUREMENT INPUT_JSON RESULT_JSON

Standard library only (numpy is used when installed, and reported when not).
The result goes to RESULT_JSON, written whole or not at all: never to stdout,
which a child of ours (a pool worker) shares, and where the end of what
Python prints can be lost without a word when the reader is slow.
"""
import json
import multiprocessing as mp
import os
import platform
import random
import sys
import time


# ---- the original's tasks -------------------------------------------------

def leibniz_pi(n):
    """pi as the n-th partial sum of the Madhava-Leibniz series, as the original's plain loop."""
    s = 0.0
    for k in range(n):
        s += (-1) ** k / (2 * k + 1)
    return 4 * s


def leibniz_pi_numpy(n):
    """The original's vectorised twin: all summands at once, then one sum."""
    import numpy as np
    k = np.arange(n, dtype=np.float64)
    return 4 * np.sum((-1.0) ** k / (2 * k + 1))


def echo(x):
    return x


def sum_random(count):
    """Sum of `count` uniform random numbers (the original's Process task)."""
    r = random.random
    s = 0.0
    for _ in range(count):
        s += r()
    return s


def sum_random_to_queue(task_id, count, out):
    out.put((task_id, sum_random(count)))


def monte_carlo_pi(points):
    """Monte Carlo pi with `points` random points (the benchmarking task)."""
    r = random.random
    inside = 0
    for _ in range(points):
        x, y = r(), r()
        if x * x + y * y <= 1.0:
            inside += 1
    return 4.0 * inside / points


def monte_carlo_worker(inq, outq, worker=0):
    """The original's Process strategy: take weights until the input queue is empty. Each result
    names the worker that computed it, so that the parent can count who took part."""
    import queue
    while True:
        try:
            task_id, points = inq.get_nowait()
        except queue.Empty:
            return
        outq.put((task_id, monte_carlo_pi(points), worker))


# ---- measurements ---------------------------------------------------------

def ms_since(t0):
    return (time.perf_counter() - t0) * 1000.0


def timed(fn, repeats, warmup=0):
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        samples.append(ms_since(t0))
    return samples


def m_leibniz(a):
    terms, repeats = a["terms"], a["repeats"]
    out = {"loopMs": timed(lambda: leibniz_pi(terms), repeats), "loopValue": leibniz_pi(min(terms, 1000))}
    try:
        import numpy
        out["numpyVersion"] = numpy.__version__
        out["numpyMs"] = timed(lambda: leibniz_pi_numpy(terms), repeats, warmup=1)
    except ImportError:
        out["numpyVersion"] = None
        out["numpyMs"] = None
    return out


def m_leibniz_pool(a):
    tasks, terms, workers, repeats = a["tasks"], a["terms"], a["workers"], a["repeats"]
    serial = timed(lambda: [leibniz_pi(terms) for _ in range(tasks)], repeats)

    def pooled():
        with mp.Pool(workers) as pool:
            handles = [pool.apply_async(leibniz_pi, (terms,)) for _ in range(tasks)]
            [h.get() for h in handles]
            pool.close()
            pool.join()
    return {"serialMs": serial, "pooledMs": timed(pooled, repeats)}


def m_pool_startup(a):
    workers, repeats = a["workers"], a["repeats"]

    def start():
        with mp.Pool(workers) as pool:
            pool.map(echo, range(workers), chunksize=1)
    return {"startupMs": timed(start, repeats, warmup=1)}


def m_round_trips(a):
    workers, tasks, repeats = a["workers"], a["tasks"], a["repeats"]
    with mp.Pool(workers) as pool:
        def run():
            handles = [pool.apply_async(echo, (i,)) for i in range(tasks)]
            assert sum(h.get() for h in handles) == tasks * (tasks - 1) // 2
        samples = timed(run, repeats, warmup=1)
    return {"perSecond": [tasks / (ms / 1000.0) for ms in samples]}


def m_map_items(a):
    workers, items, repeats = a["workers"], a["items"], a["repeats"]
    data = list(range(items))
    with mp.Pool(workers) as pool:
        samples = timed(lambda: pool.map(echo, data), repeats, warmup=1)
    return {"perSecond": [items / (ms / 1000.0) for ms in samples]}


def m_random_sums(a):
    tasks, numbers, repeats = a["tasks"], a["numbers"], a["repeats"]
    serial = timed(lambda: [sum_random(numbers) for _ in range(tasks)], repeats)

    def processes():
        out = mp.Queue()
        procs = [mp.Process(target=sum_random_to_queue, args=(i, numbers, out)) for i in range(tasks)]
        for p in procs:
            p.start()
        results = [out.get() for _ in procs]  # read before join, as the original warns
        for p in procs:
            p.join()
        assert len(results) == tasks
    return {"serialMs": serial, "processesMs": timed(processes, repeats)}


def m_monte_carlo(a):
    tasks, weight, workers, repeats = a["tasks"], a["weight"], a["workers"], a["repeats"]
    serial = timed(lambda: [monte_carlo_pi(weight) for _ in range(tasks)], repeats)

    def pooled():
        with mp.Pool(workers) as pool:
            [h.get() for h in [pool.apply_async(monte_carlo_pi, (weight,)) for _ in range(tasks)]]

    leftover = []  # per run: tasks no worker took, because every worker met a false Empty and quit
    per_worker = []  # per run: how many tasks each worker took (a 0: that worker quit before it took one)

    def queued():
        import queue
        inq, outq = mp.Queue(), mp.Queue()
        for i in range(tasks):
            inq.put((i, weight))
        time.sleep(0.01)  # let the feeder thread flush, so get_nowait does not see a false Empty
        procs = [mp.Process(target=monte_carlo_worker, args=(inq, outq, w)) for w in range(workers)]
        counts = [0] * workers
        for p in procs:
            p.start()
        # get_nowait also says Empty while another worker holds the queue's read lock, so every worker
        # can quit early; waiting for tasks - done results would then hang: finish those here instead.
        done = 0
        while done < tasks:
            try:
                counts[outq.get(timeout=0.05)[2]] += 1
                done += 1
            except queue.Empty:
                if not any(p.is_alive() for p in procs) and outq.empty():
                    break
        for p in procs:
            p.join()
        leftover.append(tasks - done)
        per_worker.append(counts)
        for _ in range(tasks - done):
            monte_carlo_pi(inq.get()[1])
    processes = timed(queued, repeats)
    return {"serialMs": serial, "poolMs": timed(pooled, repeats), "processesMs": processes, "processesLeftover": leftover,
            "processesTasksPerWorker": per_worker}


def m_manager_writes(a):
    ops, repeats = a["ops"], a["repeats"]
    with mp.Manager() as manager:
        d = manager.dict()

        def run():
            for i in range(ops):
                d[i % 100] = i
        samples = timed(run, repeats, warmup=1)
    return {"perSecond": [ops / (ms / 1000.0) for ms in samples]}


# ---- notebooks 02 and 04: start methods, the pipe under a Queue, nested pools ----

def do_nothing():
    pass


def m_process_startup(a):
    """A trivial Process started and joined, with each start method this Python has (fork, spawn, forkserver)."""
    repeats = a["repeats"]
    samples = {}
    for method in mp.get_all_start_methods():
        ctx = mp.get_context(method)

        def run():
            p = ctx.Process(target=do_nothing)
            p.start()
            p.join()
        samples[method] = timed(run, repeats, warmup=1)
    return {"startupMs": samples, "defaultMethod": mp.get_start_method()}


def pipe_capacity(limit=64 * 2**20):
    """Bytes a fresh pipe takes before a writer would block, measured by filling one without blocking."""
    r, w = os.pipe()
    try:
        os.set_blocking(w, False)
        total, chunk = 0, b"x" * 1024
        while total < limit:
            try:
                total += os.write(w, chunk)
            except BlockingIOError:
                break
        return total
    finally:
        os.close(r)
        os.close(w)


def put_bytes(out, size):
    out.put(b"x" * size)


def m_join_before_read(a):
    """The original's warning, live: a child puts one item on a Queue; the parent joins (with a timeout) BEFORE reading."""
    capacity = pipe_capacity()
    cases = []
    for fraction in a["fractions"]:
        size = max(1, int(capacity * fraction))
        out = mp.Queue()
        p = mp.Process(target=put_bytes, args=(out, size))
        p.start()
        t0 = time.perf_counter()
        p.join(a["timeoutS"])
        waited = ms_since(t0)
        ended = p.exitcode is not None
        item = out.get()  # reading is what lets a blocked child finish
        p.join()
        cases.append({"itemBytes": size, "endedBeforeRead": ended, "joinWaitedMs": waited, "receivedBytes": len(item)})
    return {"pipeBytes": capacity, "platform": sys.platform, "cases": cases}


def pool_inside(workers):
    """Opens a Pool here and runs one trivial task per worker: allowed in a Process, refused in a pool worker."""
    try:
        with mp.Pool(workers) as inner:
            inner.map(echo, range(workers))
        return {"ok": True, "error": None}
    except Exception as e:  # the refusal is what is measured
        return {"ok": False, "error": f"{type(e).__name__}: {e}"}


def pool_inside_to_queue(workers, out):
    out.put(pool_inside(workers))


def m_nested_pools(a):
    """A Pool opened inside a Process (allowed), then inside a pool worker (refused: pool workers are daemonic)."""
    workers = a["workers"]
    out = mp.Queue()
    p = mp.Process(target=pool_inside_to_queue, args=(workers, out))
    p.start()
    in_process = out.get()
    p.join()
    with mp.Pool(1) as outer:
        in_pool_worker = outer.apply(pool_inside, (workers,))
    return {"inProcess": in_process, "inPoolWorker": in_pool_worker}


# ---- notebooks 01 and 05: pool start methods, the nested-dict caveat ----

def m_pool_startup_methods(a):
    """`Pool(workers)` started, one trivial task per worker, closed: with each start method this Python has."""
    workers, repeats = a["workers"], a["repeats"]
    samples = {}
    for method in mp.get_all_start_methods():
        ctx = mp.get_context(method)

        def start():
            with ctx.Pool(workers) as pool:
                pool.map(echo, range(workers), chunksize=1)
        samples[method] = timed(start, repeats, warmup=1)
    return {"startupMs": samples, "defaultMethod": mp.get_start_method()}


def m_manager_copy_caveat(a):
    """The original's caveat, live: appending to a list inside a Manager dict's inner dict changes a temporary copy."""
    with mp.Manager() as manager:
        d = manager.dict({3: {"Sequence": [0, 1], "CompFinished": False}})
        d[3]["Sequence"].append(1)  # appends to a copy, which is then thrown away
        after_in_place = list(d[3]["Sequence"])
        inner = d[3]  # the fix: copy the inner dict, change it, assign it back
        inner["Sequence"].append(1)
        d[3] = inner
        return {"afterInPlace": after_in_place, "afterAssignBack": list(d[3]["Sequence"])}


MEASUREMENTS = {
    "leibniz": m_leibniz,
    "leibnizPool": m_leibniz_pool,
    "poolStartup": m_pool_startup,
    "roundTrips": m_round_trips,
    "mapItems": m_map_items,
    "randomSums": m_random_sums,
    "monteCarlo": m_monte_carlo,
    "managerWrites": m_manager_writes,
    "poolStartupMethods": m_pool_startup_methods,
    "managerCopyCaveat": m_manager_copy_caveat,
    "processStartup": m_process_startup,
    "joinBeforeRead": m_join_before_read,
    "nestedPools": m_nested_pools,
}


def write_result(path, result):
    """Atomically: a reader sees the whole result or no file."""
    data = json.dumps({"result": result, "complete": True}, allow_nan=False).encode("utf-8")
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def main():
    name, input_file, result_file = sys.argv[1:4]
    with open(input_file) as f:
        args = json.load(f)
    result = MEASUREMENTS[name](args)
    result["python"] = {
        "executable": sys.executable,
        "version": platform.python_version(),
        "implementation": platform.python_implementation(),
        "startMethod": mp.get_start_method(),
    }
    write_result(result_file, result)


if __name__ == "__main__":
    main()
