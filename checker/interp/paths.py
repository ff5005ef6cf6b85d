"""State paths and compact diffs.

A path is dotted: field names of objects and indices of lists (``cores.0.para``,
``scheduler.groups.1``); ``@events`` and ``@result`` start at a step's events and a
query's answer. :func:`get` returns :data:`ABSENT` for a path the value does not have.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ABSENT", "get", "diff"]


class _Absent:
    def __repr__(self) -> str:
        return "(absent)"


ABSENT: Any = _Absent()


def get(doc: Any, path: str) -> Any:
    cur = doc
    for seg in path.split("."):
        if isinstance(cur, dict):
            if seg not in cur:
                return ABSENT
            cur = cur[seg]
        elif isinstance(cur, list) and seg.isdigit():
            i = int(seg)
            if i >= len(cur):
                return ABSENT
            cur = cur[i]
        else:
            return ABSENT
    return cur


def diff(root: dict[str, Any], expect: dict[str, Any]) -> list[dict[str, Any]]:
    """``{"path", "expected", "actual"}`` for every path of ``expect`` whose value differs."""
    out = []
    for path, want in expect.items():
        got = get(root, path)
        if got is ABSENT or got != want or type(got) is bool and type(want) is not bool \
                or type(want) is bool and type(got) is not bool:
            out.append({"path": path, "expected": want, "actual": None if got is ABSENT else got,
                        **({"absent": True} if got is ABSENT else {})})
    return out
