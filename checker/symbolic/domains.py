"""Value domains of the machines' state leaves, for the symbolic engine.

Bit-vector variables need bounds: the encoding of a transition is exact for states
whose leaves lie within them (the *domain*), and every engine checks that the domain is
never left: bounded model checking reports ``Unknown`` when a reachable state leaves
it, and k-induction must prove the domain inductive together with the properties. So a
domain that is too narrow can make a proof fail, never make a wrong one succeed.

Domains are declared by the machine (``Machine.symbolic_domain``, the machine contract);
a machine without a declaration gets one inferred from a bounded explicit exploration
(marked as inferred).
"""

from __future__ import annotations

import time
from typing import Any, Callable

from ..explore import Exploration, Visitor, explore
from .schema import NoEncoding, Schema, pattern_of
from .symexec import ExplorationLimit, Unsupported

__all__ = ["domain_for"]


def domain_for(machine, schema: Schema, infer_states: int = 20_000,
               deadline: float | None = None) -> tuple[dict[str, tuple[int, int]], bool]:
    """Bounds per leaf path, and whether they were inferred (no declaration). An inference
    still running at ``deadline`` (a ``time.perf_counter()`` value) stops with
    :class:`ExplorationLimit`."""
    pats = machine.symbolic_domain()
    int_leaves = [lf for lf in schema.leaves if lf.kind == "int" and lf.enum is None]
    if pats is not None:
        out = {}
        for lf in int_leaves:
            pat = pattern_of(lf.path)
            if pat not in pats:
                raise NoEncoding(f"the symbolic domain of machine {machine.name!r} has no bounds for {pat!r}")
            out[lf.path] = pats[pat]
        return out, False
    return _infer(machine, schema, int_leaves, infer_states, deadline), True


class _Bounds(Visitor):
    """The least and greatest value of each integer leaf over the states expanded, level
    by level until ``limit`` states have been."""

    def __init__(self, machine, schema: Schema, int_leaves, limit: int, deadline: float | None = None):
        super().__init__(machine)
        self.deadline = deadline
        self.schema = schema
        self.limit = limit
        self.expanded = 0
        self.lo: dict[str, int] = {lf.path: 0 for lf in int_leaves}
        self.hi: dict[str, int] = {lf.path: 0 for lf in int_leaves}

    def expand(self, i: int, s):
        self.expanded += 1
        if self.deadline is not None and time.perf_counter() > self.deadline:
            raise ExplorationLimit("time limit while inferring the symbolic domain")
        try:
            flat = self.schema.flatten_concrete(s)
        except Unsupported as e:
            raise NoEncoding(f"a reachable state differs in shape from the initial state ({e}); the schema "
                             "takes tuple lengths from the initial state") from None
        lo, hi = self.lo, self.hi
        for p in lo:
            lo[p] = min(lo[p], flat[p])
            hi[p] = max(hi[p], flat[p])
        return super().expand(i, s)

    def stop_level(self, ex: Exploration) -> str | None:
        return "limit" if self.expanded >= self.limit else None


def _infer(machine, schema: Schema, int_leaves, limit: int,
           deadline: float | None = None) -> dict[str, tuple[int, int]]:
    v = _Bounds(machine, schema, int_leaves, limit, deadline)
    explore(v)
    # widen: one more than seen, so leaving the domain is detected rather than assumed away
    return {p: (v.lo[p], v.hi[p] + 1) for p in v.lo}
