#!/usr/bin/env python3
"""Execute one notebook with nbclient and write the executed copy.

Usage:
    execute_notebook.py IN OUT [--kernel tslab] [--timeout SECONDS] [--cwd DIR]
                               [--status-json FILE] [--kernel-log FILE]

Run by the Python that Jupyter itself uses (scripts/run-notebooks.mjs finds it).
Needs only the standard library plus nbclient and nbformat (Python 3.9+).

* The kernel starts in --cwd (default: the notebook's own folder), which is
  nbclient's ``resources['metadata']['path']``; tslab resolves
  ``import ... from "kernel-helpers"`` from there.
* One progress line per code cell: ``  cell 3/21 (code) … 0.4 s``.
* On a failing cell: the partially executed notebook is still written to OUT,
  ``FAILED at cell N: <ename>: <evalue>`` and the traceback (ANSI colours
  stripped) go to stderr, exit status 1. Outputs of type ``error`` found in the
  executed notebook count as a failure too (except in cells tagged
  ``raises-exception``, nbclient's documented marker for an intended error).
* On SIGINT/SIGTERM/SIGHUP: the kernel is killed (it runs in its own session,
  so a Ctrl-C in the terminal never reaches it), the partial notebook is
  written, exit status 130.
* ``--status-json FILE`` writes a small machine-readable summary for the
  caller: {"status": "ok"|"error"|"timeout"|"dead-kernel"|"kernel-start"|
  "interrupted", "cell": N, "cells": total, "ename", "evalue", "traceback"},
  with scripts/lib/result_file.py's write_result (atomic, checked; read it with
  scripts/lib/result-file.js's readResultFile).
* The kernel listens on Unix socket files in a folder made for it (mode 0700),
  not on TCP ports that another process could take before it binds them
  (scripts/lib/kernel_address.py); TCP where there are no Unix sockets.
* The kernel never shares our stdout/stderr: it writes to ``--kernel-log FILE``
  (default: OUT with ``.kernel.log`` for ``.ipynb``), started afresh each run.
  A kernel (Node) holding our stdout pipe would switch it to non-blocking mode,
  and our own output could then be lost (see scripts/lib/result_file.py).

Exit status: 0 ok, 1 notebook failed, 2 usage/environment error, 130 interrupted.
"""

import argparse
import asyncio
import atexit
import inspect
import os
import re
import signal
import sys
import time
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from result_file import ResultWriteError, child_stdio, write_result  # noqa: E402
from kernel_address import private_kernel_address  # noqa: E402
from notebook_errors import clear_not_executed, error_from_stderr, first_error_output, strip_ansi  # noqa: E402

HANDLED_SIGNALS = tuple(
    s for s in (getattr(signal, n, None) for n in ("SIGINT", "SIGTERM", "SIGHUP")) if s is not None
)


def say(stream, text):
    """Write and flush; a closed or broken stdout/stderr must never stop the kernel clean-up."""
    try:
        stream.write(text)
        stream.flush()
    except (OSError, ValueError):
        pass


def parse_args(argv):
    ap = argparse.ArgumentParser(description="Execute a notebook with nbclient.")
    ap.add_argument("input", metavar="IN", help="notebook to execute")
    ap.add_argument("output", metavar="OUT", help="where to write the executed notebook")
    ap.add_argument("--kernel", default="tslab", help="kernelspec name (default: tslab)")
    ap.add_argument(
        "--timeout",
        type=int,
        default=1800,
        help="per-cell timeout in seconds; 0 means no limit (default: 1800)",
    )
    ap.add_argument("--cwd", default=None, help="kernel working directory (default: IN's folder)")
    ap.add_argument("--status-json", default=None, help="write a JSON summary of the run here")
    ap.add_argument(
        "--kernel-log",
        default=None,
        help="the kernel's stdout and stderr go here (default: OUT with .kernel.log for .ipynb)",
    )
    ap.add_argument(
        "--startup-timeout", type=int, default=120, help="seconds to wait for the kernel to start"
    )
    args = ap.parse_args(argv)
    if args.timeout < 0:
        ap.error("--timeout must be an integer >= 0 (0 = no limit), got %d" % args.timeout)
    return args


class Reporter:
    """Per-cell progress lines and bookkeeping of the current cell."""

    def __init__(self, total):
        self.total = total
        self.current = None  # 0-based index of the cell being executed
        self.started = 0.0
        self.line_open = False

    def close_line(self, suffix=""):
        if self.line_open:
            self.line_open = False
            say(sys.stdout, suffix + "\n")

    def cell_start(self, cell, cell_index, **_kw):
        self.current = cell_index
        if cell.get("cell_type") != "code" or not str(cell.get("source", "")).strip():
            return
        self.close_line()
        self.started = time.monotonic()
        self.line_open = True
        say(sys.stdout, "  cell %d/%d (code) … " % (cell_index + 1, self.total))

    def cell_executed(self, cell_index, execute_reply=None, **_kw):
        status = ""
        if execute_reply and execute_reply.get("content", {}).get("status") == "error":
            status = "  ✗ error"
        self.close_line("%.1f s%s" % (time.monotonic() - self.started, status))


