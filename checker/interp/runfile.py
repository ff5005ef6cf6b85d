"""``paraspec run`` on a machine scenario: load, run, print, write the trace."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .engine import RunResult, failure_lines, run_plan, to_itf, to_json
from .plan import load_plan

__all__ = ["run_machine_file", "write_trace"]


def run_machine_file(path: str, doc: Any, reading: str | None = None) -> RunResult:
    """Validate and run one machine scenario (a UsageError on bad input); ``reading``
    (``run --reading``) builds its machine under that reading (CFG-D5)."""
    return run_plan(load_plan(path, doc, reading))


def summary(res: RunResult) -> list[str]:
    """The summary line of a run and one line per failed check."""
    p = res.plan
    name = p.name or Path(p.path).stem
    status = "ok" if res.ok else "FAILED"
    head = f"{name}: {status} ({len(p.steps)} steps, machine {p.machine.name}, preset {p.machine.preset})"
    if p.title:
        head += f" - {p.title}"
    return [head] + [f"  {line}" for line in failure_lines(res)]


def write_trace(res: RunResult, out: str) -> None:
    import json

    from ..outputs import atomic_write

    atomic_write(Path(out), json.dumps(to_itf(res), indent=1) + "\n")


def as_json(res: RunResult, with_state: bool = True) -> dict[str, Any]:
    return to_json(res, with_state)
