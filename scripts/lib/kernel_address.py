"""Where a kernel started by this project's Python helpers listens: Unix socket files
in a folder of its own, not TCP ports.

Why: with Jupyter's default transport (TCP), the client picks the kernel's five ports
by binding port 0 and letting go, and the kernel binds them a second or so later. In
that gap another process can take one: a second kernel started at the same moment (two
test files at once) can be handed the same free port, and an outgoing connection can
get it as its local port. The kernel then cannot bind (CI saw it once: "Address already
in use", with two test files starting kernels). A Jupyter server restarts such a kernel
on new ports; one started with nbclient or jupyter_client alone has no such restarter.

With transport "ipc" the sockets are files in a folder made for this kernel
(`mkdtemp`: mode 0700, an unguessable name), so nothing else can take them or reach
them. Off POSIX, or where no folder short enough for a Unix socket's path can be made
($TMPDIR, then /tmp), the kernel keeps TCP.
"""
import os
import shutil
import tempfile

__all__ = ["private_kernel_address"]

# sun_path holds 108 bytes on Linux and 104 on macOS; keep well below both
MAX_SOCKET_PATH = 100
# the longest name Jupyter gives a socket file: "<ip>-<port>", ports numbered from 1
SUFFIX = "-99999"


def private_kernel_address():
    """Returns (settings, cleanup): keyword arguments for jupyter_client's KernelManager
    (also usable as its traitlets config), and a function that removes the folder once the
    kernel has stopped. `settings` is empty (TCP, Jupyter's default) off POSIX or when no
    short enough folder can be made."""
    if os.name != "posix":
        return {}, lambda: None
    for parent in (None, "/tmp"):  # $TMPDIR first (long on macOS), then /tmp
        try:
            folder = tempfile.mkdtemp(prefix="kernel-", dir=parent)
        except OSError:
            continue
        ip = os.path.join(folder, "k")
        if len((ip + SUFFIX).encode()) <= MAX_SOCKET_PATH:
            return {"transport": "ipc", "ip": ip}, lambda: shutil.rmtree(folder, ignore_errors=True)
        os.rmdir(folder)
    return {}, lambda: None