def make_client(nb, args, reporter, address):
    """`address`: the kernel's transport and ip (kernel_address.py), as KernelManager config."""
    from nbclient import NotebookClient
    from traitlets.config import Config

    kwargs = dict(
        config=Config({"KernelManager": address}),
        kernel_name=args.kernel,
        timeout=args.timeout if args.timeout > 0 else None,
        startup_timeout=args.startup_timeout,
        resources={"metadata": {"path": args.cwd}},
    )
    if hasattr(NotebookClient, "on_cell_start") and hasattr(NotebookClient, "on_cell_executed"):
        # nbclient >= 0.6 (Debian 12 ships 0.7.2): public hooks.
        return NotebookClient(
            nb, on_cell_start=reporter.cell_start, on_cell_executed=reporter.cell_executed, **kwargs
        )

    # Older nbclient: wrap async_execute_cell instead.
    class ReportingClient(NotebookClient):
        async def async_execute_cell(self, cell, cell_index, *a, **kw):
            reporter.cell_start(cell=cell, cell_index=cell_index)
            try:
                return await super().async_execute_cell(cell, cell_index, *a, **kw)
            finally:
                if reporter.line_open:
                    reporter.cell_executed(cell_index=cell_index)

    return ReportingClient(nb, **kwargs)


async def maybe_await(value):
    if inspect.isawaitable(value):
        return await value
    return value


async def kill_kernel(client):
    """Make sure no kernel survives, whatever state nbclient was left in."""
    try:
        if client.km is not None:
            client.shutdown_kernel = "immediate"
            await client._async_cleanup_kernel()
    except Exception:
        pass
    km = client.km
    if km is not None:  # _async_cleanup_kernel leaves km set when no client was started
        try:
            if await maybe_await(km.is_alive()):
                await maybe_await(km.shutdown_kernel(now=True))
        except Exception:
            pass
        try:
            await maybe_await(km.cleanup_resources())
        except Exception:
            pass
    try:
        atexit.unregister(client._cleanup_kernel)
    except Exception:
        pass


