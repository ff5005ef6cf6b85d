"""The defects of issue 17 as regression inputs, through the real entry points (``known.REPRODUCERS``).

Each must end in exit 0/1/2, with no exception escaping and a one-line error on exit 2, within the
hang guard. While its defect is open, a reproducer xfails (non-strict) when the break matches its class
in ``known.KNOWN``; any other break fails.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from . import known
from .harness import FULL, problem, run_cli


@pytest.mark.parametrize("cls,rid,build,slow", known.REPRODUCERS, ids=[r[1] for r in known.REPRODUCERS])
def test_issue17_reproducer(tmp_path: Path, cls, rid, build, slow):
    if slow and not FULL:
        pytest.skip("runs into the hang guard while its defect is open: PARASPEC_FUZZ=full (make fuzz) runs it")
    argv, stdin = build(tmp_path)
    stream = None if stdin is None else io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8", errors="strict", newline="\n")
    o = run_cli(argv, stream)
    p = problem(o)
    if p is None:
        return
    kind, sig = p
    if known.is_class(cls, kind, sig):
        pytest.xfail(f"known class {cls!r} (tests/fuzz/known.py): {rid}: {kind} {sig}")
    pytest.fail(f"{rid}: {kind} {sig} (expected class {cls!r})\n{o.tb or o.err}", pytrace=False)
