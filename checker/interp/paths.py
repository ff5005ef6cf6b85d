"""State paths and compact diffs.

A path is dotted: field names of objects and indices of lists (``cores.0.para``,
``scheduler.groups.1``); ``@events`` and ``@result`` start at a step's events and a
query's answer. :func:`get` returns :data:`ABSENT` for a path the value does not have.
An expected value ``{"$contains": [x, ...]}`` matches a list that holds every ``x``.
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


def _matches(got: Any, want: Any) -> bool:
    """``got == want`` (a boolean only equals a boolean); ``{"$contains": [x, ...]}`` matches a
    list holding every ``x``."""
    if isinstance(want, dict) and set(want) == {"$contains"} and isinstance(want["$contains"], list):
        return isinstance(got, list) and all(any(_matches(g, w) for g in got) for w in want["$contains"])
    if isinstance(got, bool) != isinstance(want, bool):
        return False
    return got == want


def diff(root: dict[str, Any], expect: dict[str, Any]) -> list[dict[str, Any]]:
    """``{"path", "expected", "actual"}`` for every path of ``expect`` whose value differs."""
    out = []
    for path, want in expect.items():
        got = get(root, path)
        if got is ABSENT or not _matches(got, want):
            out.append({"path": path, "expected": want, "actual": None if got is ABSENT else got,
                        **({"absent": True} if got is ABSENT else {})})
    return out