async def execute(client, state, kernel_stdio):
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()

    def on_signal(signum):
        if state["signal"] is not None:
            return  # a second Ctrl-C (terminal + forwarded by the runner): already stopping
        state["signal"] = signum
        client.shutdown_kernel = "immediate"
        task.cancel()
        state["reporter"].close_line("✗ interrupted")
        say(sys.stderr, "execute_notebook: got %s, shutting the kernel down…\n" % signal.Signals(signum).name)

    for sig in HANDLED_SIGNALS:
        loop.add_signal_handler(sig, on_signal, sig)
    # nbclient's async_setup_kernel installs its own SIGINT/SIGTERM handlers (they schedule a
    # cleanup but do not stop execution) and later removes them. Keep ours in charge: they
    # cancel the execution, and nbclient's `finally` plus kill_kernel() shut the kernel down.
    original_add, original_remove = loop.add_signal_handler, loop.remove_signal_handler

    def add_signal_handler(sig, callback, *cb_args):
        if sig in HANDLED_SIGNALS:
            return None
        return original_add(sig, callback, *cb_args)

    def remove_signal_handler(sig):
        if sig in HANDLED_SIGNALS:
            return False
        return original_remove(sig)

    loop.add_signal_handler = add_signal_handler
    loop.remove_signal_handler = remove_signal_handler
    try:
        # kernel_stdio goes to the kernel's Popen (nbclient -> jupyter_client's start_kernel)
        await client.async_execute(**kernel_stdio)
    finally:
        await kill_kernel(client)
        # Back to the loop's own methods so that asyncio can remove our handlers on close.
        del loop.add_signal_handler
        del loop.remove_signal_handler


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        import nbformat
        from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
    except ImportError as exc:
        say(
            sys.stderr,
            "execute_notebook: %s. This Python (%s) needs nbclient and nbformat.\n"
            % (exc, sys.executable),
        )
        return 2

    in_path = os.path.abspath(args.input)
    out_path = os.path.abspath(args.output)
    log_path = os.path.abspath(args.kernel_log or re.sub(r"(\.ipynb)?$", ".kernel.log", out_path, count=1))
    args.cwd = os.path.abspath(args.cwd or os.path.dirname(in_path))
    with warnings.catch_warnings():
        # Notebooks written by older tools lack cell ids; we add them below instead of warning.
        warnings.simplefilter("ignore")
        nb = nbformat.read(in_path, as_version=4)
    if nb.get("nbformat_minor", 0) >= 5:
        from nbformat.v4 import nbbase

        for cell in nb.cells:
            if not cell.get("id") and hasattr(nbbase, "random_cell_id"):
                cell["id"] = nbbase.random_cell_id()
    reporter = Reporter(len(nb.cells))
    # the kernel's sockets: files in a folder of its own, not TCP ports another process could take first
    address, remove_address = private_kernel_address()
    client = make_client(nb, args, reporter, address)
    state = {"signal": None, "reporter": reporter}
    status = {"status": "ok", "cell": None, "cells": len(nb.cells)}
    exc = None
    started = time.monotonic()
    os.makedirs(os.path.dirname(log_path) or ".", exist_ok=True)
    if os.path.exists(log_path):
        os.remove(log_path)  # child_stdio appends: start each run's log afresh
    kernel_stdio = child_stdio(log_path)
    try:
        asyncio.run(execute(client, state, kernel_stdio))
    except BaseException as e:  # noqa: B902 - classified below, KeyboardInterrupt included
        exc = e
    finally:
        kernel_stdio["stdout"].close()  # the kernel holds its own copy while it runs
        remove_address()
    # The kernel is gone now; let nothing interrupt writing the (partial) notebook.
    for sig in HANDLED_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    if state["signal"] is not None:
        reporter.close_line("✗ interrupted")
    elif exc is not None and type(exc).__name__ == "CellTimeoutError":
        reporter.close_line("✗ timed out")
    else:
        reporter.close_line("✗ %s" % type(exc).__name__ if exc is not None else "")

    failed_index = reporter.current
    if state["signal"] is not None or isinstance(exc, KeyboardInterrupt):
        name = signal.Signals(state["signal"]).name if state["signal"] else "SIGINT"
        status.update(status="interrupted", ename=name, evalue="interrupted by " + name)
    elif exc is None:
        index, err = first_error_output(nb)
        if err is not None:
            failed_index = index
            status.update(
                status="error",
                ename=err.get("ename", "Error"),
                evalue=err.get("evalue", ""),
                traceback=[strip_ansi(line) for line in err.get("traceback", [])],
            )
    elif isinstance(exc, CellExecutionError):
        status.update(status="error", ename=exc.ename, evalue=exc.evalue)
        index, err = first_error_output(nb)
        tb = [strip_ansi(line) for line in err.get("traceback", [])] if err is not None else []
        failing = nb.cells[failed_index] if failed_index is not None else None
        recovered = error_from_stderr(failing) if failing is not None else None
        if (not exc.ename or exc.ename == "<Error>") and recovered:
            # tslab: the error is on the cell's stderr, not in the execute_reply.
            status.update(ename=recovered[0], evalue=recovered[1])
            tb = tb or recovered[2]
        status["traceback"] = tb or strip_ansi(str(exc)).splitlines()
    elif isinstance(exc, CellTimeoutError):
        status.update(
            status="timeout",
            ename="CellTimeoutError",
            evalue="cell did not finish within %s s (--timeout)" % args.timeout,
        )
    elif isinstance(exc, DeadKernelError):
        status.update(status="dead-kernel", ename="DeadKernelError", evalue=str(exc) or "kernel died")
    else:
        # Kernel could not start (unknown kernelspec, startup timeout, ...) or a bug here.
        kind = "kernel-start" if reporter.current is None else "error"
        status.update(status=kind, ename=type(exc).__name__, evalue=strip_ansi(str(exc)))

    if status["status"] != "ok":
        status["cell"] = failed_index + 1 if failed_index is not None else None
        if failed_index is not None:
            clear_not_executed(nb, failed_index)
    status["seconds"] = round(time.monotonic() - started, 2)

    os.makedirs(os.path.dirname(out_path) or ".", exist_ok=True)
    nbformat.write(nb, out_path)

    if args.status_json:
        try:
            write_result(args.status_json, status)
        except ResultWriteError as e:
            say(sys.stderr, "execute_notebook: %s\n" % e)
            return 2

    if status["status"] not in ("ok", "interrupted"):
        where = "cell %s" % status["cell"] if status["cell"] else "kernel start-up"
        lines = ["FAILED at %s: %s: %s" % (where, status["ename"], status["evalue"])]
        lines += ["    " + line.replace("\n", "\n    ") for line in status.get("traceback") or []]
        lines.append("partial notebook written to %s" % out_path)
        say(sys.stderr, "\n".join(lines) + "\n")
    elif status["status"] == "interrupted":
        say(sys.stderr, "interrupted; partial notebook written to %s\n" % out_path)

    if status["status"] == "ok":
        return 0
    if status["status"] == "interrupted":
        return 130
    return 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # before the event loop (and its handlers) existed: no kernel yet
        sys.exit(130)
