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


def _infer(machine, schema: Schema, int_leaves, limit: int) -> dict[str, tuple[int, int]]:
    from paraspec.model.core import Rejected

    lo: dict[str, int] = {lf.path: 0 for lf in int_leaves}
    hi: dict[str, int] = {lf.path: 0 for lf in int_leaves}
    seen = set()
    frontier = list(machine.init())
    while frontier and len(seen) < limit:
        nxt = []
        for s in frontier:
            if s in seen:
                continue
            seen.add(s)
            flat = schema.flatten_concrete(s)
            for lf in int_leaves:
                v = flat[lf.path]
                lo[lf.path] = min(lo[lf.path], v)
                hi[lf.path] = max(hi[lf.path], v)
            for a in machine.actions(s):
                try:
                    nxt.append(machine.step(s, a))
                except Rejected:
                    pass
        frontier = nxt
    # widen: one more than seen, so leaving the domain is detected rather than assumed away
    return {p: (lo[p], hi[p] + 1) for p in lo}
