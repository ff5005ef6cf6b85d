"""Value domains of the machines' state leaves, for the symbolic engine.

Bit-vector variables need bounds: the encoding of a transition is exact for states
whose leaves lie within them (the *domain*), and every engine checks that the domain is
never left: bounded model checking reports ``Unknown`` when a reachable state leaves
it, and k-induction must prove the domain inductive together with the properties. So a
domain that is too narrow can make a proof fail, never make a wrong one succeed.

Domains are declared per machine (``DOMAINS``); a machine without a declaration gets
one inferred from a bounded explicit exploration (marked as inferred).
"""

from __future__ import annotations

from typing import Any, Callable

from ..explore import Exploration, Visitor, explore
from .schema import Schema, pattern_of

__all__ = ["DOMAINS", "domain_for", "register_domain"]

#: machine name -> fn(config) -> {leaf pattern: (lo, hi)}
DOMAINS: dict[str, Callable[[Any], dict[str, tuple[int, int]]]] = {}


def register_domain(machine: str):
    def deco(fn):
        DOMAINS[machine] = fn
        return fn

    return deco


@register_domain("availability")
def _availability(c) -> dict[str, tuple[int, int]]:
    n, t, m = c.n_validators, c.chain_availability_period, c.max_candidates
    return {
        "paras[*].votes": (0, (1 << n) - 1),
        "paras[*].age": (0, t + 1),
        "paras[*].noted": (0, m),
        "paras[*].enacted": (0, (1 << m) - 1),
        "paras[*].timed_out": (0, (1 << m) - 1),
        "signed": (0, n),
    }


@register_domain("inclusion")
def _inclusion(c) -> dict[str, tuple[int, int]]:
    n, t, m, p = c.n_validators, c.chain_availability_period, c.max_candidates, c.n_parachains
    return {
        "paras[*].statements": (0, (1 << n) - 1),
        "paras[*].produced": (0, m),
        "cores[*].para": (0, p - 1),
        "cores[*].serial": (0, m),
        "cores[*].votes": (0, (1 << n) - 1),
        "cores[*].age": (0, t),
        "signed": (0, n),
        "exits[*]": (0, 2 * m + 2),
        "last_exit[*]": (0, 5),
    }


def domain_for(machine, schema: Schema, infer_states: int = 20_000) -> tuple[dict[str, tuple[int, int]], bool]:
    """Bounds per leaf path, and whether they were inferred (no declaration)."""
    fn = DOMAINS.get(machine.name)
    int_leaves = [lf for lf in schema.leaves if lf.kind == "int" and lf.enum is None]
    if fn is not None:
        pats = fn(machine.config)
        out = {}
        for lf in int_leaves:
            pat = pattern_of(lf.path)
            if pat not in pats:
                raise KeyError(f"domain of machine {machine.name!r} has no bounds for {pat!r}")
            out[lf.path] = pats[pat]
        return out, False
    return _infer(machine, schema, int_leaves, infer_states), True


class _Bounds(Visitor):
    """The least and greatest value of each integer leaf over the states expanded, level
    by level until ``limit`` states have been."""

    def __init__(self, machine, schema: Schema, int_leaves, limit: int):
        super().__init__(machine)
        self.schema = schema
        self.limit = limit
        self.expanded = 0
        self.lo: dict[str, int] = {lf.path: 0 for lf in int_leaves}
        self.hi: dict[str, int] = {lf.path: 0 for lf in int_leaves}

    def expand(self, i: int, s):
        self.expanded += 1
        flat = self.schema.flatten_concrete(s)
        lo, hi = self.lo, self.hi
        for p in lo:
            lo[p] = min(lo[p], flat[p])
            hi[p] = max(hi[p], flat[p])
        return super().expand(i, s)

    def stop_level(self, ex: Exploration) -> str | None:
        return "limit" if self.expanded >= self.limit else None


def _infer(machine, schema: Schema, int_leaves, limit: int) -> dict[str, tuple[int, int]]:
    v = _Bounds(machine, schema, int_leaves, limit)
    explore(v)
    # widen: one more than seen, so leaving the domain is detected rather than assumed away
    return {p: (v.lo[p], v.hi[p] + 1) for p in v.lo}
