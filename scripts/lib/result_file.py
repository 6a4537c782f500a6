"""The result channel of every Python helper that starts kernels or other children.

Why a file and not stdout: a child that inherits our stdout (a tslab kernel, a
Node worker) shares the pipe's open file description, and Node switches its stdio
pipes to non-blocking mode. From then on our own final flush can fail with EAGAIN
when the reader is slower, and Python drops the tail silently at exit (seen here:
5 runs of 5 lost the last ~10 KB of a 300 KB result). So results go to a regular
file written here, and children get their own stdio (see `child_stdio`).

write_result() writes a JSON envelope {"result": ..., "complete": true} to a
temporary file, flushes and fsyncs it, checks the size on disk, and renames it
into place, so a reader sees either nothing or the whole result.
"""
import json
import os
import subprocess

__all__ = ["write_result", "child_stdio", "ResultWriteError"]


class ResultWriteError(OSError):
    """The result file could not be written completely."""


def write_result(path, result):
    """Writes `result` (JSON-serialisable) to `path` atomically; raises ResultWriteError on any failure."""
    try:
        # allow_nan=False: NaN and Infinity are not JSON, and JSON.parse would reject the whole file
        data = json.dumps({"result": result, "complete": True}, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as e:
        raise ResultWriteError(f"could not write the result file {path}: the result is not JSON: {e}") from e
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        with open(tmp, "wb") as f:
            written = f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if written != len(data) or os.path.getsize(tmp) != len(data):
            raise ResultWriteError(f"{tmp}: wrote {os.path.getsize(tmp)} of {len(data)} bytes")
        os.replace(tmp, path)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, ResultWriteError):
            raise
        raise ResultWriteError(f"could not write the result file {path}: {e}") from e


def child_stdio(log_path=None):
    """Popen keyword arguments that give a child its own stdout and stderr:
    appended to `log_path` when given, else discarded. Never our own pipes."""
    if log_path is None:
        return {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    log = open(log_path, "ab")
    return {"stdout": log, "stderr": log}
