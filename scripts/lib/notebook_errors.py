"""What went wrong in an executed notebook, read from the notebook itself (for
scripts/execute_notebook.py): tslab reports a failing cell with status=error but
no ename/evalue, and prints the error on the cell's stderr instead.
"""

import re

ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


def strip_ansi(text):
    return ANSI_RE.sub("", text or "")


ERROR_LINE_RE = re.compile(
    r"^(?:Uncaught )?([A-Za-z_$][\w$.]*(?:Error|Exception|Rejection)|Error)(?: \[[\w-]+\])?: ?(.*)$"
)
DIAGNOSTIC_RE = re.compile(r"^(?:\S+ )?(\d+:\d+) - (.*)$")
INTERNAL_FRAME_RE = re.compile(r"^\s*at .*(node:vm|node:internal|/node_modules/tslab/|sigintHandlersWrap)")


def cell_stderr(cell):
    text = "".join(
        "".join(out.get("text", "")) if isinstance(out.get("text"), list) else out.get("text", "")
        for out in cell.get("outputs", [])
        if out.get("output_type") == "stream" and out.get("name") == "stderr"
    )
    return strip_ansi(text)


def error_from_stderr(cell):
    """tslab replies status=error without ename/evalue and prints the error on stderr
    (console.error(e) for a thrown error, "line:col - message" for a compile error).
    Recover (ename, evalue, traceback lines) from that text."""
    lines = [line.rstrip() for line in cell_stderr(cell).splitlines()]
    for i, line in enumerate(lines):
        m = ERROR_LINE_RE.match(line.strip())
        if m:
            frames = [l for l in lines[i + 1:] if l.strip() and not INTERNAL_FRAME_RE.match(l)]
            return m.group(1), m.group(2), [line.strip()] + frames
    diagnostics = [DIAGNOSTIC_RE.match(line.strip()) for line in lines]
    diagnostics = [d for d in diagnostics if d]
    if diagnostics:
        first = diagnostics[0]
        return (
            "TypeScriptCompileError",
            "%s - %s" % (first.group(1), first.group(2)),
            [d.group(0) for d in diagnostics],
        )
    nonempty = [line for line in lines if line.strip()]
    if nonempty:
        return "Error", nonempty[0].strip(), nonempty
    return None


def first_error_output(nb):
    """(cell_index, output) of the first `error` output, ignoring cells tagged raises-exception."""
    for index, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code":
            continue
        if "raises-exception" in cell.get("metadata", {}).get("tags", []):
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return index, out
    return None, None


def clear_not_executed(nb, after_index):
    """Cells after the failure did not run: drop stale outputs so the partial notebook does not lie."""
    for cell in nb.cells[after_index + 1:]:
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
